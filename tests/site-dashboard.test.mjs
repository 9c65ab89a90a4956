// The builder dashboard on the site (issue 12.4) on the real runtime: only for a signed-in
// certified builder; exact sums (checked against the stand-in's Stripe record), charts as
// SVG, live drops edited and delisted with /c500 inventory's rules (the embed follows),
// orders waiting with what each needs next, and the CSV exports in exact cents.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, clickReply, makeSeller, postDrop, control, waitFor, signIn, csrfOf, webPost, validReply, slashCommand, hqCommand } from "./harness.mjs";

const SELLER = "2960000000000000001";
const OTHER_SELLER = "2960000000000000002";
const BANNED_SELLER = "2960000000000000003";
let w;
let n = 0;
const buyer = () => `39600000000000${String(++n).padStart(5, "0")}`;

before(async () => {
  w = await startWorker();
  await makeSeller(w, SELLER);
  await makeSeller(w, OTHER_SELLER);
  await makeSeller(w, BANNED_SELLER);
});
after(async () => {
  await w?.close();
});
beforeEach(async () => {
  await control(w, "/reset");
  await control(w, "/stripe/auto-webhooks", { on: true });
});

const page = async (path, cookie) => {
  const res = await w.get(path, cookie ? { headers: { cookie } } : undefined);
  return { res, html: await res.text() };
};
/** A paid order on `drop` for a new buyer, through the Discord button and the stand-in's Checkout. */
async function sell(drop) {
  const id = buyer();
  assert.match(JSON.stringify((await clickReply(w, `c5:v1:buy:${drop.id}`, id)).embeds), /Great choice/);
  const hold = await w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1 AND buyer_id = ?2").bind(drop.id, id).first();
  await control(w, `/stripe/checkout/${hold.checkout_session_id}/pay`);
  return waitFor(() => w.db.prepare("SELECT * FROM orders WHERE id = ?1 AND status = 'paid'").bind(hold.id).first(), { what: "paid order" });
}
const money = (cents) => `$${(cents / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

test("the dashboard: exact sums, SVG charts, the orders waiting; builders only", async () => {
  // Not signed in: sign in first. Signed in but no shop: builders only.
  assert.match((await page("/dashboard")).html, /Sign in with Discord to see your shop/);
  const visitor = await signIn(w, { id: buyer() });
  const refused = await page("/dashboard", visitor.cookie);
  assert.equal(refused.res.status, 403);
  assert.match(refused.html, /Builders only/);
  assert.equal((await w.get("/dashboard/orders.csv", { headers: { cookie: visitor.cookie } })).headers.get("content-type")?.startsWith("text/csv"), false, "no export either");

  const drop = await postDrop(w, SELLER, { quantity: 5, price: "123.45", shipping: 5, title: "=Dash Board, \"quoted\"" });
  const a = await sell(drop);
  const b = await sell(drop);
  // One shipped (released), one refunded by the builder.
  await validReply(w, slashCommand(["ship"], { userId: SELLER, options: [{ name: "order", type: 3, value: a.id }, { name: "carrier", type: 3, value: "usps" }, { name: "tracking", type: 3, value: "9400100000000000000000" }] }));
  await waitFor(async () => (await w.db.prepare("SELECT escrow FROM orders WHERE id = ?1").bind(a.id).first()).escrow === "released", { what: "payout" });
  await validReply(w, slashCommand(["refund"], { userId: SELLER, options: [{ name: "order", type: 3, value: b.id }, { name: "reason", type: 3, value: "changed mind" }] }));
  await waitFor(async () => (await w.db.prepare("SELECT status FROM orders WHERE id = ?1").bind(b.id).first()).status === "refunded", { what: "refund" });
  const c = await sell(drop);

  // The stand-in's Stripe record, against what the dashboard must say.
  const objects = [...w.standin.stripeObjects.values()];
  const transfers = objects.filter((x) => x.object === "transfer" && [a.id, b.id, c.id].includes(x.transfer_group));
  const released = transfers.reduce((s, t) => s + t.amount - t.amount_reversed, 0);
  const refunds = objects.filter((x) => x.object === "refund").filter((r) => [a, b, c].some((o) => o.payment_intent_id === r.payment_intent));
  const refunded = refunds.reduce((s, r) => s + r.amount, 0);
  for (const o of [a, b, c]) {
    const charge = w.standin.stripeObjects.get(w.standin.stripeObjects.get(o.payment_intent_id).latest_charge);
    const out = transfers.filter((t) => t.transfer_group === o.id).reduce((s, t) => s + t.amount - t.amount_reversed, 0);
    assert.ok(charge.amount_refunded + out <= charge.amount, "refunds + transfers − reversals ≤ charged");
  }
  assert.equal(released, a.payout_cents);
  assert.equal(refunded, b.gross_cents);

  const seller = await signIn(w, { id: SELLER, username: "keyz" });
  const dash = await page("/dashboard", seller.cookie);
  assert.equal(dash.res.status, 200);
  assert.equal(dash.res.headers.get("cache-control"), "private, no-store");
  const figure = (label) => dash.html.match(new RegExp(`<span class="figure-label">${label}</span> <strong class="figure-value">([^<]+)</strong>`))?.[1];
  assert.equal(figure("Sales"), money(a.gross_cents + c.gross_cents), "orders that stand");
  assert.equal(figure("C500&#39;s fee") ?? figure("C500's fee"), money(a.fee_cents + c.fee_cents));
  assert.equal(figure("Held by C500"), money(c.payout_cents));
  assert.equal(figure("Released to you"), money(released));
  assert.equal(figure("Refunded"), money(refunded));
  // Four charts, drawn on the server, with the figures for screen readers; a title that
  // looks like markup or a formula stays text.
  assert.equal((dash.html.match(/<svg [^>]*role="img"/g) ?? []).length, 4);
  assert.match(dash.html, /<desc>[^<]*Dash Board[^<]*: 3 units/);
  assert.ok(!dash.html.includes("<script"));
  // The order waiting, with what it needs next.
  assert.ok(dash.html.includes(c.id));
  assert.match(dash.html, new RegExp(`Ship it: /c500 ship order:${c.id}`));
  assert.ok(!dash.html.includes(`<h3>${a.id}`), "the shipped and paid-out order waits on nobody");
});

test("the dashboard edits and delists a drop with /c500 inventory's rules; the embed follows", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 3, price: "80", title: "Editable Board" });
  const seller = await signIn(w, { id: SELLER, username: "keyz" });
  const dash = await page("/dashboard", seller.cookie);
  const csrf = csrfOf(dash.html);
  assert.ok(dash.html.includes(`action="/dashboard/drops/${drop.id}"`));
  assert.ok(dash.html.includes('value="80.00"'));

  // A mistake is named and changes nothing.
  const bad = await webPost(w, `/dashboard/drops/${drop.id}`, { csrf, price: "free", stock: "2" }, { cookie: seller.cookie });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /Price/);
  assert.equal((await w.db.prepare("SELECT price_cents FROM listings WHERE id = ?1").bind(drop.id).first()).price_cents, 8000);
  // Without the form's token: refused.
  assert.equal((await webPost(w, `/dashboard/drops/${drop.id}`, { price: "90", stock: "2" }, { cookie: seller.cookie })).status, 403);

  const saved = await webPost(w, `/dashboard/drops/${drop.id}`, { csrf, price: "95.50", stock: "2" }, { cookie: seller.cookie });
  assert.equal(saved.status, 303);
  assert.equal(saved.headers.get("location"), "/dashboard?saved=edit");
  const row = await w.db.prepare("SELECT price_cents, stock, quantity FROM listings WHERE id = ?1").bind(drop.id).first();
  assert.deepEqual({ ...row }, { price_cents: 9550, stock: 2, quantity: 2 });
  await waitFor(() => w.standin.state.calls.find((c) => c.method === "PATCH" && /\$95\.50/.test(JSON.stringify(c.body))), { what: "the embed edit" });
  assert.match((await page("/dashboard?saved=edit", seller.cookie)).html, /Saved/);

  // The builder's server invite: only a Discord invite is taken, and the drop page links it.
  assert.equal((await webPost(w, "/dashboard/invite", { csrf, invite: "https://evil.example/discord.gg/x" }, { cookie: seller.cookie })).status, 400);
  const invited = await webPost(w, "/dashboard/invite", { csrf, invite: "discord.gg/cozy-keys" }, { cookie: seller.cookie });
  assert.equal(invited.status, 303);
  const shown = await page(`/drops/${drop.id}`);
  assert.match(shown.html, /<a href="https:\/\/discord\.gg\/cozy-keys" rel="noopener">Join [^<]+ Discord server<\/a>/);
  assert.ok((await page("/dashboard", seller.cookie)).html.includes('value="https://discord.gg/cozy-keys"'));
  assert.equal((await webPost(w, "/dashboard/invite", { csrf, invite: "" }, { cookie: seller.cookie })).status, 303);
  assert.doesNotMatch((await page(`/drops/${drop.id}`)).html, /discord\.gg\/cozy-keys/, "cleared");

  // Another builder cannot touch it.
  const other = await signIn(w, { id: OTHER_SELLER });
  const otherCsrf = csrfOf((await page("/dashboard", other.cookie)).html);
  const theirs = await webPost(w, `/dashboard/drops/${drop.id}/delist`, { csrf: otherCsrf }, { cookie: other.cookie });
  assert.equal(theirs.status, 403);
  assert.equal((await w.db.prepare("SELECT status FROM listings WHERE id = ?1").bind(drop.id).first()).status, "live");

  const delisted = await webPost(w, `/dashboard/drops/${drop.id}/delist`, { csrf }, { cookie: seller.cookie });
  assert.equal(delisted.status, 303);
  assert.equal((await w.db.prepare("SELECT status FROM listings WHERE id = ?1").bind(drop.id).first()).status, "delisted");
  await waitFor(() => w.standin.state.calls.find((c) => c.method === "PATCH" && /Delisted|no longer/i.test(JSON.stringify(c.body))), { what: "the delisted embed" });
  assert.ok(!(await page("/dashboard", seller.cookie)).html.includes(`action="/dashboard/drops/${drop.id}"`), "gone from live drops");
  assert.equal((await webPost(w, `/dashboard/drops/${drop.id}`, { csrf, price: "90", stock: "1" }, { cookie: seller.cookie })).status, 409);
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});

test("the isolate keeps a builder's dashboard for PAGE_CACHE_SECONDS: a refresh reads nothing, their own change, signing out and a ban forget it, a sale shows once it ages out", async () => {
  // The harness sets PAGE_CACHE_SECONDS=1.
  const drop = await postDrop(w, SELLER, { quantity: 3, price: "80", title: "Kept Board" });
  const seller = await signIn(w, { id: SELLER, username: "keyz" });
  const first = await page("/dashboard", seller.cookie);
  assert.equal(first.res.headers.get("x-c500-cache"), "miss");
  const again = await page("/dashboard", seller.cookie);
  assert.equal(again.res.headers.get("x-c500-cache"), "hit", "a refresh within the second is answered from the isolate");
  assert.equal(again.res.headers.get("cache-control"), "private, no-store");
  assert.equal(again.html, first.html);
  // Another builder's session is theirs alone.
  const other = await signIn(w, { id: OTHER_SELLER });
  const theirs = await page("/dashboard", other.cookie);
  assert.equal(theirs.res.headers.get("x-c500-cache"), "miss");
  assert.ok(!theirs.html.includes(drop.id), "not the other builder's drops");

  // A sale made after the dashboard was kept shows once the copy ages out.
  const sold = await sell(drop);
  await new Promise((r) => setTimeout(r, 1100));
  const later = await page("/dashboard", seller.cookie);
  assert.equal(later.res.headers.get("x-c500-cache"), "miss");
  assert.ok(later.html.includes(sold.id), "the new order waits on the builder");

  // Their own change is on the page they are sent back to, at once.
  const csrf = csrfOf(later.html);
  assert.equal((await page("/dashboard", seller.cookie)).res.headers.get("x-c500-cache"), "hit");
  const saved = await webPost(w, `/dashboard/drops/${drop.id}`, { csrf, price: "77", stock: "1" }, { cookie: seller.cookie });
  assert.equal(saved.status, 303);
  const shown = await page("/dashboard?saved=edit", seller.cookie);
  assert.equal(shown.res.headers.get("x-c500-cache"), "miss");
  assert.ok(shown.html.includes('value="77.00"'), "the new price");
  assert.match(shown.html, /Saved/);

  // Signing out: the kept dashboard goes with the session.
  assert.equal((await page("/dashboard", seller.cookie)).res.headers.get("x-c500-cache"), "hit");
  assert.equal((await webPost(w, "/signout", { csrf }, { cookie: seller.cookie })).status, 303);
  assert.match((await page("/dashboard", seller.cookie)).html, /Sign in with Discord to see your shop/);

  // A ban made in this isolate: the banned builder's kept dashboard goes at once.
  const banned = await signIn(w, { id: BANNED_SELLER });
  assert.equal((await page("/dashboard", banned.cookie)).res.status, 200);
  assert.equal((await page("/dashboard", banned.cookie)).res.headers.get("x-c500-cache"), "hit");
  await validReply(w, hqCommand("ban", { userId: "1300000000000000001", options: [{ name: "user", type: 6, value: BANNED_SELLER }, { name: "reason", type: 3, value: "scalping" }] }));
  await waitFor(async () => (await w.db.prepare("SELECT is_banned FROM users WHERE discord_id = ?1").bind(BANNED_SELLER).first())?.is_banned === 1, { what: "the ban" });
  assert.match((await page("/dashboard", banned.cookie)).html, /Sign in with Discord to see your shop/);
});

test("the CSV exports: every order and payout in exact cents, cells defused", async () => {
  const drop = await postDrop(w, OTHER_SELLER, { quantity: 2, price: "129.99", shipping: 1500, title: "=HYPERLINK(\"x\"), board" });
  const o = await sell(drop);
  await validReply(w, slashCommand(["ship"], { userId: OTHER_SELLER, options: [{ name: "order", type: 3, value: o.id }, { name: "carrier", type: 3, value: "ups" }, { name: "tracking", type: 3, value: "1Z999AA10123456784" }] }));
  await waitFor(async () => (await w.db.prepare("SELECT escrow FROM orders WHERE id = ?1").bind(o.id).first()).escrow === "released", { what: "payout" });
  const { cookie } = await signIn(w, { id: OTHER_SELLER });

  const res = await w.get("/dashboard/orders.csv", { headers: { cookie } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
  assert.match(res.headers.get("content-disposition"), /^attachment; filename="c500-orders-\d{4}-\d{2}-\d{2}\.csv"$/);
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  const lines = (await res.text()).split("\r\n");
  assert.equal(lines[0], "order,created_utc,paid_utc,shipped_utc,drop,status,escrow,item_usd,shipping_usd,gross_usd,c500_fee_usd,payout_usd,refunded_usd,released_usd");
  const line = lines.find((l) => l.startsWith(o.id));
  assert.ok(line.includes(`"'=HYPERLINK(""x""), board"`), line);
  const transfer = [...w.standin.stripeObjects.values()].find((x) => x.object === "transfer" && x.transfer_group === o.id);
  const cents = (c) => (c / 100).toFixed(2);
  assert.ok(line.endsWith(`,129.99,15.00,144.99,${cents(o.fee_cents)},${cents(o.payout_cents)},0.00,${cents(transfer.amount)}`), line);
  assert.equal(o.fee_cents + o.payout_cents, 14_499);

  const payouts = (await (await w.get("/dashboard/payouts.csv", { headers: { cookie } })).text()).split("\r\n");
  assert.equal(payouts[0], "at_utc,order,kind,amount_usd,stripe_id");
  assert.ok(payouts.some((l) => l.endsWith(`,${o.id},transfer,${cents(transfer.amount)},${transfer.id}`)), payouts.join("\n"));
});
