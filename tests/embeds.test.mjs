// A drop's Discord embed under a burst of sales (issue 11.5): its edits are coalesced into
// the drop's one outbox job, so a burst is one edit at once and one more with the final
// stock a few seconds later (store::outbox::EMBED_EVERY_MS), never one edit per sale; the
// later edit is delivered by the drain after a response, not left for the next cron tick.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, component, makeSeller, postDrop, control, waitFor } from "./harness.mjs";

const SELLER = "2500000000000000071";
const EVERY_MS = 5000;
let w;
before(async () => {
  w = await startWorker();
  await makeSeller(w, SELLER);
});
after(async () => {
  await w?.close();
});

const edits = (messageId) =>
  w.standin.state.calls.filter((c) => c.service === "discord" && c.method === "PATCH" && c.path.endsWith(`/messages/${messageId}`));

async function buyAndPay(listing, buyer) {
  await w.interact(component(`c5:v1:buy:${listing}`, { userId: buyer }));
  const hold = await w.db.prepare("SELECT checkout_session_id FROM reservations WHERE listing_id = ?1 AND buyer_id = ?2").bind(listing, buyer).first();
  assert.ok(hold?.checkout_session_id, `buyer ${buyer} got a Checkout`);
  await control(w, `/stripe/checkout/${hold.checkout_session_id}/pay`);
}

test("six sales in a burst: the embed is edited at once, then once more showing Sold out, not six times", async () => {
  const drop = await postDrop(w, SELLER, { price: "50", quantity: 6, title: "Burst Board" });
  const started = Date.now();
  for (let i = 0; i < 6; i++) await buyAndPay(drop.id, `35000000000000001${String(i).padStart(2, "0")}`);
  const burstMs = Date.now() - started;
  const sold = await w.db.prepare("SELECT COUNT(*) AS n FROM orders WHERE listing_id = ?1 AND status = 'paid'").bind(drop.id).first();
  assert.equal(sold.n, 6);
  // The last edit shows the drop sold out; it comes from the drain after a response (no cron here).
  await waitFor(() => edits(drop.message_id).some((c) => /Sold out/.test(JSON.stringify(c.body))), { timeout: EVERY_MS + 5000, what: "the Sold out edit" });
  await new Promise((r) => setTimeout(r, 500));
  const made = edits(drop.message_id);
  // One edit per EMBED_EVERY_MS at most: two for a burst shorter than that.
  assert.ok(made.length <= 1 + Math.ceil(burstMs / EVERY_MS), `${made.length} edits for 6 sales in ${burstMs} ms`);
  assert.ok(made.length < 6, "never one edit per sale");
  assert.match(JSON.stringify(made.at(-1).body), /Sold out/, "the last edit shows the latest state");
  for (const [a, b] of made.slice(1).map((c, i) => [made[i], c])) {
    assert.ok(b.at - a.at >= EVERY_MS - 250, `edits ${b.at - a.at} ms apart`);
  }
  // One outbox row for the drop's embed, done.
  const rows = await w.db.prepare("SELECT status, rearmed FROM outbox WHERE dedupe_key = ?1").bind(`embed:${drop.id}`).all();
  assert.equal(rows.results.length, 1);
  assert.equal(rows.results[0].status, "done");
  assert.ok(rows.results[0].rearmed >= 5, "each later sale re-armed the one job");
});

test("a change long after the last edit is shown at once", async () => {
  const drop = await postDrop(w, SELLER, { price: "50", quantity: 2, title: "Calm Board" });
  await buyAndPay(drop.id, "3500000000000000201");
  await waitFor(() => edits(drop.message_id).length === 1, { what: "the first edit" });
  // Time passes (the last edit is older than EMBED_EVERY_MS).
  await w.db.prepare("UPDATE outbox SET updated_at = updated_at - ?2 WHERE dedupe_key = ?1").bind(`embed:${drop.id}`, EVERY_MS + 1000).run();
  const before = Date.now();
  await buyAndPay(drop.id, "3500000000000000202");
  await waitFor(() => edits(drop.message_id).length === 2, { what: "the second edit" });
  assert.ok(Date.now() - before < EVERY_MS, "not held back");
  assert.match(JSON.stringify(edits(drop.message_id)[1].body), /Sold out/);
});

// Issue 11.5, second half: Discord's buckets are read from its headers, so the outbox waits
// for a route to refill instead of spending 429s (each an "invalid request": 10,000 in ten
// minutes and Discord bans the IP).
test("five drops' edits in one channel, whose bucket allows 2 per 1.5 s: all delivered, no 429", async () => {
  const drops = [];
  for (let i = 0; i < 5; i++) drops.push(await postDrop(w, SELLER, { price: "40", quantity: 3, title: `Bucket Board ${i}` }));
  const channel = drops[0].channel_id;
  assert.ok(drops.every((d) => d.channel_id === channel), "one shop channel");
  await control(w, "/discord/buckets", { limit: 2, resetAfterMs: 1500 });
  try {
    for (const [i, d] of drops.entries()) await buyAndPay(d.id, `35000000000000003${String(i).padStart(2, "0")}`);
    await waitFor(() => drops.every((d) => edits(d.message_id).length >= 1), { timeout: 15000, what: "every drop's edit" }).catch(async (e) => {
      console.log("DEBUG", JSON.stringify((await w.db.prepare("SELECT dedupe_key, status, attempts, next_attempt_at - ?1 AS due_in, last_error, rearmed FROM outbox ORDER BY id DESC LIMIT 20").bind(Date.now()).all()).results));
      console.log("DEBUG calls", JSON.stringify(w.standin.state.calls.filter((c) => c.service === "discord").slice(-25).map((c) => [c.method, c.path, c.status, c.at % 100000])));
      throw e;
    });
    assert.deepEqual(w.standin.state.discordRateLimited, [], "no call was sent into an empty bucket");
    const times = drops.map((d) => edits(d.message_id)[0].at).sort((a, b) => a - b);
    // Never more than two edits in any window of the bucket.
    for (let i = 2; i < times.length; i++) assert.ok(times[i] - times[i - 2] >= 1000, `edits at ${times.map((t) => t - times[0])}`);
  } finally {
    await control(w, "/discord/buckets", {});
  }
});
