// Hot drops (issue 11.2 and 11.4) on the real runtime: a drop's per-buyer limit, and the line
// for a sold-out drop. A unit that comes back goes to the first buyer waiting (held for them,
// a DM with Buy), never to whoever re-clicks fastest; an offer nobody takes passes down the line.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, clickReply, slashCommand, makeSeller, postDrop, control, waitFor, runCron, assertHeldMoney, validReply, finalReply, component } from "./harness.mjs";

const SELLER = "2900000000000000001";
let w;
let n = 0;
const buyer = () => `39000000000000${String(++n).padStart(5, "0")}`;

before(async () => {
  w = await startWorker();
  await makeSeller(w, SELLER);
});
after(async () => {
  await w?.close();
});
beforeEach(async () => {
  await control(w, "/reset");
  await control(w, "/stripe/auto-webhooks", { on: true });
});

/** The reply to a click (these answer at once: no Stripe call is slow here). */
const click = (customId, userId, options) => clickReply(w, customId, userId, options);
const text = (reply) => JSON.stringify(reply.embeds);
const buttons = (reply) => (reply.components ?? []).flatMap((row) => row.components);
const stock = async (id) => (await w.db.prepare("SELECT stock FROM listings WHERE id = ?1").bind(id).first()).stock;
const holdOf = (listing, userId) =>
  w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1 AND buyer_id = ?2 ORDER BY created_at DESC").bind(listing, userId).first();
const place = (listing, userId) => w.db.prepare("SELECT * FROM waitlist WHERE listing_id = ?1 AND buyer_id = ?2").bind(listing, userId).first();
const dmTo = (userId, title) =>
  w.standin.state.calls.find((c) => c.service === "discord" && c.method === "POST" && c.path === `/discord/api/v10/channels/dm${userId}/messages` && JSON.stringify(c.body).includes(title));

test("a drop's per-buyer limit: one each, shown on the drop, checked when the builder sets it", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 3, price: "80", title: "Limited Board", limit: 1 });
  assert.equal(drop.per_buyer, 1);
  const post = w.standin.state.calls.find((c) => c.service === "discord" && c.method === "POST" && JSON.stringify(c.body).includes("Limited Board"));
  assert.match(JSON.stringify(post.body.embeds[0].fields), /1 per buyer/);

  const a = buyer();
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, a)), /Great choice/);
  const h = await holdOf(drop.id, a);
  await control(w, `/stripe/checkout/${h.checkout_session_id}/pay`);
  const order = await w.db.prepare("SELECT * FROM orders WHERE id = ?1").bind(h.id).first();
  assert.equal(order.status, "paid");
  assertHeldMoney(w, order);

  const again = await click(`c5:v1:buy:${drop.id}`, a);
  assert.match(text(again), /You have your share/);
  assert.match(text(again), /allows 1 per buyer/);
  assert.equal(await stock(drop.id), 2, "the refused click took nothing");
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM reservations WHERE listing_id = ?1 AND buyer_id = ?2").bind(drop.id, a).first()).n, 1);
  // Joining the line does not get round it either.
  assert.match(text(await click(`c5:v1:line:${drop.id}`, a)), /You have your share/);
  assert.equal(await place(drop.id, a), null);
  // Someone else still buys.
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, buyer())), /Great choice/);

  // The limit is checked against the quantity before the form opens.
  const res = await w.interact(
    slashCommand(["drop"], { userId: SELLER, options: [{ name: "type", type: 3, value: "ready_to_ship" }, { name: "quantity", type: 4, value: 2 }, { name: "limit", type: 4, value: 5 }] }),
  );
  const body = await res.json();
  assert.match(JSON.stringify(body.data), /limit.*can't be more than the quantity/);
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});

test("the waitlist: a unit that comes back goes down the line, and an offer not taken passes on", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 1, price: "95", title: "Line Board" });
  const [a, b, c, d, e] = [buyer(), buyer(), buyer(), buyer(), buyer()];
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, a)), /Great choice/);
  const ha = await holdOf(drop.id, a);

  // Sold out (the unit is in A's checkout): Buy offers the line.
  const late = await click(`c5:v1:buy:${drop.id}`, d);
  assert.match(text(late), /Too late/);
  assert.deepEqual(buttons(late).map((x) => x.custom_id), [`c5:v1:line:${drop.id}`]);

  // B then C join; one place each, however often they click.
  assert.match(text(await click(`c5:v1:line:${drop.id}`, b)), /next in line/);
  assert.match(text(await click(`c5:v1:line:${drop.id}`, c)), /#2 in line/);
  const joined = (await place(drop.id, c)).joined_at;
  assert.match(text(await click(`c5:v1:line:${drop.id}`, c)), /#2 in line/);
  assert.equal((await place(drop.id, c)).joined_at, joined, "a second click keeps the place");
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM waitlist WHERE listing_id = ?1").bind(drop.id).first()).n, 2);

  // A's hold ends and its unit is back, before the line is served (the cron's sweep returns
  // it, then serves the line in the same run; here the two steps are apart, as they are when
  // a click lands between them): the unit is the line's, not a re-clicker's. (A checkout
  // expiring serves the line at once: the next test.)
  await control(w, `/stripe/checkout/${ha.checkout_session_id}/lapse`, { deliver: false });
  await w.db.batch([
    w.db.prepare("UPDATE listings SET stock = stock + 1 WHERE id = ?1").bind(drop.id),
    w.db.prepare("UPDATE reservations SET status = 'released' WHERE id = ?1").bind(ha.id),
  ]);
  assert.equal(await stock(drop.id), 1);
  const reclick = await click(`c5:v1:buy:${drop.id}`, d); // within D's click window: answered from reads
  assert.match(text(reclick), /Waitlist first/);
  const fresh = await click(`c5:v1:buy:${drop.id}`, e); // a first click: the hold batch refuses it
  assert.match(text(fresh), /Waitlist first/);
  assert.equal(await stock(drop.id), 1, "nobody outside the line took the unit");
  assert.equal(await holdOf(drop.id, e), null);

  // The cron offers it to B: a hold of B's own, and a DM with Buy.
  await runCron(w);
  const hb = await holdOf(drop.id, b);
  assert.equal(hb.status, "held");
  assert.equal(hb.checkout_session_id, null);
  assert.equal(await stock(drop.id), 0);
  assert.deepEqual([(await place(drop.id, b)).status, (await place(drop.id, b)).hold_id], ["offered", hb.id]);
  const offer = await waitFor(() => dmTo(b, "Your turn"), { what: "B's offer DM" });
  assert.equal(offer.body.components[0].components[0].custom_id, `c5:v1:buy:${drop.id}`);
  assert.match(JSON.stringify(offer.body.embeds[0]), /Line Board/);

  // B clicks Buy in the DM ten minutes into the offer: the link, and the full 30 minutes from now.
  await w.db.prepare("UPDATE reservations SET expires_at = expires_at - 600000 WHERE id = ?1").bind(hb.id).run();
  const before = Date.now();
  const link = await click(`c5:v1:buy:${drop.id}`, b, { dm: true });
  assert.match(text(link), /Great choice/);
  const hb2 = await holdOf(drop.id, b);
  assert.equal(hb2.id, hb.id, "the unit held for B");
  assert.ok(hb2.checkout_session_id);
  assert.ok(hb2.expires_at >= before + 30 * 60_000, "the hold's 30 minutes start with the link");
  const session = w.standin.stripeObjects.get(hb2.checkout_session_id);
  assert.equal(session.expires_at, Math.floor(hb2.expires_at / 1000), "Checkout expires with the hold");

  // B never pays: the hold lapses, and the next cron passes the unit to C.
  await w.db.prepare("UPDATE reservations SET expires_at = ?2 WHERE id = ?1").bind(hb.id, Date.now() - 1000).run();
  await runCron(w);
  assert.equal((await holdOf(drop.id, b)).status, "released");
  assert.equal(w.standin.stripeObjects.get(hb2.checkout_session_id).status, "expired", "B's checkout can't be paid any more");
  const hc = await holdOf(drop.id, c);
  assert.equal(hc?.status, "held", "C's turn");
  assert.equal(await stock(drop.id), 0);
  await waitFor(() => dmTo(c, "Your turn"), { what: "C's offer DM" });

  // B may join again, at the end (the only one waiting now).
  assert.match(text(await click(`c5:v1:line:${drop.id}`, b)), /next in line/);

  // C takes it and pays: one order, money as Stripe recorded it.
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, c, { dm: true })), /Great choice/);
  const paid = await control(w, `/stripe/checkout/${(await holdOf(drop.id, c)).checkout_session_id}/pay`);
  assert.equal(paid.delivered.status, 200);
  const order = await w.db.prepare("SELECT * FROM orders WHERE id = ?1").bind(hc.id).first();
  assert.equal(order.status, "paid");
  assert.equal(order.buyer_id, c);
  assertHeldMoney(w, order);
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM orders WHERE listing_id = ?1 AND status = 'paid'").bind(drop.id).first()).n, 1, "one unit, one order");
  assert.equal(await stock(drop.id), 0);
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});

test("a unit that comes back is offered to the first in line at once: a checkout that expires, a refund before shipping", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 1, price: "70", title: "Returning Unit Board" });
  const [a, b, c] = [buyer(), buyer(), buyer()];
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, a)), /Great choice/);
  const ha = await holdOf(drop.id, a);
  assert.match(text(await click(`c5:v1:line:${drop.id}`, b)), /next in line/);
  assert.match(text(await click(`c5:v1:line:${drop.id}`, c)), /#2 in line/);

  // A's checkout expires: Stripe's webhook returns the unit, and the same request offers it
  // to B after its response; no cron runs in this test.
  const lapsed = await control(w, `/stripe/checkout/${ha.checkout_session_id}/lapse`);
  assert.equal(lapsed.delivered.status, 200);
  const hb = await waitFor(async () => {
    const h = await holdOf(drop.id, b);
    return h?.status === "held" ? h : null;
  }, { what: "B's offered hold" });
  assert.equal(await stock(drop.id), 0);
  assert.equal((await place(drop.id, b)).status, "offered");
  await waitFor(() => dmTo(b, "Your turn"), { what: "B's offer DM" });
  assert.equal(await holdOf(drop.id, c), null, "C waits for the next unit");

  // B buys and pays; the builder refunds before shipping: the unit is back and goes to C at once.
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, b, { dm: true })), /Great choice/);
  await control(w, `/stripe/checkout/${(await holdOf(drop.id, b)).checkout_session_id}/pay`);
  const order = await w.db.prepare("SELECT * FROM orders WHERE id = ?1").bind(hb.id).first();
  assert.equal(order.status, "paid");
  const refund = await validReply(w, slashCommand(["refund"], { userId: SELLER, options: [{ name: "order", type: 3, value: order.id }, { name: "reason", type: 3, value: "Out of switches" }] }));
  assert.match(refund.data.embeds[0].title, /Refunded/);
  const hc = await waitFor(async () => {
    const h = await holdOf(drop.id, c);
    return h?.status === "held" ? h : null;
  }, { what: "C's offered hold" });
  assert.equal(await stock(drop.id), 0);
  await waitFor(() => dmTo(c, "Your turn"), { what: "C's offer DM" });
  assert.equal((await w.db.prepare("SELECT status FROM orders WHERE id = ?1").bind(order.id).first()).status, "refunded");
  // The money: B's payment went back whole, nothing left C500 beyond what was charged.
  const pi = w.standin.stripeObjects.get(order.payment_intent_id);
  const charge = w.standin.stripeObjects.get(pi.latest_charge);
  assert.equal(charge.amount_refunded, charge.amount, "refunded in full");
  const transfers = w.standin.state.calls.filter((x) => x.service === "stripe" && x.method === "POST" && x.path.endsWith("/v1/transfers") && x.status === 200);
  assert.equal(transfers.length, 0, "nothing was paid out");
  assert.notEqual(hc.id, hb.id);
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});

test("a unit let go after a failed Checkout goes to whoever joined the line meanwhile, at once, not at the next cron minute", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 1, price: "70", title: "Let Go Board" });
  const [a, b] = [buyer(), buyer()];
  // A's click holds the unit, then Stripe fails slowly (the call and its one retry, 1.5 s each).
  await control(w, "/stripe/fail", { count: 2, status: 500, delayMs: 1500 });
  const aReply = finalReply(w, component(`c5:v1:buy:${drop.id}`, { userId: a }));
  await waitFor(async () => (await holdOf(drop.id, a))?.status === "held", { what: "A's hold" });
  // Meanwhile B finds it sold out and joins the line.
  const sold = await click(`c5:v1:buy:${drop.id}`, b);
  assert.match(text(sold), /gone/i);
  assert.match(text(await click(`c5:v1:line:${drop.id}`, b)), /next in line/);
  assert.match(JSON.stringify(await aReply), /Stripe didn't answer/);
  assert.equal((await holdOf(drop.id, a)).status, "released");
  // The unit A's click let go is B's at once; no cron runs in this test.
  const hb = await waitFor(async () => {
    const h = await holdOf(drop.id, b);
    return h?.status === "held" ? h : null;
  }, { what: "B's offered hold" });
  assert.equal(hb.checkout_session_id, null);
  assert.equal((await place(drop.id, b)).status, "offered");
  assert.equal(await stock(drop.id), 0, "the one unit is B's, not on sale");
  await waitFor(() => dmTo(b, "Your turn"), { what: "B's offer DM" });
  const sessions = w.standin.state.calls.filter((x) => x.service === "stripe" && x.method === "POST" && x.path.endsWith("/v1/checkout/sessions") && x.status === 200);
  assert.equal(sessions.length, 0, "no Checkout exists: nothing can be paid twice");
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});

test("a buyer offered a unit moments after their own Buy click gets the link, not 'almost ready'", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 1, price: "70", title: "Quick Line Board" });
  const [a, b] = [buyer(), buyer()];
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, a)), /Great choice/);
  assert.match(text(await click(`c5:v1:line:${drop.id}`, b)), /next in line/);
  // B clicks Buy while the unit is in A's checkout: told their place (this starts B's click window).
  assert.match(text(await click(`c5:v1:buy:${drop.id}`, b)), /next in line/);
  await control(w, `/stripe/checkout/${(await holdOf(drop.id, a)).checkout_session_id}/lapse`);
  await runCron(w);
  const offered = await holdOf(drop.id, b);
  assert.equal(offered?.status, "held");
  // Within the window a repeated click reads instead of writing; an offered unit has nobody
  // making its Checkout, so this click makes it.
  const link = await click(`c5:v1:buy:${drop.id}`, b, { dm: true });
  assert.match(text(link), /Great choice/);
  assert.ok((await holdOf(drop.id, b)).checkout_session_id, "the offered hold has its Checkout");
  assert.deepEqual(w.standin.state.violations, []);
});
