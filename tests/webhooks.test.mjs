// POST /webhooks/stripe on the real runtime: the signature matrix and exactly-once delivery.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import Stripe from "stripe";
import { startWorker, STRIPE_WEBHOOK_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET } from "./harness.mjs";

const stripe = new Stripe("sk_test_unused");
let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.close();
});

let n = 0;
function event(type = "customer.created") {
  n += 1;
  return JSON.stringify({ id: `evt_test_${Date.now()}_${n}`, object: "event", type, livemode: false, created: 1, data: { object: { id: "cus_1", object: "customer" } } });
}
function header(payload, opts = {}) {
  return stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET, ...opts });
}
async function post(payload, signature) {
  const headers = { "content-type": "application/json" };
  if (signature !== undefined) headers["stripe-signature"] = signature;
  return w.get("/webhooks/stripe", { method: "POST", headers, body: payload });
}
async function processedCount(id) {
  const row = await w.db.prepare("SELECT COUNT(*) AS n FROM processed_events WHERE source = 'stripe' AND event_id = ?").bind(id).first();
  return row.n;
}

test("a valid signature is accepted and the event recorded once", async () => {
  const payload = event();
  const res = await post(payload, header(payload));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { received: true, duplicate: false });
  assert.equal(await processedCount(JSON.parse(payload).id), 1);
});

test("the signature matrix: wrong secret, stale, future, malformed, missing → 400, nothing recorded", async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = {
    "wrong secret": (p) => stripe.webhooks.generateTestHeaderString({ payload: p, secret: "whsec_wrong" }),
    "stale (6 minutes old)": (p) => header(p, { timestamp: now - 360 }),
    "from the future (6 minutes)": (p) => header(p, { timestamp: now + 360 }),
    "malformed header": () => "this-is-not-a-stripe-signature",
    "no v1": (p) => header(p).replace(/v1=/, "v0="),
    "empty header": () => "",
    "signed another body": () => header(event()),
  };
  for (const [name, makeHeader] of Object.entries(cases)) {
    const payload = event();
    const res = await post(payload, makeHeader(payload));
    assert.equal(res.status, 400, name);
    assert.deepEqual(await res.json(), { error: "invalid signature" }, name);
    assert.equal(await processedCount(JSON.parse(payload).id), 0, name);
  }
  const payload = event();
  const res = await post(payload, undefined);
  assert.equal(res.status, 400, "missing header");
});

test("several v1 signatures: any one matching is enough (secret rotation)", async () => {
  const payload = event();
  const good = header(payload);
  const old = stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_old_secret" });
  const t = good.match(/t=(\d+)/)[1];
  const v1Good = good.match(/v1=([0-9a-f]+)/)[1];
  const v1Old = old.match(/v1=([0-9a-f]+)/)[1];
  const res = await post(payload, `t=${t},v1=${v1Old},v1=${v1Good}`);
  assert.equal(res.status, 200);
  const onlyOld = await post(event(), `t=${t},v1=${v1Old}`);
  assert.equal(onlyOld.status, 400);
});

test("events from the Connect endpoint (its own signing secret) are accepted too", async () => {
  const payload = event("account.updated");
  const res = await post(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_CONNECT_WEBHOOK_SECRET }));
  assert.equal(res.status, 200);
  assert.equal(await processedCount(JSON.parse(payload).id), 1);
});

test("a duplicate delivery answers 200 and changes nothing", async () => {
  const payload = event("checkout.session.completed");
  const first = await post(payload, header(payload));
  assert.deepEqual(await first.json(), { received: true, duplicate: false });
  const before = await w.db.prepare("SELECT COUNT(*) AS n FROM processed_events").first();
  const again = await post(payload, header(payload));
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), { received: true, duplicate: true });
  const afterCount = await w.db.prepare("SELECT COUNT(*) AS n FROM processed_events").first();
  assert.equal(afterCount.n, before.n);
  assert.equal(await processedCount(JSON.parse(payload).id), 1);
});

test("concurrent duplicate deliveries are applied once", async () => {
  const payload = event();
  const results = await Promise.all(Array.from({ length: 10 }, () => post(payload, header(payload)).then((r) => r.json())));
  assert.equal(results.filter((r) => r.duplicate === false).length, 1);
  assert.equal(results.filter((r) => r.duplicate === true).length, 9);
  assert.equal(await processedCount(JSON.parse(payload).id), 1);
});

test("an unhandled event type is acknowledged with 200", async () => {
  const payload = event("invoice.finalized");
  const res = await post(payload, header(payload));
  assert.equal(res.status, 200);
});

test("a correctly signed body that is not an event is a 400", async () => {
  const payload = JSON.stringify({ hello: "world" });
  const res = await post(payload, header(payload));
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: "malformed event" });
});

test("the stand-in delivers a signed webhook built on Stripe's fixture", async () => {
  const result = await w.standin.sendStripeEvent({ type: "account.updated", object: { id: "acct_1", object: "account" } });
  assert.equal(result.status, 200);
  assert.equal(result.event.object, "event");
  assert.equal(await processedCount(result.event.id), 1);
});

test("a signed event C500 could not have caused is acknowledged and changes nothing", async () => {
  const cases = {
    "a live event while C500 runs on a test key": { livemode: true },
    "a connected account's own payment": { account: "acct_builder_1" },
    "a connected account's own refund": { account: "acct_builder_1", type: "charge.refunded" },
  };
  for (const [name, change] of Object.entries(cases)) {
    const base = JSON.parse(event(change.type ?? "checkout.session.completed"));
    base.data.object = { id: "cs_foreign", object: "checkout.session", payment_status: "paid", amount_total: 46500, currency: "usd", metadata: { order_id: "C5-FOREIGN1", listing_id: "D-1" } };
    const payload = JSON.stringify({ ...base, ...change, type: change.type ?? base.type });
    const res = await post(payload, header(payload));
    assert.equal(res.status, 200, name);
    const body = await res.json();
    assert.equal(body.received, true, name);
    assert.ok(body.ignored, name);
    assert.equal(await processedCount(base.id), 0, name);
  }
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM orders WHERE id = 'C5-FOREIGN1'").first()).n, 0);
  // A connected account's event about the account itself is still C500's business.
  const payload = event("account.updated");
  const own = JSON.stringify({ ...JSON.parse(payload), account: "acct_1" });
  assert.equal((await post(own, header(own))).status, 200);
  assert.equal(await processedCount(JSON.parse(own).id), 1);
});
