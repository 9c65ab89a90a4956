// Fulfilment on the real runtime: shipping releases escrow with one Stripe Transfer, refunds
// (with a reversal after release), HQ's waiver, the queue and autocomplete, the cron timers,
// and every forbidden transition refused with nothing changed.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, validReply, component, slashCommand, hqCommand, makeSeller, postDrop, control, waitFor, runCron, ageClaims } from "./harness.mjs";

const SELLER = "2500000000000000001";
const OTHER = "2500000000000000002";
const ADMIN = "1300000000000000001"; // ADMIN_USER_IDS in the harness
let w;
let n = 0;
const buyer = () => `35000000000000${String(++n).padStart(5, "0")}`;

before(async () => {
  w = await startWorker();
  await makeSeller(w, SELLER);
  await makeSeller(w, OTHER);
});
after(async () => {
  await w?.close();
});
beforeEach(async () => {
  await control(w, "/reset");
});

const reply = (payload) => validReply(w, payload);
const opt = (name, value) => ({ name, type: 3, value });
const title = (body) => body.data.embeds[0].title;

/** A paid order for `listing` options; returns the order row. */
async function paidOrder(options = {}) {
  const drop = await postDrop(w, SELLER, { price: "100", shipping: 1000, ...options });
  const b = buyer();
  await w.interact(component(`c5:v1:buy:${drop.id}`, { userId: b }));
  const hold = await w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1").bind(drop.id).first();
  await control(w, `/stripe/checkout/${hold.checkout_session_id}/pay`);
  return w.db.prepare("SELECT * FROM orders WHERE id = ?1").bind(hold.id).first();
}
const order = (id) => w.db.prepare("SELECT * FROM orders WHERE id = ?1").bind(id).first();
const ship = (id, userId = SELLER, tracking = "9400 1000 0000 0000") =>
  reply(slashCommand(["ship"], { userId, options: [opt("order", id), opt("carrier", "usps"), opt("tracking", tracking)] }));
const refund = (id, userId = SELLER) => reply(slashCommand(["refund"], { userId, options: [opt("order", id), opt("reason", "Out of switches")] }));
const transfers = () => w.standin.state.calls.filter((c) => c.path === "/stripe/v1/transfers" && c.status === 200);

test("shipping marks the order, DMs the tracking link and releases escrow with one transfer", async () => {
  const o = await paidOrder();
  const body = await ship(o.id.toLowerCase()); // typed ids are forgiving
  assert.match(title(body), /Shipped/);
  assert.match(body.data.embeds[0].description, /\$99\.00/, "payout: $110 gross − $11 fee");
  const after = await order(o.id);
  assert.deepEqual([after.status, after.escrow, after.carrier, after.tracking], ["shipped", "released", "usps", "9400 1000 0000 0000"]);
  const [t] = transfers();
  const form = new URLSearchParams(t.body);
  assert.equal(t.idempotencyKey, `c500-transfer-${o.id}`);
  assert.equal(form.get("amount"), "9900");
  assert.equal(form.get("destination"), `acct_${SELLER.slice(-6)}`);
  assert.equal(form.get("transfer_group"), o.id);
  const pi = w.standin.stripeObjects.get(o.payment_intent_id);
  assert.equal(form.get("source_transaction"), pi.latest_charge);
  assert.equal(after.transfer_id, JSON.parse(JSON.stringify(w.standin.stripeObjects.get(after.transfer_id))).id);
  const dm = await waitFor(() => w.standin.state.calls.find((c) => c.path === `/discord/api/v10/channels/dm${o.buyer_id}/messages` && /Dispatched/.test(c.body?.embeds?.[0]?.title)), { what: "tracking DM" });
  assert.match(dm.body.embeds[0].description, /tools\.usps\.com.*94001000000000 00|tools\.usps\.com\/go\/TrackConfirmAction\?tLabels=9400100000000000/);
  assert.deepEqual(w.standin.state.violations, []);

  // A double click ships nothing twice and pays once.
  const again = await ship(o.id);
  assert.match(title(again), /Already shipped/);
  assert.equal(transfers().length, 1);
});

test("forbidden shipments: someone else's order, a refunded one, a commission without proof", async () => {
  const o = await paidOrder();
  assert.match(title(await ship(o.id, OTHER)), /Not your order/);
  assert.match(title(await ship("C5-ZZZZZZ")), /No such order/);
  assert.match(title(await ship(o.id, SELLER, "<b>")), /tracking number/);
  assert.equal((await order(o.id)).status, "paid");
  await refund(o.id);
  assert.match(title(await ship(o.id)), /Can't ship/);
  const c = await paidOrder({ kind: "c", lead: 4 });
  assert.ok(c.promised_by > Date.now() + 27 * 24 * 3600_000, "promised 4 weeks out");
  assert.match(title(await ship(c.id)), /Live proof first/);
  // Non-admins can't waive; HQ can, and then it ships.
  assert.match(title(await reply(hqCommand("waive", { userId: SELLER, options: [opt("order", c.id)] }))), /HQ only/);
  assert.match(title(await reply(hqCommand("waive", { userId: ADMIN, options: [opt("order", c.id)] }))), /waived/);
  assert.equal((await order(c.id)).proof_waived_by, ADMIN);
  assert.match(title(await ship(c.id)), /Shipped/);
  assert.equal(transfers().length, 1);
});

test("refunds: the builder before release, HQ after it with a transfer reversal", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 2, price: "40" });
  const b = buyer();
  await w.interact(component(`c5:v1:buy:${drop.id}`, { userId: b }));
  const hold = await w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1").bind(drop.id).first();
  await control(w, `/stripe/checkout/${hold.checkout_session_id}/pay`);
  assert.equal((await w.db.prepare("SELECT stock FROM listings WHERE id = ?1").bind(drop.id).first()).stock, 1);
  assert.match(title(await refund(hold.id, OTHER)), /Not your order/);
  const body = await refund(hold.id);
  assert.match(title(body), /Refunded/);
  const o = await order(hold.id);
  assert.deepEqual([o.status, o.escrow], ["refunded", "refunded"]);
  assert.match(o.refund_id, /^re_/);
  const said = (await w.db.prepare("SELECT detail FROM order_events WHERE order_id = ?1").bind(hold.id).all()).results.map((e) => e.detail);
  assert.ok(said.some((d) => /Out of switches/.test(d ?? "")), "the buyer's timeline gives the reason");
  assert.equal((await w.db.prepare("SELECT stock FROM listings WHERE id = ?1").bind(drop.id).first()).stock, 2, "unshipped stock returns");
  const r = w.standin.state.calls.find((c) => c.path === "/stripe/v1/refunds" && c.status === 200);
  assert.equal(r.idempotencyKey, `c500-refund-${hold.id}`);
  assert.match(title(await refund(hold.id)), /Already refunded/);
  const dms = await waitFor(() => w.standin.state.calls.filter((c) => c.path === `/discord/api/v10/channels/dm${b}/messages` && /refunded/.test(c.body?.embeds?.[0]?.title)), { what: "refund DM" });
  await new Promise((r) => setTimeout(r, 300)); // Stripe's charge.refunded arrives too
  assert.equal(w.standin.state.calls.filter((c) => c.path === `/discord/api/v10/channels/dm${b}/messages` && /refunded/.test(c.body?.embeds?.[0]?.title)).length, 1, "told once");
  assert.ok(dms);

  const shipped = await paidOrder();
  await ship(shipped.id);
  assert.match(title(await refund(shipped.id)), /payout went out/);
  assert.equal((await order(shipped.id)).status, "shipped");
  const hq = await refund(shipped.id, ADMIN);
  assert.match(title(hq), /Refunded/);
  const after = await order(shipped.id);
  assert.deepEqual([after.status, after.escrow], ["refunded", "reversed"]);
  const reversal = w.standin.state.calls.find((c) => c.path === `/stripe/v1/transfers/${after.transfer_id}/reversals`);
  assert.equal(reversal.status, 200);
  assert.equal(reversal.idempotencyKey, `c500-reversal-${shipped.id}`);
  assert.equal(w.standin.stripeObjects.get(after.transfer_id).reversed, true);
});

test("the queue lists open orders oldest first with what each needs; autocomplete offers them", async () => {
  const a = await paidOrder({ title: "Queue Board A" });
  const c = await paidOrder({ kind: "c", lead: 2, title: "Queue Commission" });
  const body = await reply(slashCommand(["queue"], { userId: SELLER }));
  const fields = body.data.embeds[0].fields;
  const names = fields.map((f) => f.name);
  assert.ok(names.indexOf(`${a.id} · Queue Board A`) < names.indexOf(`${c.id} · Queue Commission`));
  assert.match(fields.find((f) => f.name.startsWith(c.id)).value, /live order/);
  assert.match(fields.find((f) => f.name.startsWith(a.id)).value, /Ship it/);

  const ac = slashCommand(["ship"], { userId: SELLER, options: [{ name: "order", type: 3, value: a.id.slice(3, 6), focused: true }] });
  ac.type = 4;
  const choices = await reply(ac);
  assert.equal(choices.type, 8);
  assert.ok(choices.data.choices.some((ch) => ch.value === a.id));
  const none = slashCommand(["ship"], { userId: OTHER, options: [{ name: "order", type: 3, value: "", focused: true }] });
  none.type = 4;
  assert.ok(!(await reply(none)).data.choices.some((ch) => ch.value === a.id), "nobody else's orders");
});

test("cron: shipped orders complete after the window unless reported; overdue commissions are flagged", async () => {
  const done = await paidOrder();
  const reported = await paidOrder();
  await ship(done.id);
  await ship(reported.id);
  const old = Date.now() - 15 * 24 * 3600_000;
  await w.db.prepare("UPDATE orders SET shipped_at = ?1 WHERE id IN (?2, ?3)").bind(old, done.id, reported.id).run();
  await w.db.prepare("INSERT INTO reports (id, order_id, reporter_id, reason, created_at) VALUES ('R-1', ?1, ?2, 'Never arrived', 0)").bind(reported.id, reported.buyer_id).run();
  await runCron(w);
  assert.equal((await order(done.id)).status, "completed");
  assert.equal((await order(reported.id)).status, "shipped", "an open report holds it");
  assert.equal((await w.db.prepare("SELECT completed_orders FROM users WHERE discord_id = ?1").bind(done.buyer_id).first()).completed_orders, 1);

  const late = await paidOrder({ kind: "c", lead: 1 });
  await w.db.prepare("UPDATE orders SET promised_by = ?2 WHERE id = ?1").bind(late.id, Date.now() - 8 * 24 * 3600_000).run();
  await runCron(w);
  await runCron(w);
  assert.ok((await order(late.id)).flagged_overdue_at > 0);
  const hq = w.standin.state.calls.filter((c) => c.path === "/discord/api/v10/channels/1200000000000000002/messages" && /Overdue/.test(c.body?.embeds?.[0]?.title));
  assert.equal(hq.length, 1, "flagged once");
  assert.ok(w.standin.state.calls.some((c) => c.path === `/discord/api/v10/channels/dm${late.buyer_id}/messages` && /running late/.test(c.body?.embeds?.[0]?.title)));
});

test("a payout Stripe refused at shipping is retried by cron, once", async () => {
  const o = await paidOrder();
  await control(w, "/stripe/fail", { count: 1, status: 500 }); // the read of the payment (a GET: not retried at once)
  const body = await ship(o.id);
  assert.match(body.data.embeds[0].description, /queued/);
  // Claimed before Stripe was called; no answer yet, so the claim stands for cron to finish.
  assert.deepEqual([(await order(o.id)).status, (await order(o.id)).escrow], ["shipped", "releasing"]);
  await ageClaims(w);
  await runCron(w);
  const after = await order(o.id);
  assert.equal(after.escrow, "released");
  assert.equal(transfers().length, 1);
  assert.equal(transfers()[0].idempotencyKey, `c500-transfer-${o.id}`);
});
