// The buyer's side after paying: /success (never trusting the redirect), /cancel, the
// unguessable /orders/{token} page, and /c500 orders (paginated, works in DMs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, validReply, component, slashCommand, makeSeller, postDrop, control } from "./harness.mjs";

const SELLER = "2300000000000000001";
const BUYER = "3300000000000000001";
let w;
before(async () => {
  w = await startWorker();
  await makeSeller(w, SELLER);
});
after(async () => {
  await w?.close();
});

async function buy(listing, userId = BUYER) {
  await w.interact(component(`c5:v1:buy:${listing}`, { userId }));
  return w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1 AND buyer_id = ?2").bind(listing, userId).first();
}
const interaction = (payload) => validReply(w, payload);

test("/success shows 'confirming' until the webhook lands, then the paid order", async () => {
  const drop = await postDrop(w, SELLER, { price: "75", title: "Pastel Deskmat" });
  const h = await buy(drop.id);
  await control(w, `/stripe/checkout/${h.checkout_session_id}/pay`, { deliver: false });
  let res = await w.get(`/success?session_id=${h.checkout_session_id}`);
  assert.equal(res.status, 200);
  let html = await res.text();
  assert.match(html, /Confirming your payment/);
  assert.match(html, /http-equiv="refresh"/);
  assert.match(res.headers.get("cache-control"), /no-store/);
  await w.standin.sendStripeEvent({ type: "checkout.session.completed", object: w.standin.stripeObjects.get(h.checkout_session_id) });
  res = await w.get(`/success?session_id=${h.checkout_session_id}`);
  html = await res.text();
  assert.match(html, /Payment Successful! 🎉/);
  assert.match(html, /C500 Vault/);
  assert.match(html, /Pastel Deskmat/);
  assert.match(html, /\$75\.00/);
  const token = (await w.db.prepare("SELECT status_token FROM orders WHERE id = ?1").bind(h.id).first()).status_token;
  assert.match(html, new RegExp(`/orders/${token}`));
  assert.doesNotMatch(html, /http-equiv="refresh"/);
});

test("/success with no session goes home; an unknown session is a 404", async () => {
  const home = await w.get("/success", { redirect: "manual" });
  assert.ok([302, 303, 307].includes(home.status));
  assert.equal(home.headers.get("location"), "/");
  assert.equal((await w.get("/success?session_id=cs_test_nobody")).status, 404);
});

test("/cancel reassures, and /orders/{token} shows the timeline to whoever has the link", async () => {
  const cancel = await w.get("/cancel?order=C5-AAAAAA");
  assert.equal(cancel.status, 200);
  assert.match(await cancel.text(), /Checkout cancelled/);
  const o = await w.db.prepare("SELECT * FROM orders WHERE buyer_id = ?1").bind(BUYER).first();
  const res = await w.get(`/orders/${o.status_token}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, new RegExp(o.id));
  assert.match(html, /Paid · held by C500/);
  assert.match(html, /Held by C500/);
  assert.match(html, /Payment received/);
  assert.match(html, /noindex/);
  assert.equal((await w.get(`/orders/${"x".repeat(32)}`)).status, 404);
  assert.equal((await w.get("/orders/<script>")).status, 404);
});

test("/c500 orders lists the buyer's orders newest first, five to a page, in a server or a DM", async () => {
  for (let i = 0; i < 6; i++) {
    const drop = await postDrop(w, SELLER, { price: "20", title: `Keycap Set ${i}` });
    const h = await buy(drop.id);
    await control(w, `/stripe/checkout/${h.checkout_session_id}/pay`);
  }
  const first = await interaction(slashCommand(["orders"], { userId: BUYER }));
  assert.equal(first.type, 4);
  assert.equal(first.data.flags, 64);
  const embed = first.data.embeds[0];
  assert.equal(embed.title, "My Cozy Collection 📦");
  assert.equal(embed.fields.length, 5);
  assert.match(embed.fields[0].name, /Keycap Set 5/);
  assert.match(embed.footer.text, /Contact the builder directly/);
  const [newer, older] = first.data.components[0].components;
  assert.equal(newer.disabled, true);
  assert.equal(older.custom_id, "c5:v1:orders:1");

  // In a DM Discord sends `user`, not `member`.
  const dm = component("c5:v1:orders:1", { userId: BUYER });
  delete dm.guild_id;
  dm.user = dm.member.user;
  delete dm.member;
  const second = await interaction(dm);
  assert.equal(second.type, 7, "the page replaces the message");
  assert.equal(second.data.embeds[0].fields.length, 2);
  assert.match(second.data.embeds[0].fields.at(-1).name, /Pastel Deskmat/);
  assert.equal(second.data.components[0].components[1].disabled, true);

  const nobody = await interaction(slashCommand(["orders"], { userId: "3300000000000000999" }));
  assert.match(nobody.data.embeds[0].description, /No orders yet/);
});
