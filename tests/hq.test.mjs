// HQ on the real runtime: a buyer's report (DM only, never shown to the builder) and its
// resolution, and the global ban: a banned user can do nothing with C500, anywhere.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, validReply, component, slashCommand, hqCommand, makeSeller, postDrop, control, waitFor } from "./harness.mjs";

const SELLER = "2800000000000000001";
const BUYER = "3800000000000000001";
const ADMIN = "1300000000000000001";
const HQ_CHANNEL = "1200000000000000002";
let w;
let orderId;

before(async () => {
  w = await startWorker();
  await makeSeller(w, SELLER);
  const drop = await postDrop(w, SELLER, { quantity: 2, price: "60" });
  await w.interact(component(`c5:v1:buy:${drop.id}`, { userId: BUYER }));
  const hold = await w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1").bind(drop.id).first();
  await control(w, `/stripe/checkout/${hold.checkout_session_id}/pay`);
  orderId = hold.id;
});
after(async () => {
  await w?.close();
});
beforeEach(async () => {
  await control(w, "/reset");
});

const reply = (payload) => validReply(w, payload);
const title = (body) => body.data.embeds[0].title;
const opt = (name, value, type = 3) => ({ name, type, value });
/** The same interaction from a DM: Discord sends `user`, no guild. */
function inDm(i) {
  delete i.guild_id;
  i.user = i.member.user;
  delete i.member;
  return i;
}
const report = (userId, order = orderId) => reply(inDm(slashCommand(["report"], { userId, options: [opt("order", order), opt("reason", "Never arrived")] })));

test("a report is DM-only, goes to HQ and not to the builder, once per order", async () => {
  const inGuild = await reply(slashCommand(["report"], { userId: BUYER, options: [opt("order", orderId), opt("reason", "x")] }));
  assert.match(title(inGuild), /Report in a DM/);
  assert.match(title(await report("3800000000000000099")), /Not your order/);
  const opened = await report(BUYER);
  assert.match(title(opened), /sent to C500 HQ/);
  const row = await w.db.prepare("SELECT * FROM reports WHERE order_id = ?1").bind(orderId).first();
  assert.equal(row.status, "open");
  assert.match(row.id, /^R-[0-9A-Z]{6}$/);
  const ticket = await waitFor(() => w.standin.state.calls.find((c) => c.path === `/discord/api/v10/channels/${HQ_CHANNEL}/messages` && /Report/.test(c.body?.embeds?.[0]?.title)), { what: "HQ ticket" });
  assert.match(ticket.body.embeds[0].description, /Never arrived/);
  await new Promise((r) => setTimeout(r, 200));
  const toBuilder = w.standin.state.calls.filter((c) => c.path === `/discord/api/v10/channels/dm${SELLER}/messages`);
  assert.ok(!toBuilder.some((c) => /Report|Never arrived/.test(JSON.stringify(c.body))), "the builder is not told");
  assert.ok(!w.standin.state.calls.some((c) => c.path !== `/discord/api/v10/channels/${HQ_CHANNEL}/messages` && /Never arrived/.test(JSON.stringify(c.body))), "only HQ sees it");
  assert.match(title(await report(BUYER)), /Already reported/);

  // Resolving: HQ only; the reporter hears.
  const resolve = (userId) => reply(hqCommand("resolve", { userId, options: [opt("report", row.id), opt("resolution", "Refunded in full")] }));
  assert.match(title(await resolve(SELLER)), /HQ only/);
  assert.match(title(await resolve(ADMIN)), /resolved/);
  const after = await w.db.prepare("SELECT * FROM reports WHERE id = ?1").bind(row.id).first();
  assert.deepEqual([after.status, after.resolution, after.resolved_by], ["resolved", "Refunded in full", ADMIN]);
  await waitFor(() => w.standin.state.calls.find((c) => c.path === `/discord/api/v10/channels/dm${BUYER}/messages` && /resolved/.test(c.body?.embeds?.[0]?.title)), { what: "reporter DM" });
  assert.match(title(await resolve(ADMIN)), /No open report/);
  assert.deepEqual(w.standin.state.violations, []);
});

test("a banned user can do nothing, anywhere; their drops go off sale; unban restores them", async () => {
  const drop = await w.db.prepare("SELECT * FROM listings WHERE seller_id = ?1 AND status = 'live'").bind(SELLER).first();
  assert.match(title(await reply(hqCommand("ban", { userId: SELLER, options: [opt("user", BUYER, 6), opt("reason", "fraud")] }))), /HQ only/);
  const banned = await reply(hqCommand("ban", { userId: ADMIN, options: [opt("user", SELLER, 6), opt("reason", "fraud")] }));
  assert.match(title(banned), /Banned/);
  const u = await w.db.prepare("SELECT is_banned, ban_reason FROM users WHERE discord_id = ?1").bind(SELLER).first();
  assert.deepEqual([u.is_banned, u.ban_reason], [1, "fraud"]);
  assert.equal((await w.db.prepare("SELECT status FROM listings WHERE id = ?1").bind(drop.id).first()).status, "delisted");
  const notice = await waitFor(() => w.standin.state.calls.find((c) => c.path === `/discord/api/v10/channels/dm${SELLER}/messages` && /Banned/.test(c.body?.embeds?.[0]?.title)), { what: "ban notice" });
  assert.match(notice.body.embeds[0].description, /for fraud/);
  await waitFor(() => w.standin.state.calls.find((c) => c.method === "PATCH" && c.path.endsWith(`/messages/${drop.message_id}`)), { what: "embed edit" });

  for (const payload of [
    slashCommand(["dashboard"], { userId: SELLER }),
    slashCommand(["inventory"], { userId: SELLER }),
    slashCommand(["queue"], { userId: SELLER }),
    inDm(slashCommand(["orders"], { userId: SELLER })),
    component("c5:v1:orders:1", { userId: SELLER }),
  ]) {
    assert.match(title(await reply(payload)), /banned from C500/, JSON.stringify(payload.data));
  }
  // Help needs no account and still answers.
  assert.equal((await reply(slashCommand(["help"], { userId: SELLER }))).type, 4);

  assert.match(title(await reply(hqCommand("unban", { userId: ADMIN, options: [opt("user", SELLER, 6)] }))), /lifted/);
  assert.match(title(await reply(slashCommand(["dashboard"], { userId: SELLER }))), /Dashboard|Shop/i);
  assert.equal((await w.db.prepare("SELECT status FROM listings WHERE id = ?1").bind(drop.id).first()).status, "delisted");
  const audit = (await w.db.prepare("SELECT action FROM admin_actions WHERE subject = ?1 ORDER BY id").bind(SELLER).all()).results.map((r) => r.action);
  assert.deepEqual(audit.slice(-2), ["ban", "unban"]);
});
