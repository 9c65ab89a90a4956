// `make bench`: latency, throughput, size and start-up of C500 against two references,
// all in workerd through Miniflare's own entry socket, driven by one load generator.
//
//   (a) empty Rust worker: a fixed answer to everything, the floor for workers-rs glue;
//   (b) JS peer: discord-interactions' verifyKey (WebCrypto), as Discord's sample app.
//
// Writes docs/bench.md. Options: --seconds N (per measurement, default 2), --quick.
import { Miniflare } from "miniflare";
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import { gzipSync } from "node:zlib";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TestKey } from "../dev/keys.mjs";
import { applyMigrations, executeFile, d1PersistDir, ROOT } from "../dev/migrate.mjs";

const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf("--seconds") + 1]) || (args.includes("--quick") ? 1 : 2);
const WARMUP_MS = 700;
const CONCURRENCY = 8;

const dbId = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").match(/database_id\s*=\s*"([^"]+)"/)[1];
const persist = mkdtempSync(path.join(tmpdir(), "c500-bench-"));
applyMigrations(persist);
executeFile(path.join(ROOT, "dev/seed.sql"), persist);

const key = new TestKey();
const quietStdio = (stdout, stderr) => {
  stdout.resume();
  stderr.resume();
};

const workers = {
  "C500 (Rust)": { modulesRoot: path.join(ROOT, "build/worker"), scriptPath: path.join(ROOT, "build/worker/shim.mjs"), wasm: path.join(ROOT, "build/worker/index.wasm") },
  "empty Rust worker": {
    modulesRoot: path.join(ROOT, "bench/empty-worker/build"),
    scriptPath: path.join(ROOT, "bench/empty-worker/build/index.js"),
    wasm: path.join(ROOT, "bench/empty-worker/build/index_bg.wasm"),
  },
  "JS peer (discord-interactions)": { modulesRoot: path.join(ROOT, "build/bench"), scriptPath: path.join(ROOT, "build/bench/js-peer.mjs") },
};

function miniflareFor(w, extraBindings = {}) {
  return new Miniflare({
    modules: true,
    scriptPath: w.scriptPath,
    modulesRoot: w.modulesRoot,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: "2026-04-26",
    d1Databases: { DB: dbId },
    d1Persist: d1PersistDir(persist),
    kvNamespaces: ["KV"],
    bindings: { DISCORD_PUBLIC_KEY: key.publicHex(), PUBLIC_BASE_URL: "http://bench.local", LINK_SIGNING_SECRET: BENCH_LINK_SECRET, ...extraBindings },
    handleRuntimeStdio: quietStdio,
  });
}

const pingBody = JSON.stringify({ type: 1, id: "1", application_id: "1", token: "t", version: 1 });
const helpBody = JSON.stringify({
  type: 2, id: "2", application_id: "1100000000000000001", token: "t", version: 1, guild_id: "1500000000000000001",
  channel_id: "1600000000000000001", member: { user: { id: "1400000000000000001", username: "bench" }, roles: [], permissions: "0" },
  data: { id: "3", name: "c500", type: 1, options: [{ type: 1, name: "help", options: [] }] },
});
/** C500's own answer to /c500 help, for the JS peer to send the same bytes. */
async function helpReply() {
  const mf = miniflareFor(workers["C500 (Rust)"]);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const res = await fetch(`${url}/interactions`, { method: "POST", headers: scenarios["/c500 help"].headers, body: scenarios["/c500 help"].body });
  const text = await res.text();
  await mf.dispose();
  if (res.status !== 200) throw new Error(`C500 answered /c500 help with ${res.status}`);
  return text;
}

// A session for the demo builder (dev/seed.sql), so the dashboard and a signed-in drop page
// can be measured in the rounds: the row as sign-in writes it (SHA-256 of the id) and the
// cookie as src/domain/session.rs signs it.
const BENCH_LINK_SECRET = "bench-link-signing-secret";
const sessionCookie = (() => {
  const sid = "bench-session-0123456789abcdef";
  const payload = `${sid}.100000000000000001.${Date.now() + 86_400_000}`;
  const mac = createHmac("sha256", BENCH_LINK_SECRET).update("c500-session-v1:").update(payload).digest("hex");
  executeSql(`INSERT INTO sessions (id_hash, discord_id, created_at, expires_at) VALUES ('${createHash("sha256").update(sid).digest("hex")}', '100000000000000001', 0, ${Date.now() + 86_400_000})`);
  return `c500_session=${payload}.${mac}`;
})();
function executeSql(sql) {
  const file = path.join(persist, "bench-session.sql");
  writeFileSync(file, sql);
  executeFile(file, persist);
}
/** The workers a page is measured on: C500 and its floor (the JS peer has no such pages). */
const PAGES_ONLY = ["C500 (Rust)", "empty Rust worker"];

const scenarios = {
  // Signed when read (once per load): a signature older than five minutes is refused.
  PING: { method: "POST", path: "/interactions", body: pingBody, get headers() { return key.headers(pingBody); } },
  "/c500 help": { method: "POST", path: "/interactions", body: helpBody, get headers() { return key.headers(helpBody); } },
  "GET /": { method: "GET", path: "/", body: null, headers: {} },
  "drop page": { method: "GET", path: "/drops/D-SNQWWH1T", body: null, headers: {}, only: PAGES_ONLY },
  "drop, signed in": { method: "GET", path: "/drops/D-SNQWWH1T", body: null, headers: { cookie: sessionCookie }, only: PAGES_ONLY },
  dashboard: { method: "GET", path: "/dashboard", body: null, headers: { cookie: sessionCookie }, only: PAGES_ONLY },
};

/** Closed-loop load: `concurrency` clients on keep-alive sockets, each sending back to back. */
async function load(url, scenario, { concurrency, ms }) {
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  const headers = scenario.headers;
  let errors = 0;
  const one = () =>
    new Promise((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.request({ hostname, port, path: scenario.path, method: scenario.method, headers, agent }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode !== 200) errors += 1;
          resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        });
      });
      req.on("error", () => {
        errors += 1;
        resolve(NaN);
      });
      if (scenario.body) req.write(scenario.body);
      req.end();
    });
  const run = async (until, record) => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const ms = await one();
          if (record && Number.isFinite(ms)) latencies.push(ms);
        }
      }),
    );
  };
  await run(performance.now() + WARMUP_MS, false);
  const start = performance.now();
  await run(start + ms, true);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { rps: latencies.length / elapsed, p50: pct(50), p99: pct(99), n: latencies.length, errors };
}

// Start each worker alone (time to its first answer, a PING: the same request for all three,
// no D1), STARTS times interleaved; then keep all three running and measure them
// interleaved, round after round, so drift on a shared machine hits all alike.
// Seven rounds: the median of seven moves less with one disturbed round than that of five.
const ROUNDS = args.includes("--quick") ? 1 : 7;
const STARTS = args.includes("--quick") ? 1 : 5;
const started = {};
const startups = {}; // name → [ms]
const extras = { "JS peer (discord-interactions)": { HELP_REPLY: await helpReply() } };
for (let i = 0; i < STARTS; i++) {
  for (const [name, w] of Object.entries(workers)) {
    const t0 = performance.now();
    const mf = miniflareFor(w, extras[name] ?? {});
    const url = (await mf.ready).toString().replace(/\/$/, "");
    const res = await fetch(`${url}/interactions`, { method: "POST", headers: scenarios.PING.headers, body: scenarios.PING.body });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${name} answered the first PING with ${res.status}`);
    (startups[name] ??= []).push(performance.now() - t0);
    if (i < STARTS - 1) await mf.dispose();
    else started[name] = { mf, url };
  }
}
const samples = {}; // name → scenario → { latency: [], throughput: [] }
for (let round = 1; round <= ROUNDS; round++) {
  for (const [sname, s] of Object.entries(scenarios)) {
    // The order rotates each round, so no worker is always measured first after a switch.
    const order = Object.entries(started).filter(([name]) => !s.only || s.only.includes(name));
    for (let k = 0; k < (round - 1) % order.length; k++) order.push(order.shift());
    for (const [name, { url }] of order) {
      const latency = await load(url, s, { concurrency: 1, ms: SECONDS * 1000 });
      const throughput = await load(url, s, { concurrency: CONCURRENCY, ms: SECONDS * 1000 });
      const slot = ((samples[name] ??= {})[sname] ??= { latency: [], throughput: [] });
      slot.latency.push(latency);
      slot.throughput.push(throughput);
      const bad = latency.errors + throughput.errors;
      console.log(
        `round ${round}  ${name.padEnd(32)} ${sname.padEnd(11)} p50 ${latency.p50.toFixed(3)} ms  p99 ${latency.p99.toFixed(3)} ms  ` +
          `${throughput.rps.toFixed(0)} req/s @${CONCURRENCY}`,
      );
      if (bad) throw new Error(`${name} ${sname}: ${bad} responses were not 200`);
    }
  }
}
for (const { mf } of Object.values(started)) await mf.dispose();

// Buying: the Buy click (hold + Checkout Session at the Stripe stand-in) and the
// checkout.session.completed webhook that makes the order, one request at a time, with the
// D1 round trips each made before answering (the worker logs them: `d1_round_trips`).
const buying = await benchBuying();
rmSync(persist, { recursive: true, force: true });

async function benchBuying() {
  const { startStandin } = await import("../dev/standin.mjs");
  const standin = await startStandin({ stripeWebhookSecret: "whsec_bench", stripeSecretKey: "sk_test_bench", discordBotToken: "bench-bot", discordClientSecret: "bench-client-secret" });
  const logs = [];
  const w = workers["C500 (Rust)"];
  const mf = new Miniflare({
    modules: true, scriptPath: w.scriptPath, modulesRoot: w.modulesRoot,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: "2026-04-26", d1Databases: { DB: dbId }, d1Persist: d1PersistDir(persist), kvNamespaces: ["KV"], ratelimits: { CLICKS: { simple: { limit: 1, period: 10 } } }, durableObjects: { CHECKOUT_PACE: "CheckoutPace" },
    bindings: {
      DISCORD_PUBLIC_KEY: key.publicHex(), PUBLIC_BASE_URL: "http://bench.local", DISCORD_APPLICATION_ID: "1100000000000000001",
      DISCORD_BOT_TOKEN: "bench-bot", STRIPE_SECRET_KEY: "sk_test_bench", STRIPE_WEBHOOK_SECRET: "whsec_bench", ...standin.bases,
      DISCORD_CLIENT_SECRET: "bench-client-secret", LINK_SIGNING_SECRET: "bench-link-signing-secret",
    },
    handleRuntimeStdio(stdout, stderr) {
      let buf = "";
      stdout.on("data", (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          try {
            const j = JSON.parse(line.slice(line.indexOf("{")));
            if ("d1_round_trips" in j) logs.push(j);
          } catch {}
        }
      });
      stderr.resume();
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  standin.setWorkerUrl(url);
  standin.state.autoWebhooks = false;
  const db = await mf.getD1Database("DB");
  const now = Date.now();
  await db.batch([
    db.prepare("INSERT INTO users (discord_id, username, created_at, updated_at) VALUES ('2900000000000000001', 'benchseller', ?1, ?1)").bind(now),
    db.prepare(`INSERT INTO builders (discord_id, handle, approved, stripe_account_id, charges_enabled, payouts_enabled, details_submitted, created_at, updated_at)
      VALUES ('2900000000000000001', 'benchseller', 1, 'acct_bench', 1, 1, 1, ?1, ?1)`).bind(now),
    db.prepare(`INSERT INTO listings (id, seller_id, guild_id, channel_id, message_id, kind, title, description, price_cents, shipping_cents, quantity, stock, created_at, updated_at)
      VALUES ('D-BENCH000', '2900000000000000001', '1500000000000000001', '1600000000000000001', NULL, 'ready_to_ship', 'Bench Board', 'A board.', 9900, 1500, 999, 999, ?1, ?1)`).bind(now),
  ]);
  const N = args.includes("--quick") ? 40 : 200;
  const clickLatency = [];
  const sessions = [];
  for (let i = 0; i < N + 10; i++) {
    const body = JSON.stringify({
      type: 3, id: String(i), application_id: "1100000000000000001", token: `bench-${i}`, version: 1, guild_id: "1500000000000000001", channel_id: "1600000000000000001",
      member: { user: { id: `39000000000${String(i).padStart(8, "0")}`, username: "b" }, roles: [], permissions: "0" },
      message: { id: "1", channel_id: "1600000000000000001" }, data: { custom_id: "c5:v1:buy:D-BENCH000", component_type: 2 },
    });
    const t0 = performance.now();
    const res = await fetch(`${url}/interactions`, { method: "POST", headers: key.headers(body), body });
    const reply = await res.json();
    const ms = performance.now() - t0;
    const link = reply.data?.components?.[0]?.components?.[0]?.url;
    if (!link) throw new Error(`Buy click did not give a Checkout link: ${JSON.stringify(reply)}`);
    if (i >= 10) clickLatency.push(ms); // the first 10 warm up
    sessions.push(link.split("/").pop());
  }
  const webhookLatency = [];
  for (const [i, id] of sessions.entries()) {
    const session = standin.paySession(id);
    const payload = JSON.stringify({ id: `evt_bench_${i}`, object: "event", type: "checkout.session.completed", created: Math.floor(Date.now() / 1000), livemode: false, data: { object: session } });
    const { default: Stripe } = await import("stripe");
    const header = new Stripe("sk_test_bench").webhooks.generateTestHeaderString({ payload, secret: "whsec_bench" });
    const t0 = performance.now();
    const res = await fetch(`${url}/webhooks/stripe`, { method: "POST", headers: { "stripe-signature": header, "content-type": "application/json" }, body: payload });
    await res.text();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    if (i >= 10) webhookLatency.push(performance.now() - t0);
    // Let the outbox delivery (after the response) finish, so its D1 calls aren't counted
    // against the next request: every job delivered, including those waiting for room under
    // Discord's global limit (src/discord/ratelimit.rs, 45 bot calls a second). A drop's
    // coalesced embed edit may wait its 5 s (store::outbox::EMBED_EVERY_MS): it is waited
    // for only when due.
    for (let t = 0; t < 300; t++) {
      const pending = (await db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND (next_attempt_at <= ?1 OR dedupe_key NOT LIKE 'embed:%')").bind(Date.now()).first()).n;
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 300));
  const trips = (event) => [...new Set(logs.filter((l) => l.event === event && (event !== "stripe_webhook" || l.type === "checkout.session.completed")).map((l) => l.d1_round_trips))];
  const stat = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { p50: s[Math.floor(s.length / 2)], p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))], n: s.length };
  };
  const buyTrips = trips("buy_done");
  const webhookTrips = trips("stripe_webhook");
  logs.length = 0;
  // The site's pages (issue 12): the drop page signed out (public) and signed in (the
  // session read, then the page's batch), and the builder's dashboard over the orders above.
  const cookie = await signInBench(url, standin, "2900000000000000001");
  const pages = {};
  for (const [name, path, headers] of [
    ["drop page", "/drops/D-BENCH000", {}],
    ["drop page, signed in", "/drops/D-BENCH000", { cookie }],
    ["dashboard (200 orders)", "/dashboard", { cookie }],
  ]) {
    const latency = [];
    for (let i = 0; i < N + 10; i++) {
      const t0 = performance.now();
      const res = await fetch(`${url}${path}`, { headers });
      const html = await res.text();
      if (res.status !== 200 || (headers.cookie && !html.includes('name="csrf"'))) throw new Error(`${path} answered ${res.status}`);
      if (i >= 10) latency.push(performance.now() - t0);
    }
    pages[name] = { ...stat(latency), trips: trips(`page_${path === "/dashboard" ? "dashboard" : "drop"}`) };
    logs.length = 0;
  }
  // The dashboard as a builder first sees it: a new session each view, so nothing is kept
  // (the one batch read every time; the sign-in is outside the timing).
  {
    const latency = [];
    for (let i = 0; i < N + 10; i++) {
      const fresh = await signInBench(url, standin, "2900000000000000001");
      const t0 = performance.now();
      const res = await fetch(`${url}/dashboard`, { headers: { cookie: fresh } });
      const html = await res.text();
      if (res.status !== 200 || !html.includes('name="csrf"') || res.headers.get("x-c500-cache") !== "miss") throw new Error(`/dashboard answered ${res.status}, ${res.headers.get("x-c500-cache")}`);
      if (i >= 10) latency.push(performance.now() - t0);
    }
    pages["dashboard (200 orders), a session's first view"] = { ...stat(latency), trips: trips("page_dashboard") };
    logs.length = 0;
  }
  const orders = (await db.prepare("SELECT COUNT(*) AS n FROM orders WHERE listing_id = 'D-BENCH000'").first()).n;
  await mf.dispose();
  await standin.close();
  if (orders !== sessions.length) throw new Error(`expected ${sessions.length} orders, found ${orders}`);
  return { click: { ...stat(clickLatency), trips: buyTrips }, webhook: { ...stat(webhookLatency), trips: webhookTrips }, pages };
}

/** Signs in on the bench worker as `id` through the real round trip (the stand-in consents). */
async function signInBench(url, standin, id) {
  const start = await fetch(`${url}/signin?next=/dashboard`, { redirect: "manual" });
  const consent = new URL(start.headers.get("location"));
  const nonce = start.headers.getSetCookie().find((c) => c.startsWith("c500_signin=")).split(";")[0];
  const authorize = await fetch(`${standin.url}/_standin/discord/authorize`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ id, username: "benchseller", state: consent.searchParams.get("state"), redirect_uri: consent.searchParams.get("redirect_uri") }),
  });
  const back = new URL((await authorize.json()).location);
  const done = await fetch(`${url}${back.pathname}${back.search}`, { redirect: "manual", headers: { cookie: nonce } });
  const session = done.headers.getSetCookie().find((c) => c.startsWith("c500_session="));
  if (!session) throw new Error(`bench sign-in failed: ${done.status}`);
  return session.split(";")[0];
}

// The median round of each figure.
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const [name, rows] of Object.entries(samples)) {
  results[name] = {};
  for (const [sname, { latency, throughput }] of Object.entries(rows)) {
    results[name][sname] = {
      latency: { p50: median(latency.map((x) => x.p50)), p99: median(latency.map((x) => x.p99)) },
      throughput: {
        rps: median(throughput.map((x) => x.rps)),
        p50: median(throughput.map((x) => x.p50)),
        p99: median(throughput.map((x) => x.p99)),
      },
    };
  }
}

// Sizes.
const size = (file) => ({ raw: statSync(file).size, gzip: gzipSync(readFileSync(file), { level: 9 }).length });
const c500Wasm = size(workers["C500 (Rust)"].wasm);
const emptyWasm = size(workers["empty Rust worker"].wasm);
const c500Js = size(workers["C500 (Rust)"].scriptPath);
const emptyJs = size(workers["empty Rust worker"].scriptPath);
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;

// Verdicts against the targets in issue #2.
const r = results;
const ratio = (a, b) => a / b;
const startup = Object.fromEntries(Object.entries(startups).map(([name, ms]) => [name, median(ms)]));
const verdicts = [
  ["PING p50 vs JS peer", ratio(r["C500 (Rust)"].PING.latency.p50, r["JS peer (discord-interactions)"].PING.latency.p50), "≤ 1.00"],
  ["/c500 help p50 vs JS peer", ratio(r["C500 (Rust)"]["/c500 help"].latency.p50, r["JS peer (discord-interactions)"]["/c500 help"].latency.p50), "≤ 1.00"],
  ["PING req/s vs JS peer", ratio(r["C500 (Rust)"].PING.throughput.rps, r["JS peer (discord-interactions)"].PING.throughput.rps), "≥ 1.00"],
  ["GET / p50 vs empty worker", ratio(r["C500 (Rust)"]["GET /"].latency.p50, r["empty Rust worker"]["GET /"].latency.p50), "≤ 1.50"],
  ["drop page p50 vs empty worker", ratio(r["C500 (Rust)"]["drop page"].latency.p50, r["empty Rust worker"]["drop page"].latency.p50), "≤ 1.50"],
  ["drop page signed in p50 vs empty worker", ratio(r["C500 (Rust)"]["drop, signed in"].latency.p50, r["empty Rust worker"]["drop, signed in"].latency.p50), "≤ 1.50"],
  ["dashboard p50 vs empty worker", ratio(r["C500 (Rust)"].dashboard.latency.p50, r["empty Rust worker"].dashboard.latency.p50), "≤ 1.50"],
  ["start-up vs JS peer", ratio(startup["C500 (Rust)"], startup["JS peer (discord-interactions)"]), "≤ 1.50"],
  [".wasm gzip -9 (KiB)", c500Wasm.gzip / 1024, "≤ 400"],
];

const fmt = (x) => x.toFixed(3);
let md = `# Benchmark\n\nWritten by \`make bench\` on ${new Date().toISOString().slice(0, 10)} (${process.platform}, Node ${process.version}, ` +
  `${(await import("node:os")).cpus().length} cores). Each worker runs alone in workerd through Miniflare; the load generator ` +
  `(bench/bench.mjs, keep-alive HTTP/1.1 on loopback, ${WARMUP_MS} ms warm-up) talks to Miniflare's entry socket, not wrangler dev's proxy. ` +
  `Latency is measured with one client (unloaded); throughput with ${CONCURRENCY} clients in a closed loop; ${SECONDS} s each; the three workers run side by side and are measured interleaved over ${ROUNDS} rounds (the order rotating each round), each figure being the median round. ` +
  `The JS peer answers /c500 help with C500's exact reply bytes. ` +
  `The empty worker answers every route with a fixed body, so its GET / is the floor for a page.\n\n`;
md += `| worker | request | p50 (ms) | p99 (ms) | req/s @${CONCURRENCY} | p50 @${CONCURRENCY} (ms) | p99 @${CONCURRENCY} (ms) |\n|---|---|---:|---:|---:|---:|---:|\n`;
for (const [name, rows] of Object.entries(results)) {
  for (const [sname, { latency, throughput }] of Object.entries(rows)) {
    md += `| ${name} | ${sname} | ${fmt(latency.p50)} | ${fmt(latency.p99)} | ${throughput.rps.toFixed(0)} | ${fmt(throughput.p50)} | ${fmt(throughput.p99)} |\n`;
  }
}
md += `\n## Targets\n\n| check | value | target | |\n|---|---:|---|---|\n`;
for (const [name, value, target] of verdicts) {
  const ok = target.startsWith("≤") ? value <= Number(target.slice(2)) : value >= Number(target.slice(2));
  md += `| ${name} | ${value.toFixed(2)} | ${target} | ${ok ? "met" : "**not met**"} |\n`;
}
md += `\n## Buying\n\nOne request at a time against C500 with the Stripe and Discord stand-ins on loopback (the click's time includes `;
md += `creating the Checkout Session there). D1 round trips are counted by the worker itself (\`store::take_round_trips\`, logged as \`d1_round_trips\`); `;
md += `the webhook's outbox delivery runs after its response (waitUntil) and is not in its count.\n\n`;
md += `| request | n | p50 (ms) | p99 (ms) | D1 round trips | target | |\n|---|---:|---:|---:|---|---|---|\n`;
const tripsOk = (trips, max) => trips.length > 0 && trips.every((t) => t <= max);
md += `| Buy click (hold + Checkout) | ${buying.click.n} | ${fmt(buying.click.p50)} | ${fmt(buying.click.p99)} | ${buying.click.trips.join(", ")} | ≤ 2 | ${tripsOk(buying.click.trips, 2) ? "met" : "**not met**"} |\n`;
md += `| checkout.session.completed | ${buying.webhook.n} | ${fmt(buying.webhook.p50)} | ${fmt(buying.webhook.p99)} | ${buying.webhook.trips.join(", ")} | 1 batch | ${tripsOk(buying.webhook.trips, 1) ? "met" : "**not met**"} |\n`;
md += `\n## Pages\n\nThe rounds above measure the drop page (the demo drop, signed out and signed in as its builder) and the builder's `;
md += `dashboard against the empty worker (the same request, a fixed body). Here, one request at a time (\`fetch\`) against the worker `;
md += `of "Buying" after its sales (200 paid orders on one drop), with the D1 round trips each page made, counted by the worker. `;
md += `Signed out and signed in alike, the drop page is rendered from facts the isolate keeps (one round trip to read them, 0 once kept: the "1, 0" below); a signed-in visitor's session is kept as alive for \`PAGE_CACHE_SECONDS\`, and every form post reads it from D1 again (docs/security.md). The dashboard's session check is in its one batch, and the isolate keeps what that batch read for the session for \`PAGE_CACHE_SECONDS\` (never served older; a change made on the dashboard, signing out and a ban in that isolate forget it): the rounds above and the row "dashboard (200 orders)" repeat one session's view (1 round trip, then 0), and "a session's first view" signs in anew before each view, so its one batch is read every time.\n\n`;
md += `| page | n | p50 (ms) | p99 (ms) | D1 round trips | target | |\n|---|---:|---:|---:|---|---|---|\n`;
for (const [name, p] of Object.entries(buying.pages)) {
  md += `| ${name} | ${p.n} | ${fmt(p.p50)} | ${fmt(p.p99)} | ${p.trips.join(", ")} | ≤ 2 | ${tripsOk(p.trips, 2) ? "met" : "**not met**"} |\n`;
}
md += `\n## Size and start-up\n\n| | raw | gzip -9 |\n|---|---:|---:|\n`;
md += `| C500 .wasm | ${kb(c500Wasm.raw)} | ${kb(c500Wasm.gzip)} |\n| C500 JS entry + glue (shim.mjs) | ${kb(c500Js.raw)} | ${kb(c500Js.gzip)} |\n`;
md += `| empty worker JS entry + glue | ${kb(emptyJs.raw)} | ${kb(emptyJs.gzip)} |\n`;
md += `| empty worker .wasm | ${kb(emptyWasm.raw)} | ${kb(emptyWasm.gzip)} |\n\n`;
md += `| worker | start to first response (ms, median of ${STARTS}) |\n|---|---:|\n`;
for (const [name, ms] of Object.entries(startup)) md += `| ${name} | ${ms.toFixed(0)} |\n`;
md += `\nStart-up is \`new Miniflare()\` to the first PING answered (the same signed request for all three, no D1): it includes starting workerd, compiling the module and instantiating Wasm. Each worker is started ${STARTS} times, interleaved with the others.\n`;
mkdirSync(path.join(ROOT, "docs"), { recursive: true });
// The sections other benches write (bench/storm.mjs::writeSection: the hot drop, the raffle,
// the D1 time of Buy) are kept, so this bench run alone does not drop them.
const benchFile = path.join(ROOT, "docs/bench.md");
const others = (existsSync(benchFile) ? readFileSync(benchFile, "utf8") : "")
  .split(/\n(?=## )/)
  .slice(1)
  .filter((section) => !md.includes(`\n${section.slice(0, section.indexOf("\n"))}\n`));
writeFileSync(benchFile, [md.trimEnd(), ...others.map((x) => x.trimEnd())].join("\n\n") + "\n");
console.log("\n" + md);
