// One Checkout pace for the whole deployment (issue 11.1): every isolate takes its turns from
// the CheckoutPace Durable Object (src/pace.rs), so together they start at most
// CHECKOUTS_PER_SECOND Checkout Sessions a second, whatever isolate a click lands in. The
// test takes turns from the object directly, as another isolate would, and watches the
// worker's clicks wait behind them. Without the binding, each isolate paces itself and
// /healthz names what is missing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, component, makeSeller, postDrop, control, finalReply, validReply, isInterim, waitFor } from "./harness.mjs";

const SELLER = "2810000000000000001";
const RATE = 2; // Checkout starts a second, so the spacing (500 ms) is easy to see
let w;
const extra = [];
before(async () => {
  w = await startWorker({ bindings: { CHECKOUTS_PER_SECOND: String(RATE) } });
  await makeSeller(w, SELLER);
});
after(async () => {
  await w?.close();
  for (const x of extra) await x.close();
});

/** Turns taken from the deployment's one pace by someone other than this worker's clicks. */
async function takeTurns(worker, n, max = 60_000) {
  const ns = await worker.mf.getDurableObjectNamespace("CHECKOUT_PACE");
  const stub = ns.get(ns.idFromName("stripe"));
  const waits = [];
  for (let i = 0; i < n; i++) {
    const res = await stub.fetch(`https://pace.c500/turn?rate=${RATE}&max=${max}`);
    waits.push({ status: res.status, wait: Number(await res.text()) });
  }
  return waits;
}

const creates = (worker) =>
  worker.standin.state.calls.filter((c) => c.service === "stripe" && c.method === "POST" && c.path.endsWith("/v1/checkout/sessions") && c.status === 200);

test("turns taken elsewhere delay this click's Checkout: the pace is the deployment's, not the isolate's", async () => {
  await control(w, "/reset");
  const drop = await postDrop(w, SELLER, { price: "60", quantity: 1, title: "Shared Pace Board" });
  // Three turns booked by "another isolate": starts at +0, +500 and +1000 ms, so the next
  // free start is 1.5 s away. An isolate pacing itself alone would start at once.
  const booked = await takeTurns(w, 3);
  assert.deepEqual(booked.map((b) => b.status), [200, 200, 200]);
  const clicked = Date.now();
  const reply = await finalReply(w, component(`c5:v1:buy:${drop.id}`, { userId: "3810000000000000001" }));
  assert.match(JSON.stringify(reply), /Great choice/);
  assert.match(JSON.stringify(reply), /\/_standin\/stripe\/checkout\/cs_/);
  const [made] = creates(w);
  assert.ok(made, "a session was made");
  assert.ok(made.at - clicked >= 1400, `the session waited its turn (${made.at - clicked} ms after the click)`);
  assert.equal(w.logs.filter((l) => l.event === "checkout_pace_unreachable").length, 0);
});

test("a held unit waiting for its turn is answered at once, \"you're in\", and the link is edited in over it (issue 11.1)", async () => {
  await control(w, "/reset");
  const drop = await postDrop(w, SELLER, { price: "60", quantity: 1, title: "Early Answer Board" });
  // The next free start is 2 s away (four turns at 2 a second booked elsewhere).
  await takeTurns(w, 4);
  const payload = component(`c5:v1:buy:${drop.id}`, { userId: "3810000000000000004" });
  const clicked = Date.now();
  const first = await validReply(w, payload);
  const answeredAfter = Date.now() - clicked;
  assert.equal(first.type, 4, JSON.stringify(first));
  assert.ok(isInterim(first.data), JSON.stringify(first.data));
  assert.equal(first.data.flags, 64, "only the buyer sees it");
  assert.match(first.data.embeds[0].title, /You're in/);
  assert.match(first.data.embeds[0].description, /about 3 seconds/);
  assert.ok(answeredAfter < 1500, `answered ${answeredAfter} ms after the click, before the turn`);
  // Answered with the unit already held for the buyer, and no session yet.
  const held = await w.db.prepare("SELECT status, checkout_session_id FROM reservations WHERE listing_id = ?1").bind(drop.id).all();
  assert.deepEqual(held.results, [{ status: "held", checkout_session_id: null }]);
  assert.equal(creates(w).length, 0);
  // The link replaces it, on the same reply (the stand-in checks the edit against Discord's spec).
  const edit = await waitFor(
    () => w.standin.state.calls.find((c) => c.service === "discord" && c.method === "PATCH" && c.path.includes(`/${payload.token}/messages/@original`)),
    { timeout: 10000, what: "the reply's edit with the link" },
  );
  assert.equal(edit.status, 200);
  assert.match(JSON.stringify(edit.body), /Great choice/);
  assert.match(JSON.stringify(edit.body), /\/_standin\/stripe\/checkout\/cs_/);
  const [made] = creates(w);
  assert.ok(made.at - clicked >= 1900, `the session waited its turn (${made.at - clicked} ms)`);
  // The Checkout's 30 minutes (at least) run from when the link exists.
  const expiresAt = Number(new URLSearchParams(made.body).get("expires_at")) * 1000;
  assert.ok(expiresAt - made.at >= 30 * 60 * 1000, `expires ${expiresAt - made.at} ms after the session was made`);
});

test("six buyers at once at 2 a second: each gets a link, the sessions start 500 ms apart", async () => {
  await control(w, "/reset");
  const drop = await postDrop(w, SELLER, { price: "60", quantity: 6, title: "Wave Board" });
  const replies = await Promise.all(
    Array.from({ length: 6 }, (_, i) => finalReply(w, component(`c5:v1:buy:${drop.id}`, { userId: `38100000000000001${i}0` }))),
  );
  for (const r of replies) assert.match(JSON.stringify(r), /\/_standin\/stripe\/checkout\/cs_/);
  const at = creates(w).map((c) => c.at).sort((a, b) => a - b);
  assert.equal(at.length, 6);
  for (let i = 1; i < at.length; i++) {
    assert.ok(at[i] - at[i - 1] >= 450, `start ${i} came ${at[i] - at[i - 1]} ms after the one before`);
  }
  const holds = await w.db.prepare("SELECT COUNT(*) AS n FROM reservations WHERE listing_id = ?1 AND checkout_session_id IS NOT NULL").bind(drop.id).first();
  assert.equal(holds.n, 6, "every hold has its session");
});

test("the next free turn is further away than a click's patience: nothing is sent to Stripe, the unit goes back, 'So many clicks!'", async () => {
  await control(w, "/reset");
  const drop = await postDrop(w, SELLER, { price: "60", quantity: 1, title: "Queue Board" });
  // 45 turns at 2 a second: the next free start is 22.5 s away, past the 20 s a click waits.
  // The waits count from each booking's own moment, so the 45th is 22 s after the first
  // booking less the time the 45 bookings took (tens of ms on a slow machine).
  const bookedFrom = Date.now();
  const booked = await takeTurns(w, 45);
  const last = booked[booked.length - 1];
  const bookingTook = Date.now() - bookedFrom;
  assert.ok(last.wait >= 22_000 - bookingTook, `the 45th turn is ${last.wait} ms away after ${bookingTook} ms of booking`);
  assert.ok(last.wait > 20_000 + 1_000, `the 45th turn (${last.wait} ms away) is well past the click's 20 s`);
  const started = Date.now();
  const reply = await finalReply(w, component(`c5:v1:buy:${drop.id}`, { userId: "3810000000000000002" }));
  assert.match(JSON.stringify(reply), /So many clicks/);
  assert.ok(Date.now() - started < 3000, "told at once, not after waiting");
  assert.equal(creates(w).length, 0, "no Checkout Session was asked for");
  const listing = await w.db.prepare("SELECT stock FROM listings WHERE id = ?1").bind(drop.id).first();
  assert.equal(listing.stock, 1, "the unit is back on sale");
  // The refused click booked nothing: the next turn is still the one right after the 45th
  // (one spacing after it, less the time gone by), not one spacing later.
  const [next] = await takeTurns(w, 1);
  assert.equal(next.status, 200);
  assert.ok(next.wait <= last.wait + 500 + 1, `next wait ${next.wait} ms, the 45th's ${last.wait} ms`);
  assert.ok(next.wait > last.wait + 500 - (Date.now() - started) - 50, `next wait ${next.wait} ms`);
});

test("without the CHECKOUT_PACE binding /healthz names it, and a click still gets its link (the isolate paces itself)", async () => {
  const bare = await startWorker({ durableObjects: {}, bindings: { CHECKOUTS_PER_SECOND: "fast" } });
  extra.push(bare);
  const health = await bare.get("/healthz");
  assert.equal(health.status, 503);
  const body = await health.json();
  assert.deepEqual(body.missing, ["CHECKOUT_PACE"]);
  assert.deepEqual(body.malformed, ["CHECKOUTS_PER_SECOND"]);
  await makeSeller(bare, SELLER);
  const drop = await postDrop(bare, SELLER, { price: "60", quantity: 1, title: "Alone Board" });
  const reply = await finalReply(bare, component(`c5:v1:buy:${drop.id}`, { userId: "3810000000000000003" }));
  assert.match(JSON.stringify(reply), /\/_standin\/stripe\/checkout\/cs_/);
  assert.equal(bare.logs.filter((l) => l.event === "checkout_pace_unreachable").length, 1);
});
