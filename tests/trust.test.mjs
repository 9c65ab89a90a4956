// Trust on the real runtime: the Citizen Passport shows the tier computed from D1, and a
// certified builder's vouch (once per pair) makes a Guest a Member whose cap the Buy button honours.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, validReply, slashCommand, component, makeSeller, postDrop } from "./harness.mjs";

const BUILDER = "2700000000000000001";
const BUYER = "3700000000000000001";
let w;
before(async () => {
  w = await startWorker();
  await makeSeller(w, BUILDER);
});
after(async () => {
  await w?.close();
});

const reply = (payload) => validReply(w, payload);
const user = (id) => ({ name: "user", type: 6, value: id });
const vouch = (from, to) => reply(slashCommand(["vouch"], { userId: from, options: [user(to)] }));
const fields = (body) => JSON.stringify(body.data.embeds[0].fields);

test("a vouch makes a Guest a Member, once, and the Buy button honours the new cap", async () => {
  let passport = await reply(slashCommand(["profile"], { userId: BUYER }));
  assert.equal(passport.data.embeds[0].title, "C500 Citizen Passport ✨");
  assert.match(fields(passport), /Guest/);
  assert.match(fields(passport), /\$150\.00 per item/);
  const drop = await postDrop(w, BUILDER, { price: "200" });
  let buy = await reply(component(`c5:v1:buy:${drop.id}`, { userId: BUYER }));
  assert.match(buy.data.embeds[0].title, /Over your purchase cap/);

  const done = await vouch(BUILDER, BUYER);
  assert.match(done.data.embeds[0].title, /Vouched/);
  assert.match((await vouch(BUILDER, BUYER)).data.embeds[0].title, /Already vouched/);
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM vouches WHERE buyer_id = ?1").bind(BUYER).first()).n, 1);
  passport = await reply(slashCommand(["profile"], { userId: BUILDER, options: [user(BUYER)] }));
  assert.match(fields(passport), /Member/);
  assert.match(fields(passport), /1 builder vouch/);
  buy = await reply(component(`c5:v1:buy:${drop.id}`, { userId: BUYER }));
  assert.match(buy.data.embeds[0].title, /Great choice/);
});

test("only certified builders vouch, never for themselves", async () => {
  const stranger = "3700000000000000002";
  assert.match((await vouch(stranger, BUYER)).data.embeds[0].title, /Builders only/);
  assert.match((await vouch(BUILDER, BUILDER)).data.embeds[0].title, /Not yourself/);
  await w.db.prepare("UPDATE builders SET approved = 0 WHERE discord_id = ?1").bind(BUILDER).run();
  assert.match((await vouch(BUILDER, stranger)).data.embeds[0].title, /Builders only/);
  await w.db.prepare("UPDATE builders SET approved = 1 WHERE discord_id = ?1").bind(BUILDER).run();
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM vouches WHERE buyer_id = ?1").bind(stranger).first()).n, 0);
});

test("three completed purchases with no lost dispute make a VIP", async () => {
  const vip = "3700000000000000003";
  await w.db.prepare("INSERT INTO users (discord_id, username, completed_orders, created_at, updated_at) VALUES (?1, 'v', 3, 0, 0)").bind(vip).run();
  let passport = await reply(slashCommand(["profile"], { userId: vip }));
  assert.match(fields(passport), /VIP Citizen/);
  assert.match(fields(passport), /Unlimited Purchase Cap/);
  assert.match(fields(passport), /Early-Bird/);
  await w.db.prepare("UPDATE users SET lost_disputes = 1 WHERE discord_id = ?1").bind(vip).run();
  passport = await reply(slashCommand(["profile"], { userId: vip }));
  assert.match(fields(passport), /Member/, "a lost dispute ends VIP status");
});
