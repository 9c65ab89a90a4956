// The black-box harness: the built worker in workerd (Miniflare, the runtime's own entry
// socket) with a local D1 migrated by the real wrangler CLI, a local KV, and the stand-ins.
import { Miniflare } from "miniflare";
import assert from "node:assert/strict";
import { validateInteractionResponse } from "../dev/discord-spec.mjs";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startStandin } from "../dev/standin.mjs";
import { TestKey } from "../dev/keys.mjs";
import { applyMigrations, d1PersistDir, ROOT } from "../dev/migrate.mjs";

export const STRIPE_WEBHOOK_SECRET = "whsec_test_harness";
/** The Connect endpoint's secret: the worker is configured with both, comma separated. */
export const STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_test_harness_connect";
export const STRIPE_SECRET_KEY = "sk_test_harness";
export const HQ_GUILD_ID = "1200000000000000001";
export const RATELIMITS = { CLICKS: { simple: { limit: 1, period: 10 } } };
// As wrangler.toml's [[durable_objects.bindings]] (the Checkout pace, src/pace.rs).
export const DURABLE_OBJECTS = { CHECKOUT_PACE: "CheckoutPace" };
export const DISCORD_BOT_TOKEN = "harness-bot-token";
export const DISCORD_CLIENT_SECRET = "harness-discord-client-secret";
export const APPLICATION_ID = "1100000000000000001";

/**
 * The static guides and stylesheet (wrangler.toml [assets]) rendered for this base URL by the
 * same src/bin/site.rs the build runs, once per base and process.
 */
const siteDirs = new Map();
function siteAssets(base) {
  if (!siteDirs.has(base)) {
    const dir = mkdtempSync(path.join(tmpdir(), "c500-site-"));
    execFileSync("cargo", ["run", "--quiet", "--bin", "site", "--", dir, base], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    siteDirs.set(base, dir);
  }
  return siteDirs.get(base);
}

function databaseId() {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  return toml.match(/database_id\s*=\s*"([^"]+)"/)[1];
}

export async function startWorker({ bindings = {}, durableObjects = DURABLE_OBJECTS } = {}) {
  const script = path.join(ROOT, "build/worker/shim.mjs");
  if (!existsSync(script)) throw new Error("build/worker/shim.mjs is missing: run `make build` (make test does)");
  const persist = mkdtempSync(path.join(tmpdir(), "c500-test-"));
  applyMigrations(persist);

  const key = new TestKey();
  const logs = [];
  const standin = await startStandin({
    stripeWebhookSecret: STRIPE_WEBHOOK_SECRET,
    stripeSecretKey: STRIPE_SECRET_KEY,
    discordBotToken: DISCORD_BOT_TOKEN,
    discordClientId: APPLICATION_ID,
    discordClientSecret: DISCORD_CLIENT_SECRET,
    twitchClientId: "harness-twitch-client",
    twitchClientSecret: "harness-twitch-secret",
  });
  const base = bindings.PUBLIC_BASE_URL ?? "http://c500.test";
  const mf = new Miniflare({
    // As wrangler.toml's [assets]: static files first, every other path to the worker.
    // (A test of a malformed PUBLIC_BASE_URL gets the default's files: the build would refuse it.)
    assets: { directory: siteAssets(/^https?:\/\//.test(base) ? base : "http://c500.test"), routerConfig: { has_user_worker: true } },
    modules: true,
    scriptPath: script,
    modulesRoot: path.dirname(script),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: "2026-04-26",
    d1Databases: { DB: databaseId() },
    d1Persist: d1PersistDir(persist),
    kvNamespaces: ["KV"],
    kvPersist: false,
    // As wrangler.toml's [[ratelimits]] (the button-storm limit, src/clients/clicks.rs).
    ratelimits: RATELIMITS,
    durableObjects,
    // The worker's log lines go on to this process's output, and its JSON events are kept
    // (w.logs) for tests that count what the worker did.
    handleRuntimeStdio(stdout, stderr) {
      for (const [stream, out] of [[stdout, process.stdout], [stderr, process.stderr]]) {
        let pending = "";
        stream.on("data", (chunk) => {
          out.write(chunk);
          pending += chunk;
          let end;
          while ((end = pending.indexOf("\n")) >= 0) {
            const line = pending.slice(0, end);
            pending = pending.slice(end + 1);
            const at = line.indexOf("{");
            if (at < 0) continue;
            try {
              logs.push(JSON.parse(line.slice(at)));
            } catch {
              // not one of ours
            }
          }
        });
      }
    },
    bindings: {
      DISCORD_APPLICATION_ID: APPLICATION_ID,
      DISCORD_PUBLIC_KEY: key.publicHex(),
      DISCORD_BOT_TOKEN,
      DISCORD_CLIENT_SECRET,
      STRIPE_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: `${STRIPE_WEBHOOK_SECRET},${STRIPE_CONNECT_WEBHOOK_SECRET}`,
      TWITCH_CLIENT_ID: "harness-twitch-client",
      TWITCH_CLIENT_SECRET: "harness-twitch-secret",
      TWITCH_EVENTSUB_SECRET: "harness-eventsub-secret",
      LINK_SIGNING_SECRET: "harness-link-signing-secret",
      PUBLIC_BASE_URL: base,
      // Short, so tests can watch the landing page cache expire and refresh.
      PAGE_CACHE_SECONDS: "1",
      HQ_GUILD_ID,
      HQ_CHANNEL_ID: "1200000000000000002",
      ADMIN_USER_IDS: "1300000000000000001",
      ...standin.bases,
      ...bindings,
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  standin.setWorkerUrl(url);
  const db = await mf.getD1Database("DB");

  return {
    mf,
    url,
    base,
    db,
    key,
    standin,
    logs,
    /** A raw POST /interactions with the given body string and headers. */
    async postInteraction(body, headers) {
      return mf.dispatchFetch(`${url}/interactions`, { method: "POST", headers, body });
    },
    /** A correctly signed interaction. */
    async interact(payload) {
      const body = JSON.stringify(payload);
      return mf.dispatchFetch(`${url}/interactions`, { method: "POST", headers: key.headers(body), body });
    },
    async get(p, init) {
      return mf.dispatchFetch(`${url}${p}`, init);
    },
    /** GET a page the isolate keeps (the landing page, a drop page) once its copy
     *  (PAGE_CACHE_SECONDS=1) has certainly expired and been rendered again. */
    async uncached(p = "/") {
      await new Promise((r) => setTimeout(r, 1100));
      await (await mf.dispatchFetch(`${url}${p}`)).text(); // serves stale, refreshes in the background
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const res = await mf.dispatchFetch(`${url}${p}`);
        if (res.headers.get("x-c500-cache") !== "stale") return res;
        await res.text();
      }
      return mf.dispatchFetch(`${url}${p}`);
    },
    /** GET / once the page cache has certainly expired. */
    async uncachedLanding() {
      return this.uncached("/");
    },
    async close() {
      await mf.dispose();
      await standin.close();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

let seq = 0;
/** The envelope Discord puts around every interaction, from a member in a server. */
function envelope(type, data, { userId = "1400000000000000001", guildId = "1500000000000000001" } = {}) {
  seq += 1;
  return {
    type,
    id: `17000000000000${String(seq).padStart(5, "0")}`,
    application_id: APPLICATION_ID,
    token: `interaction-token-${seq}`,
    version: 1,
    guild_id: guildId,
    channel_id: "1600000000000000001",
    locale: "en-US",
    member: { user: { id: userId, username: "cozybuyer", global_name: "Cozy Buyer" }, roles: [], permissions: "0" },
    data,
  };
}

/** An APPLICATION_COMMAND interaction for `/c500 <path…>` (or `command`), shaped like Discord sends it. */
export function slashCommand(path, { options = [], command = "c500", ...who } = {}) {
  let leaf = { type: 1, name: path[path.length - 1], options };
  if (path.length === 2) leaf = { type: 2, name: path[0], options: [leaf] };
  return envelope(2, { id: "1700000000000000001", name: command, type: 1, options: path.length ? [leaf] : [] }, who);
}

/** HQ's `/c500-hq <sub>`, from the HQ guild (the only place it is registered). */
export function hqCommand(sub, { guildId = HQ_GUILD_ID, ...rest } = {}) {
  return slashCommand([sub], { command: "c500-hq", guildId, ...rest });
}

/**
 * Waits, if need be, until a fresh 10 s window of the CLICKS rate limit has begun (Miniflare
 * counts in fixed windows of the wall clock), so a burst of clicks falls in one window.
 */
export async function freshWindow(periodMs = RATELIMITS.CLICKS.simple.period * 1000, spanMs = 3000) {
  const left = periodMs - (Date.now() % periodMs);
  if (left < spanMs) await new Promise((r) => setTimeout(r, left + 20));
}

/** A button click on a message. */
export function component(customId, who = {}) {
  return {
    ...envelope(3, { custom_id: customId, component_type: 2 }, who),
    message: { id: "1900000000000000001", channel_id: "1600000000000000001" },
  };
}

/** A button click in a DM with the bot: Discord sends `user`, no guild and no member. */
export function dmComponent(customId, who = {}) {
  const payload = component(customId, who);
  delete payload.guild_id;
  payload.user = payload.member.user;
  delete payload.member;
  return payload;
}

/** A click answered at once (type 4, no Stripe call slow enough to defer): its message
 *  (`roles`: the clicker's roles in the server, as Discord sends them with a click). */
export async function clickReply(w, customId, userId, { dm = false, roles } = {}) {
  const payload = (dm ? dmComponent : component)(customId, { userId });
  if (roles) payload.member.roles = roles;
  const res = await w.interact(payload);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.type, 4, JSON.stringify(body));
  return body.data;
}

/** A modal submission of the drop form (custom_id carries the slash options). */
export function dropForm(customId, fields, who = {}) {
  const i = slashCommand(["drop"], who);
  i.type = 5;
  i.data = {
    custom_id: customId,
    components: Object.entries(fields).map(([id, value]) => ({ type: 1, components: [{ type: 4, custom_id: id, value }] })),
  };
  return i;
}

/** A certified builder with an enabled Stripe account (or as told). */
export async function makeSeller(w, id, { approved = 1, account = `acct_${id.slice(-6)}`, enabled = 1 } = {}) {
  const now = Date.now();
  await w.db.batch([
    w.db.prepare("INSERT OR IGNORE INTO users (discord_id, username, created_at, updated_at) VALUES (?1, 'seller', ?2, ?2)").bind(id, now),
    w.db
      .prepare(
        `INSERT OR REPLACE INTO builders (discord_id, handle, approved, stripe_account_id, charges_enabled, payouts_enabled, details_submitted, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?6, ?6)`,
      )
      .bind(id, `seller-${id.slice(-4)}`, approved, account, enabled, now),
  ]);
}

let drops = 0;
/** Posts a drop through the real /c500 drop form (`limit`: units per buyer; `raffle`: hours of entries, `minAge`: its
 *  account-age gate in days); returns its listing row. */
export async function postDrop(w, seller, { kind = "r", quantity = 1, shipping = 0, lead = 0, guild = "builder", release = 0, price = "120", title, limit, raffle, minAge } = {}) {
  drops += 1;
  const name = title ?? `Test Board ${drops}`;
  const res = await w.interact(
    dropForm(`c5:v1:drop:${kind}.${quantity}.${shipping}.${lead}.${guild}.${release}${limit ? `.l${limit}` : ""}${raffle ? `.r${raffle}` : ""}${minAge ? `.a${minAge}` : ""}`,
      { item_title: name, price, description: "Lubed, filmed, tuned.", image_url: "", specs: "" }, { userId: seller }),
  );
  const body = await res.json();
  if (!/live/.test(body.data?.embeds?.[0]?.title ?? "")) throw new Error(`drop not posted: ${JSON.stringify(body)}`);
  return w.db.prepare("SELECT * FROM listings WHERE title = ?1").bind(name).first();
}

/** Polls `fn` until it returns something truthy (delivery after the response is async). */
export async function waitFor(fn, { timeout = 8000, interval = 25, what = "condition" } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Runs the cron handler once, as the `* * * * *` trigger would. */
export async function runCron(w) {
  const worker = await w.mf.getWorker();
  return worker.scheduled({ cron: "* * * * *" });
}

/** Time passes for unanswered money claims and unsettled facts (cron finishes those older
 *  than a minute: a request that claimed them has certainly ended). */
export async function ageClaims(w, ms = 120_000) {
  await w.db.batch([
    w.db.prepare("UPDATE ledger SET updated_at = updated_at - ?1 WHERE status = 'pending'").bind(ms),
    w.db.prepare("UPDATE orders SET updated_at = updated_at - ?1 WHERE money_dirty = 1 OR escrow IN ('releasing', 'refunding', 'reversing')").bind(ms),
  ]);
}

/** Runs the daily cron (the Owed collection and reconciliation). */
export async function runDailyCron(w) {
  const worker = await w.mf.getWorker();
  return worker.scheduled({ cron: "17 4 * * *" });
}

/** POST to a stand-in control route. */
export async function control(w, route, body = {}) {
  const res = await fetch(`${w.standin.url}/_standin${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return res.json();
}

/** Sends a signed interaction; checks the answer is a 200 valid against Discord's spec. */
/** Whether a reply says its real answer is on the way (a Buy whose unit is held while its
 *  Checkout waits for a turn: "your secure checkout link is being made"), to be edited in. */
export function isInterim(message) {
  return /checkout link is being made/.test(message?.embeds?.[0]?.description ?? "");
}

/** The buyer's final message for a click whose work may be deferred: the immediate reply
 *  (type 4), or the edit of the deferred one (type 5, or an interim type 4, then PATCH
 *  …/@original). The answer is checked against Discord's spec. */
export async function finalReply(w, payload, { timeout = 25000 } = {}) {
  const body = await validReply(w, payload);
  if (body.type === 4 && !isInterim(body.data)) return body.data;
  assert.ok(body.type === 5 || body.type === 4, JSON.stringify(body));
  const edit = await waitFor(
    () => w.standin.state.calls.find((c) => c.service === "discord" && c.method === "PATCH" && c.path.includes(`/${payload.token}/messages/@original`)),
    { timeout, what: "the deferred reply's edit" },
  );
  return edit.body;
}

export async function validReply(w, payload) {
  const res = await w.interact(payload);
  assert.equal(res.status, 200);
  const body = await res.json();
  const check = validateInteractionResponse(body);
  assert.ok(check.ok, check.errors.join("; ") + JSON.stringify(body));
  return body;
}

/** The value of cookie `name` among a response's Set-Cookie headers (and the header itself). */
export function setCookie(res, name) {
  const header = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return header ? { header, value: header.slice(name.length + 1).split(";")[0] } : null;
}

/**
 * Signs in on the site as Discord user `id` through the real round trip: /signin (its state
 * and browser-binding cookie), the stand-in's consent (as the Authorize click), the callback.
 * Returns the Cookie header to send, and the callback's response.
 */
export async function signIn(w, { id, username = "cozybuyer", next = "/me" } = {}) {
  const start = await w.get(`/signin?next=${encodeURIComponent(next)}`, { redirect: "manual" });
  assert.equal(start.status, 302);
  const consent = new URL(start.headers.get("location"));
  const nonce = setCookie(start, "c500_signin");
  assert.ok(nonce, "the sign-in sets its browser-binding cookie");
  const { location } = await control(w, "/discord/authorize", {
    id,
    username,
    state: consent.searchParams.get("state"),
    redirect_uri: consent.searchParams.get("redirect_uri"),
  });
  const callback = new URL(location);
  const res = await w.get(`${callback.pathname}${callback.search}`, { redirect: "manual", headers: { cookie: `c500_signin=${nonce.value}` } });
  const session = setCookie(res, "c500_session");
  return { cookie: session ? `c500_session=${session.value}` : null, res, consent, nonce: nonce.value, callback };
}

/** The CSRF token in a page's forms. */
export function csrfOf(html) {
  return html.match(/name="csrf" value="([0-9a-f]{64})"/)?.[1];
}

/** A form post from a signed-in browser (`cookie`), with the site's own Origin unless told. */
export async function webPost(w, path, fields, { cookie, origin = w.base } = {}) {
  const headers = { "content-type": "application/x-www-form-urlencoded" };
  if (cookie) headers.cookie = cookie;
  if (origin) headers.origin = origin;
  return w.get(path, { method: "POST", redirect: "manual", headers, body: new URLSearchParams(fields).toString() });
}

/** A paid order whose money C500 still holds: what Stripe charged, refunded and transferred
 *  for it (the stand-in's objects) against what the order says. */
export function assertHeldMoney(w, order) {
  const pi = w.standin.stripeObjects.get(order.payment_intent_id);
  const charge = w.standin.stripeObjects.get(pi.latest_charge);
  const objects = [...w.standin.stripeObjects.values()];
  const transferred = objects.filter((x) => x.object === "transfer" && x.transfer_group === order.id).reduce((s, t) => s + t.amount - t.amount_reversed, 0);
  assert.equal(charge.amount, order.gross_cents, "charged what the order says");
  assert.ok(charge.amount_refunded + transferred <= charge.amount, "refunds + transfers − reversals ≤ charged");
  assert.equal(order.escrow, "held");
  assert.equal(transferred, 0, "nothing paid out before the build is proven");
}
