// The hot-drop storm (issue 11's benchmark): BUYERS distinct buyers click Buy on a UNITS-unit
// drop within one second (IN_FLIGHT at a time), against the stand-ins with Stripe's live-mode
// limits enforced (429 beyond 100 requests/s overall or 25/s on one endpoint). Measured: the
// first answer's latency, what each buyer was finally told (a Checkout link, sold out, "try
// again", nothing), units oversold, the time until every unit's buyer has a link against the
// floor Stripe's budget sets (UNITS / 25 per second), and an unrelated GET / and webhook
// during the storm against idle. Writes its section of docs/bench.md (`make bench` runs it
// after bench.mjs; `node bench/hot-drop.mjs` alone replaces the section).
import { startWorker, component, makeSeller, postDrop, isInterim } from "../tests/harness.mjs";
import { storm, pct, ms, writeSection } from "./storm.mjs";

const BUYERS = Number(process.env.HOT_BUYERS ?? 2000);
const UNITS = Number(process.env.HOT_UNITS ?? 300);
const IN_FLIGHT = Number(process.env.HOT_IN_FLIGHT ?? 250);
const SPREAD_MS = 1000;
const STRIPE = { global: 100, perEndpoint: 25 };
const SELLER = "2700000000000000001";
// HOT_RATE sets CHECKOUTS_PER_SECOND (the deployment's default otherwise).
const w = await startWorker({ bindings: process.env.HOT_RATE ? { CHECKOUTS_PER_SECOND: process.env.HOT_RATE } : {} });
try {
  await makeSeller(w, SELLER);
  const drop = await postDrop(w, SELLER, { price: "100", quantity: UNITS, title: "Hot Drop Board" });
  w.standin.state.stripeRateLimit = STRIPE;
  // Discord's limits, emulated: its global 50 bot-token calls a second, and the per-route
  // buckets on channel messages (5 per 5 s here: Discord states its buckets only in headers).
  w.standin.state.discordGlobal = { perSecond: 50 };
  w.standin.state.discordBucket = { limit: 5, resetAfterMs: 5000 };

  // Idle baselines for the unrelated requests.
  const webhook = async () => {
    const t = performance.now();
    await w.standin.sendStripeEvent({ type: "customer.created", object: { id: `cus_bench${Math.random().toString(36).slice(2, 10)}`, object: "customer" } });
    return performance.now() - t;
  };
  const page = async () => {
    const t = performance.now();
    const res = await fetch(`${w.url}/?q=bench${Math.floor(Math.random() * 1e6)}`); // uncached: a real D1 read
    await res.text();
    return performance.now() - t;
  };
  const idle = { page: [], webhook: [] };
  for (let i = 0; i < 40; i++) {
    idle.page.push(await page());
    idle.webhook.push(await webhook());
  }

  // The storm: every click signed, spread over SPREAD_MS, at most IN_FLIGHT at a time, while
  // a page and a webhook are timed alongside.
  const buyers = Array.from({ length: BUYERS }, (_, i) => `4${String(i).padStart(18, "0")}`);
  const during = { page: [], webhook: [] };
  let storming = true;
  const sideLoad = (async () => {
    while (storming) {
      during.page.push(await page());
      during.webhook.push(await webhook());
    }
  })();
  const { sent: clicks, start, maxInFlight } = await storm(w, buyers.map((b) => component(`c5:v1:buy:${drop.id}`, { userId: b })), { spreadMs: SPREAD_MS, inFlight: IN_FLIGHT });

  // Deferred answers, and the interim "you're in" of a held unit waiting for its Checkout,
  // are edited in later (PATCH .../messages/@original): wait for them.
  const finalMessage = (c) => {
    const edits = w.standin.state.calls.filter((x) => x.service === "discord" && x.method === "PATCH" && x.path.includes(`/${c.token}/messages/@original`));
    if (edits.length) return edits.at(-1).body;
    return c.reply?.type === 4 && !isInterim(c.reply.data) ? c.reply.data : undefined;
  };
  const linkOf = (m) => JSON.stringify(m ?? {}).match(/\/_standin\/stripe\/checkout\/cs_[A-Za-z0-9_]+/)?.[0];
  const deadline = performance.now() + 60_000;
  for (;;) {
    const pending = clicks.filter((c) => (c.reply?.type === 5 || (c.reply?.type === 4 && isInterim(c.reply.data))) && !finalMessage(c));
    if (!pending.length || performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  storming = false;
  await sideLoad;

  // When each buyer got their link: with the immediate answer, or when the edit arrived.
  const linkAt = (c) => {
    if (c.reply?.type === 4 && linkOf(c.reply.data)) return c.answeredAt;
    const edit = w.standin.state.calls.find((x) => x.service === "discord" && x.method === "PATCH" && x.path.includes(`/${c.token}/messages/@original`) && linkOf(x.body));
    return edit ? edit.at - (Date.now() - performance.now()) : undefined;
  };
  const outcomes = {};
  const firstAnswer = [];
  const linkTimes = [];
  for (const c of clicks) {
    if (c.answeredAt) firstAnswer.push(c.answeredAt - c.sentAt);
    const m = finalMessage(c);
    const title = m?.embeds?.[0]?.title ?? (c.error ? "no answer (network)" : c.status !== 200 ? `HTTP ${c.status}` : "no final answer");
    const kind = linkOf(m) ? "Checkout link" : title.replace(/^\W+\s*/u, "");
    outcomes[kind] = (outcomes[kind] ?? 0) + 1;
    const at = linkAt(c);
    if (at !== undefined) linkTimes.push(at - start);
  }
  const held = await w.db.prepare("SELECT COUNT(*) AS n FROM reservations WHERE listing_id = ?1 AND status = 'held'").bind(drop.id).first();
  const listing = await w.db.prepare("SELECT stock FROM listings WHERE id = ?1").bind(drop.id).first();
  const oversold = Math.max(0, held.n - UNITS) + Math.max(0, -listing.stock);
  const allLinked = linkTimes.length >= UNITS ? pct(linkTimes, 100 * (UNITS / linkTimes.length)) : NaN;
  const lastLink = linkTimes.length ? Math.max(...linkTimes) : NaN;
  const floorMs = (UNITS / STRIPE.perEndpoint) * 1000;
  const unanswered = (outcomes["no answer (network)"] ?? 0) + (outcomes["no final answer"] ?? 0);

  const rows = [
    ["clicks (distinct buyers)", BUYERS, ""],
    ["units", UNITS, ""],
    ["most requests in flight", maxInFlight, "≥ 200"],
    ["first answer p50 / p99 / max (ms)", `${ms(pct(firstAnswer, 50))} / ${ms(pct(firstAnswer, 99))} / ${ms(Math.max(...firstAnswer))}`, "all ≤ 3000; p99 < 1000"],
    ["first answers \"you're in, your link is being made\" / deferred (link edited in)", `${clicks.filter((c) => c.reply?.type === 4 && isInterim(c.reply.data)).length} / ${clicks.filter((c) => c.reply?.type === 5).length}`, ""],
    ["units oversold", oversold, "0"],
    ["clicks without an answer or a clear outcome", unanswered, "0"],
    ["buyers with a Checkout link", linkTimes.length, `${UNITS}`],
    [`time until ${UNITS} buyers have a link (ms)`, ms(allLinked), ""],
    ["…as a ratio to Stripe's floor", Number.isFinite(allLinked) ? (allLinked / floorMs).toFixed(2) : "— (not every unit got a link)", `≤ 1.2 (floor ${floorMs} ms at ${STRIPE.perEndpoint} sessions/s)`],
    ["last link (ms)", ms(lastLink), ""],
    ["GET / p99 idle → storm (ms)", `${ms(pct(idle.page, 99))} → ${ms(pct(during.page, 99))} (${(pct(during.page, 99) / pct(idle.page, 99)).toFixed(1)}x)`, "≤ 3x"],
    ["webhook p99 idle → storm (ms)", `${ms(pct(idle.webhook, 99))} → ${ms(pct(during.webhook, 99))} (${(pct(during.webhook, 99) / pct(idle.webhook, 99)).toFixed(1)}x)`, "≤ 3x"],
    ["Stripe 429s answered", w.standin.state.stripeRateLimited.length, ""],
    ["Discord 429s answered (invalid requests)", w.standin.state.discordRateLimited.length, "0"],
  ];
  let md = `## Hot drop\n\nWritten by \`node bench/hot-drop.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${BUYERS} distinct buyers click Buy on a ${UNITS}-unit drop within ${SPREAD_MS} ms (at most ${IN_FLIGHT} requests in flight), the worker in workerd (Miniflare) with local D1 and the stand-ins, Stripe's live-mode limits enforced by the stand-in (${STRIPE.global} requests/s overall, ${STRIPE.perEndpoint}/s per endpoint). docs/scale.md reads these figures.\n\n`;
  md += `| | value | target |\n|---|---:|---|\n`;
  for (const [k, v, t] of rows) md += `| ${k} | ${v} | ${t} |\n`;
  md += `\nWhat the ${BUYERS} buyers were finally told:\n\n| answer | buyers |\n|---|---:|\n`;
  for (const [k, n] of Object.entries(outcomes).sort((a, b) => b[1] - a[1])) md += `| ${k} | ${n} |\n`;
  console.log(md);
  writeSection("## Hot drop", md);
} finally {
  await w.close();
}
