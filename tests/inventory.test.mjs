// /c500 inventory on the real runtime: the list, picking a drop, changing price and stock
// (the public embed is PATCHed to match, Sold out included), delisting, and refusing
// anyone who isn't the drop's builder, with nothing changed.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startWorker, validReply, slashCommand, component, makeSeller, postDrop, control, waitFor, freshWindow } from "./harness.mjs";

const SELLER = "2400000000000000001";
const OTHER = "2400000000000000002";
let w;
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
const pickMenu = (listing, userId) => {
  const i = component("c5:v1:inv:pick", { userId });
  i.data = { custom_id: "c5:v1:inv:pick", component_type: 3, values: [listing] };
  return i;
};
/** The edit form as Discord submits it: labels holding text inputs, and the badge select. */
function saveForm(listing, { guild, ...fields }, userId) {
  const i = slashCommand(["inventory"], { userId });
  i.type = 5;
  const components = Object.entries(fields).map(([id, value]) => ({ type: 18, component: { type: 4, custom_id: id, value } }));
  if (guild) components.push({ type: 18, component: { type: 3, custom_id: "guild", values: [guild] } });
  i.data = { custom_id: `c5:v1:inv-save:${listing}`, components };
  return i;
}
const listing = (id) => w.db.prepare("SELECT * FROM listings WHERE id = ?1").bind(id).first();
const embedEdits = (messageId) => w.standin.state.calls.filter((c) => c.service === "discord" && c.method === "PATCH" && c.path.endsWith(`/messages/${messageId}`));

test("the list shows every drop with stock and status, and a menu to pick one", async () => {
  const a = await postDrop(w, SELLER, { quantity: 3, price: "120", title: "Inventory Board A" });
  await postDrop(w, SELLER, { quantity: 1, price: "80", title: "Inventory Board B" });
  const body = await reply(slashCommand(["inventory"], { userId: SELLER }));
  assert.equal(body.data.flags, 64);
  assert.equal(body.data.embeds[0].title, "Your Inventory 📦");
  const text = JSON.stringify(body.data.embeds[0].fields);
  assert.match(text, /Inventory Board A/);
  assert.match(text, /3\/3 available/);
  const menu = body.data.components[0].components[0];
  assert.equal(menu.type, 3);
  assert.equal(menu.custom_id, "c5:v1:inv:pick");
  assert.ok(menu.options.some((o) => o.value === a.id));

  const detail = await reply(pickMenu(a.id, SELLER));
  assert.equal(detail.type, 7, "the menu's message is replaced");
  const ids = detail.data.components[0].components.map((b) => b.custom_id);
  assert.deepEqual(ids, [`c5:v1:inv-edit:${a.id}`, `c5:v1:inv-delist:${a.id}`, "c5:v1:inv:list"]);
  const back = await reply(component("c5:v1:inv:list", { userId: SELLER }));
  assert.equal(back.type, 7);
  assert.equal(back.data.embeds[0].title, "Your Inventory 📦");
});

test("changing price and stock saves them and edits the public embed, down to Sold out", async () => {
  const d = await postDrop(w, SELLER, { quantity: 2, price: "120", title: "Editable Board" });
  const form = await reply(component(`c5:v1:inv-edit:${d.id}`, { userId: SELLER }));
  assert.equal(form.type, 9);
  assert.equal(form.data.custom_id, `c5:v1:inv-save:${d.id}`);
  // Discord's current modal: labelled fields, and the guild badge as a select menu in a Label.
  assert.deepEqual(form.data.components.map((l) => l.type), [18, 18, 18]);
  assert.deepEqual(form.data.components.slice(0, 2).map((l) => l.component.value), ["120.00", "2"]);
  const badge = form.data.components[2].component;
  assert.equal(badge.type, 3);
  assert.deepEqual(badge.options.filter((o) => o.default).map((o) => o.value), ["builder"]);

  const saved = await reply(saveForm(d.id, { price: "$99.50", stock: "5", guild: "artisan" }, SELLER));
  assert.match(saved.data.content, /Saved/);
  let row = await listing(d.id);
  assert.deepEqual([row.price_cents, row.stock, row.quantity, row.guild_tag], [9950, 5, 5, "artisan"]);
  const edit = await waitFor(() => embedEdits(d.message_id)[0], { what: "embed edit" });
  assert.match(JSON.stringify(edit.body.embeds[0].fields), /\$99\.50/);
  assert.match(JSON.stringify(edit.body.embeds[0].fields), /Artisan/);
  assert.match(JSON.stringify(edit.body.embeds[0].fields), /Available \(5\/5\)/);

  await reply(saveForm(d.id, { price: "99.50", stock: "0" }, SELLER));
  row = await listing(d.id);
  assert.equal(row.stock, 0);
  const soldOut = await waitFor(() => embedEdits(d.message_id).find((c) => /Sold out/.test(JSON.stringify(c.body.embeds[0].fields))), { what: "Sold out edit" });
  assert.equal(soldOut.body.components[0].components[0].disabled, true);
  assert.deepEqual(w.standin.state.violations, []);
});

test("units already sold or held stay counted when the stock changes", async () => {
  const d = await postDrop(w, SELLER, { quantity: 3, price: "50", title: "Counted Board" });
  await w.interact(component(`c5:v1:buy:${d.id}`, { userId: "3400000000000000001" }));
  assert.equal((await listing(d.id)).stock, 2);
  await reply(saveForm(d.id, { price: "50", stock: "4" }, SELLER));
  const row = await listing(d.id);
  assert.deepEqual([row.stock, row.quantity], [4, 5], "1 held + 4 available");
});

test("bad values are named and nothing changes", async () => {
  const d = await postDrop(w, SELLER, { quantity: 2, price: "120", title: "Strict Board" });
  for (const [fields, name] of [[{ price: "abc", stock: "1" }, /Price/], [{ price: "10", stock: "-1" }, /Available/], [{ price: "10", stock: "1000" }, /Available/]]) {
    const body = await reply(saveForm(d.id, fields, SELLER));
    assert.match(body.data.embeds[0].title, /Check your change/);
    assert.match(body.data.embeds[0].description, name);
  }
  const row = await listing(d.id);
  assert.deepEqual([row.price_cents, row.stock], [12000, 2]);
});

test("delisting takes the drop off sale and the embed says so", async () => {
  const d = await postDrop(w, SELLER, { quantity: 2, price: "120", title: "Leaving Board" });
  const body = await reply(component(`c5:v1:inv-delist:${d.id}`, { userId: SELLER }));
  assert.equal(body.type, 7);
  assert.equal((await listing(d.id)).status, "delisted");
  const edit = await waitFor(() => embedEdits(d.message_id)[0], { what: "embed edit" });
  assert.match(JSON.stringify(edit.body.embeds[0].fields), /Delisted/);
  assert.equal(edit.body.components[0].components[0].disabled, true);
  const buy = await reply(component(`c5:v1:buy:${d.id}`, { userId: "3400000000000000002" }));
  assert.match(buy.data.embeds[0].title, /No longer available/);
  const again = await reply(component(`c5:v1:inv-edit:${d.id}`, { userId: SELLER }));
  assert.match(again.data.embeds[0].title, /Already delisted/);
});

test("hammering Delist: one write, one embed edit; the other clicks show the listing as it is", async () => {
  const d = await postDrop(w, SELLER, { quantity: 2, price: "120", title: "Storm Board" });
  await freshWindow();
  const bodies = await Promise.all(Array.from({ length: 6 }, () => reply(component(`c5:v1:inv-delist:${d.id}`, { userId: SELLER }))));
  for (const body of bodies) assert.equal(body.type, 7, JSON.stringify(body));
  assert.equal((await listing(d.id)).status, "delisted");
  assert.equal(w.logs.filter((l) => l.event === "listing_delisted" && l.listing === d.id).length, 1);
  assert.equal(w.logs.filter((l) => l.event === "click_repeated" && l.subject === d.id).length, 5);
  await waitFor(() => embedEdits(d.message_id)[0], { what: "embed edit" });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(embedEdits(d.message_id).length, 1);
});

test("someone else's listing: every action is refused and nothing changes", async () => {
  const d = await postDrop(w, SELLER, { quantity: 2, price: "120", title: "Not Yours Board" });
  for (const payload of [
    pickMenu(d.id, OTHER),
    component(`c5:v1:inv-edit:${d.id}`, { userId: OTHER }),
    component(`c5:v1:inv-delist:${d.id}`, { userId: OTHER }),
    saveForm(d.id, { price: "1", stock: "999" }, OTHER),
  ]) {
    const body = await reply(payload);
    assert.equal(body.type, 4);
    assert.match(body.data.embeds[0].title, /Not your listing/);
  }
  const row = await listing(d.id);
  assert.deepEqual([row.status, row.price_cents, row.stock], ["live", 12000, 2]);
  assert.equal(embedEdits(d.message_id).length, 0);
  const list = await reply(slashCommand(["inventory"], { userId: OTHER }));
  assert.doesNotMatch(JSON.stringify(list.data), /Not Yours Board/);
});
