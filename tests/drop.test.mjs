// /c500 drop on the real runtime: who may sell, the form, the validation matrix, the saved
// listing and its public embed (valid against Discord's spec) with a Buy button.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, slashCommand } from "./harness.mjs";
import { validateInteractionResponse } from "../dev/discord-spec.mjs";

const SELLER = "2000000000000000001";
const GUILD = "1500000000000000001";
const HERE = "1600000000000000001"; // the channel the harness's interactions come from
let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.close();
});

async function makeSeller(id, { approved = 1, account = "acct_ready", enabled = 1 } = {}) {
  const now = Date.now();
  await w.db.batch([
    w.db.prepare("INSERT OR IGNORE INTO users (discord_id, username, created_at, updated_at) VALUES (?1, 'seller', ?2, ?2)").bind(id, now),
    w.db
      .prepare(
        `INSERT OR REPLACE INTO builders (discord_id, handle, approved, stripe_account_id, charges_enabled, payouts_enabled, details_submitted, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5, ?6, ?6)`,
      )
      .bind(id, `seller-${id.slice(-4)}`, approved, account, enabled, now),
  ]);
}

async function reply(payload) {
  const res = await w.interact(payload);
  assert.equal(res.status, 200);
  const body = await res.json();
  const check = validateInteractionResponse(body);
  assert.ok(check.ok, check.errors.join("; ") + JSON.stringify(body));
  return body;
}
const opt = (name, value, type = 3) => ({ name, type, value });
const drop = (options, userId = SELLER) => slashCommand(["drop"], { options, userId });

function submit(customId, fields, userId = SELLER) {
  const i = slashCommand(["drop"], { userId });
  i.type = 5;
  i.data = {
    custom_id: customId,
    components: Object.entries(fields).map(([id, value]) => ({ type: 1, components: [{ type: 4, custom_id: id, value }] })),
  };
  return i;
}
const good = { item_title: "Snow White TKL", price: "450", description: "Lubed Gateron Inks", image_url: "https://i.imgur.com/x.jpg", specs: "" };
const listingCount = async () => (await w.db.prepare("SELECT COUNT(*) AS n FROM listings").first()).n;

test("someone who may not sell is told exactly what is missing", async () => {
  let body = await reply(drop([opt("type", "ready_to_ship")], "2000000000000000099"));
  assert.match(body.data.embeds[0].title, /Not ready to sell yet/);
  assert.match(body.data.embeds[0].description, /Certified Builder/);
  assert.match(body.data.embeds[0].description, /\/c500 setup stripe/);
  await makeSeller("2000000000000000002", { account: null, enabled: 0 });
  body = await reply(drop([opt("type", "ready_to_ship")], "2000000000000000002"));
  assert.doesNotMatch(body.data.embeds[0].description, /Certified Builder/);
  assert.match(body.data.embeds[0].description, /No payouts account yet/);
});

test("bad slash options are named and no form opens", async () => {
  await makeSeller(SELLER);
  const cases = [
    [[opt("type", "ready_to_ship"), opt("lead_time_weeks", 4, 4)], /lead_time_weeks/],
    [[opt("type", "commission"), opt("release_at", "2020-01-01 10:00")], /release_at/],
    [[opt("type", "ready_to_ship"), opt("shipping", "abc")], /shipping/],
  ];
  for (const [options, field] of cases) {
    const body = await reply(drop(options));
    assert.equal(body.type, 4);
    assert.match(body.data.embeds[0].description, field);
  }
});

test("a certified, Stripe-enabled builder gets the form, carrying the options", async () => {
  const body = await reply(drop([opt("type", "commission"), opt("quantity", 3, 4), opt("shipping", "25"), opt("lead_time_weeks", 6, 4), opt("guild", "modder")]));
  assert.equal(body.type, 9);
  assert.equal(body.data.title, "Create New C500 Drop 🛍️");
  assert.equal(body.data.custom_id, "c5:v1:drop:c.3.2500.6.modder.0");
  // Discord's current modal: every field a Label (type 18), the photo a file upload (type 19).
  assert.deepEqual(body.data.components.map((l) => l.type), [18, 18, 18, 18, 18]);
  assert.deepEqual(body.data.components.map((l) => l.component.custom_id), ["item_title", "price", "description", "photo", "specs"]);
  const photo = body.data.components[3].component;
  assert.deepEqual([photo.type, photo.min_values, photo.max_values, photo.required], [19, 0, 1, false]);
  assert.equal(body.data.components[0].component.label, undefined, "a Label carries the label");
});

test("the form's validation matrix: each mistake is named and nothing is saved", async () => {
  const before = await listingCount();
  const cases = [
    [{ price: "abc" }, /Price/],
    [{ price: "-5" }, /Price/],
    [{ price: "0.49" }, /Price/],
    [{ price: "10000.01" }, /Price/],
    [{ image_url: "http://i.imgur.com/x.jpg" }, /Image URL/],
    [{ item_title: "x".repeat(201) }, /Item Title/],
    [{ item_title: "" }, /Item Title/],
    [{ description: "" }, /Description/],
    [{ price: "" }, /Price/],
  ];
  for (const [change, field] of cases) {
    const body = await reply(submit("c5:v1:drop:r.1.0.0.builder.0", { ...good, ...change }));
    assert.match(body.data.embeds[0].title, /Check your drop/, JSON.stringify(change));
    assert.match(body.data.embeds[0].description, field, JSON.stringify(change));
    assert.equal(body.data.flags, 64);
  }
  assert.equal(await listingCount(), before);
  assert.equal(w.standin.state.calls.filter((c) => c.path.includes("/messages")).length, 0, "nothing posted");
});

test("a valid drop is saved and its embed posted with a Buy button", async () => {
  const body = await reply(submit("c5:v1:drop:c.3.2500.6.modder.0", { ...good, price: "1,299.99", specs: "Gasket mount" }));
  assert.match(body.data.embeds[0].title, /Your drop is live/);
  assert.match(body.data.embeds[0].description, new RegExp(`<#${HERE}>`));
  const row = await w.db.prepare("SELECT * FROM listings WHERE seller_id = ? ORDER BY created_at DESC").bind(SELLER).first();
  assert.deepEqual(
    [row.kind, row.price_cents, row.shipping_cents, row.quantity, row.stock, row.lead_time_weeks, row.guild_tag, row.status, row.specs],
    ["commission", 129999, 2500, 3, 3, 6, "modder", "live", "Gasket mount"],
  );
  const post = w.standin.state.calls.find((c) => c.service === "discord" && c.path === `/discord/api/v10/channels/${HERE}/messages`);
  assert.ok(post, "the embed was posted where the command was used");
  assert.equal(post.status, 200);
  assert.deepEqual(w.standin.state.violations, [], "the message body is valid against Discord's spec");
  const [embed] = post.body.embeds;
  assert.equal(embed.title, "Snow White TKL");
  assert.equal(embed.color, 0xffd1dc);
  assert.match(JSON.stringify(embed.fields), /\$1,299\.99\*\* \+ \$25\.00 shipping/);
  assert.match(JSON.stringify(embed.fields), /Available \(3\/3\)/);
  assert.match(JSON.stringify(embed.fields), /ships in ~6 weeks/);
  assert.equal(embed.footer.text, "Powered by the C500 Collective | Verified Build");
  const button = post.body.components[0].components[0];
  assert.equal(button.custom_id, `c5:v1:buy:${row.id}`);
  assert.equal(button.label, "Buy Now with C500");
  assert.match(row.message_id, /^\d+$/);
  assert.match(await (await w.uncachedLanding()).text(), /Snow White TKL/);
});

test("drops go to the server's shop channel when one is set", async () => {
  await w.db.prepare("INSERT INTO guild_settings (guild_id, shop_channel_id, updated_at) VALUES (?1, '1600000000000000777', 0)").bind(GUILD).run();
  const body = await reply(submit("c5:v1:drop:r.1.0.0.builder.0", { ...good, item_title: "Shop Board" }));
  assert.match(body.data.embeds[0].description, /<#1600000000000000777>/);
  assert.ok(w.standin.state.calls.some((c) => c.path === "/discord/api/v10/channels/1600000000000000777/messages"));
});

test("if Discord refuses the post, nothing is on sale and the builder is told why", async () => {
  await fetch(`${w.standin.url}/_standin/discord/fail`, { method: "POST", body: JSON.stringify({ count: 1, status: 403 }) });
  const body = await reply(submit("c5:v1:drop:r.1.0.0.builder.0", { ...good, item_title: "Forbidden Board" }));
  assert.match(body.data.embeds[0].title, /Couldn't post the drop/);
  assert.match(body.data.embeds[0].description, /Send Messages and Embed Links/);
  const row = await w.db.prepare("SELECT status FROM listings WHERE title = 'Forbidden Board'").first();
  assert.equal(row.status, "delisted");
});

test("a revoked builder's pending form is refused at submit", async () => {
  await w.db.prepare("UPDATE builders SET approved = 0 WHERE discord_id = ?").bind(SELLER).run();
  const before = await listingCount();
  const body = await reply(submit("c5:v1:drop:r.1.0.0.builder.0", good));
  assert.match(body.data.embeds[0].title, /Not ready to sell yet/);
  assert.equal(await listingCount(), before);
});

/** A form submission in Discord's current shape (labels), with an uploaded file. */
function submitWithPhoto(customId, fields, file, userId = SELLER) {
  const i = submit(customId, {}, userId);
  i.data.components = [
    ...Object.entries(fields).map(([id, value]) => ({ type: 18, id: 1, component: { type: 4, id: 2, custom_id: id, value } })),
    { type: 18, id: 9, component: { type: 19, id: 10, custom_id: "photo", values: file ? ["1444000000000000001"] : [] } },
  ];
  if (file) {
    i.data.resolved = {
      attachments: {
        "1444000000000000001": {
          id: "1444000000000000001", filename: file.name, size: file.size ?? 68, content_type: file.type,
          url: `${w.standin.url}/_standin/cdn/attachments/1/2/${file.name}`, proxy_url: `${w.standin.url}/_standin/cdn/p/${file.name}`,
        },
      },
    };
  }
  return i;
}

test("a photo uploaded with the form is kept in KV and served by the worker", async () => {
  await makeSeller(SELLER);
  const body = await reply(submitWithPhoto("c5:v1:drop:r.1.0.0.builder.0", { ...good, item_title: "Photo Board", image_url: undefined }, { name: "board.png", type: "image/png" }));
  assert.match(body.data.embeds[0].title, /Your drop is live/, JSON.stringify(body));
  const row = await w.db.prepare("SELECT * FROM listings WHERE title = 'Photo Board'").first();
  assert.equal(row.photo_type, "image/png");
  const post = w.standin.state.calls.find((c) => c.service === "discord" && c.method === "POST" && c.body?.embeds?.[0]?.title === "Photo Board");
  assert.equal(post.body.embeds[0].image.url, `http://c500.test/photos/${row.id}`);
  const photo = await w.get(`/photos/${row.id}`);
  assert.equal(photo.status, 200);
  assert.equal(photo.headers.get("content-type"), "image/png");
  assert.match(photo.headers.get("cache-control"), /immutable/);
  const bytes = Buffer.from(await photo.arrayBuffer());
  assert.equal(bytes.subarray(1, 4).toString(), "PNG");
  assert.match(await (await w.get(`/drops/${row.id}`)).text(), new RegExp(`content="http://c500.test/photos/${row.id}"`), "OpenGraph image is absolute");
  assert.equal((await w.get("/photos/D-ZZZZZZZZ")).status, 404);
  assert.equal((await w.get("/photos/..%2Fsecret")).status, 404);
});

test("a file that isn't a picture is named and nothing is saved", async () => {
  const before = await listingCount();
  for (const file of [{ name: "notes.txt", type: "text/plain" }, { name: "huge.png", type: "image/png", size: 11 * 1024 * 1024 }]) {
    const body = await reply(submitWithPhoto("c5:v1:drop:r.1.0.0.builder.0", { ...good, item_title: "Not A Photo" }, file));
    assert.match(body.data.embeds[0].title, /Check your drop/);
    assert.match(body.data.embeds[0].description, /Photo/);
  }
  assert.equal(await listingCount(), before);
});

test("a photo is fetched only from Discord's CDN, and only if it is the picture it claims; else nothing is saved", async () => {
  await makeSeller(SELLER);
  const before = await listingCount();
  const fetched = () => w.standin.state.calls.filter((c) => c.path?.includes("elsewhere")).length;
  // Declared a PNG, but the link leaves Discord's CDN: never fetched.
  const offCdn = submitWithPhoto("c5:v1:drop:r.1.0.0.builder.0", { ...good, item_title: "Off CDN" }, { name: "board.png", type: "image/png" });
  const attachment = Object.values(offCdn.data.resolved.attachments)[0];
  attachment.url = `${w.standin.url}/elsewhere/board.png`;
  assert.match((await reply(offCdn)).data.embeds[0].title, /Couldn't read your photo/);
  for (const url of ["https://evil.example/board.png", "https://cdn.discordapp.com.evil.example/board.png"]) {
    const i = submitWithPhoto("c5:v1:drop:r.1.0.0.builder.0", { ...good, item_title: "Off CDN" }, { name: "board.png", type: "image/png" });
    Object.values(i.data.resolved.attachments)[0].url = url;
    assert.match((await reply(i)).data.embeds[0].title, /Couldn't read your photo/, url);
  }
  assert.equal(fetched(), 0);
  // On the CDN and declared a PNG, but what comes back is text: refused.
  const lying = await reply(submitWithPhoto("c5:v1:drop:r.1.0.0.builder.0", { ...good, item_title: "Not Really A PNG" }, { name: "notes.txt", type: "image/png" }));
  assert.match(lying.data.embeds[0].title, /Couldn't read your photo/);
  assert.equal(await listingCount(), before);
  const keys = (await w.mf.getKVNamespace("KV").then((kv) => kv.list({ prefix: "photo:" }))).keys;
  assert.equal(keys.length, (await w.db.prepare("SELECT COUNT(*) AS n FROM listings WHERE photo_type IS NOT NULL").first()).n, "no photo kept without its drop");
});

test("an image link given with the slash command reaches the drop through its form", async () => {
  await makeSeller(SELLER);
  const start = await reply(drop([opt("type", "ready_to_ship"), opt("image_url", "https://i.imgur.com/linked.jpg")]));
  assert.equal(start.type, 9);
  assert.match(start.data.custom_id, /^c5:v1:drop:r\.1\.0\.0\.builder\.0\.\d+$/);
  assert.ok(start.data.custom_id.length <= 100);
  const body = await reply(submitWithPhoto(start.data.custom_id, { ...good, item_title: "Linked Board", image_url: undefined }, null));
  assert.match(body.data.embeds[0].title, /Your drop is live/);
  const row = await w.db.prepare("SELECT * FROM listings WHERE title = 'Linked Board'").first();
  assert.equal(row.image_url, "https://i.imgur.com/linked.jpg");
  assert.equal(row.photo_type, null);
  const bad = await reply(drop([opt("type", "ready_to_ship"), opt("image_url", "http://i.imgur.com/x.jpg")]));
  assert.match(bad.data.embeds[0].description, /image_url/);
});
