// Twitch on the real runtime: linking by OAuth (signed single-use state), the app token
// cached in KV, /c500 live proof and posts checked against Helix Get Streams, the LIVE role,
// and EventSub stream.offline (signature matrix, replay, challenge handshake).
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startWorker, validReply, component, slashCommand, makeSeller, postDrop, control, waitFor, runCron } from "./harness.mjs";

const BUILDER = "2600000000000000001";
const OTHER = "2600000000000000002";
const GUILD = "1500000000000000001";
const LIVE_ROLE = "1700000000000000555";
const DROP_ROLE = "1700000000000000556";
const ANNOUNCE = "1600000000000000555";
const SHOP = "1600000000000000556";
let w;

before(async () => {
  w = await startWorker();
  await makeSeller(w, BUILDER);
  await makeSeller(w, OTHER);
  await w.db
    .prepare("INSERT INTO guild_settings (guild_id, announcements_channel_id, shop_channel_id, drop_role_id, live_role_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0)")
    .bind(GUILD, ANNOUNCE, SHOP, DROP_ROLE, LIVE_ROLE)
    .run();
});
after(async () => {
  await w?.close();
});
beforeEach(async () => {
  await control(w, "/reset");
});

const reply = (payload) => validReply(w, payload);
const title = (body) => body.data.embeds[0].title;
const calls = (pred) => w.standin.state.calls.filter(pred);

/** Runs the whole link flow for `userId` as Twitch user `login`; returns the callback page. */
async function link(userId, login) {
  const body = await reply(slashCommand(["setup", "twitch"], { userId }));
  const url = new URL(body.data.components[0].components[0].url);
  assert.equal(url.pathname, "/twitch-auth/oauth2/authorize");
  const { location } = await control(w, "/twitch/authorize", { login, state: url.searchParams.get("state"), redirect_uri: url.searchParams.get("redirect_uri") });
  const back = new URL(location);
  return { page: await w.get(back.pathname + back.search), path: back.pathname + back.search, authorize: url };
}

test("linking Twitch: OAuth code flow, signed single-use state, EventSub subscription", async () => {
  const { page, path, authorize } = await link(BUILDER, "keyz");
  assert.equal(authorize.searchParams.get("client_id"), "harness-twitch-client");
  assert.equal(authorize.searchParams.get("redirect_uri"), "http://c500.test/oauth/twitch/callback");
  assert.equal(authorize.searchParams.get("response_type"), "code");
  assert.equal(authorize.searchParams.get("force_verify"), "true", "Twitch's consent screen is always shown");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Twitch linked/);
  const user = await w.db.prepare("SELECT twitch_user_id, twitch_login FROM users WHERE discord_id = ?1").bind(BUILDER).first();
  assert.equal(user.twitch_login, "keyz");
  assert.equal(user.twitch_user_id, w.standin.twitchUser("keyz").id);
  const sub = await waitFor(() => w.standin.state.twitch.subscriptions.find((s) => s.condition.broadcaster_user_id === user.twitch_user_id && s.status === "enabled"), { what: "verified subscription" });
  assert.equal(sub.transport.callback, "http://c500.test/webhooks/twitch");
  assert.equal(sub.type, "stream.offline");
  // The subscription used the app access token (client credentials), now cached in KV.
  assert.equal(calls((c) => c.path === "/twitch-auth/oauth2/token" && /client_credentials/.test(c.body ?? "")).length, 1);
  const kv = await w.mf.getKVNamespace("KV");
  assert.match((await kv.get("twitch:app-token", "json")).token, /^app-/);

  // The same callback again: the state was used up.
  const replay = await w.get(path);
  assert.equal(replay.status, 400);
  assert.match(await replay.text(), /expired/);
  // A state signed for someone else, or tampered with, is refused before Twitch is asked.
  const forged = path.replace(BUILDER, OTHER);
  assert.equal((await w.get(forged)).status, 400);
  assert.equal((await w.get("/oauth/twitch/callback?code=x&state=nope")).status, 400);
  // Someone else can't take over the same Twitch account.
  const { page: clash } = await link(OTHER, "keyz");
  assert.equal(clash.status, 409);
  assert.equal((await w.db.prepare("SELECT twitch_user_id FROM users WHERE discord_id = ?1").bind(OTHER).first()).twitch_user_id, null);
});

async function paidCommission(buyerId) {
  const drop = await postDrop(w, BUILDER, { kind: "c", lead: 3, price: "90" });
  await w.interact(component(`c5:v1:buy:${drop.id}`, { userId: buyerId }));
  const hold = await w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1").bind(drop.id).first();
  await control(w, `/stripe/checkout/${hold.checkout_session_id}/pay`);
  return hold.id;
}
const liveOrder = (ids, userId = BUILDER) =>
  reply(slashCommand(["live", ids.includes(",") ? "orders" : "order"], { userId, options: [{ name: ids.includes(",") ? "ids" : "order", type: 3, value: ids }] }));
const order = (id) => w.db.prepare("SELECT * FROM orders WHERE id = ?1").bind(id).first();

test("live proof needs the stream on right now; then the commission is building and the buyer told", async () => {
  const id = await paidCommission("3600000000000000001");
  const offline = await liveOrder(id);
  assert.match(title(offline), /not live right now/);
  assert.equal((await order(id)).status, "paid");

  await control(w, "/twitch/live", { login: "keyz", live: true });
  const body = await liveOrder(id);
  assert.match(title(body), /verified/);
  const o = await order(id);
  assert.deepEqual([o.status, o.stream_url], ["building", "https://twitch.tv/keyz"]);
  const dm = await waitFor(() => calls((c) => c.path === "/discord/api/v10/channels/dm3600000000000000001/messages" && /Exciting News/.test(c.body?.embeds?.[0]?.title))[0], { what: "live DM" });
  assert.match(dm.body.embeds[0].description, /twitch\.tv\/keyz/);
  const role = await waitFor(() => calls((c) => c.method === "PUT" && c.path === `/discord/api/v10/guilds/${GUILD}/members/${BUILDER}/roles/${LIVE_ROLE}`)[0], { what: "LIVE role" });
  assert.equal(role.status, 204);
  assert.ok((await w.db.prepare("SELECT live_since FROM builders WHERE discord_id = ?1").bind(BUILDER).first()).live_since > 0);

  // Several at once; someone else's and a ready-to-ship order are skipped, nothing else moves.
  const a = await paidCommission("3600000000000000002");
  const drop = await postDrop(w, OTHER, { kind: "c", lead: 2, price: "90" });
  await w.interact(component(`c5:v1:buy:${drop.id}`, { userId: "3600000000000000003" }));
  const hold = await w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1").bind(drop.id).first();
  await control(w, `/stripe/checkout/${hold.checkout_session_id}/pay`);
  const many = await liveOrder(`${a}, ${hold.id}`);
  assert.match(many.data.embeds[0].description, new RegExp(`${a}.*building`));
  assert.match(many.data.embeds[0].description, new RegExp(`Skipped \`${hold.id}\``));
  assert.equal((await order(hold.id)).status, "paid");
  // Proof done: the commission can ship.
  const shipped = await reply(slashCommand(["ship"], { userId: BUILDER, options: [{ name: "order", type: 3, value: id }, { name: "carrier", type: 3, value: "ups" }, { name: "tracking", type: 3, value: "1Z999AA10123456784" }] }));
  assert.match(title(shipped), /Shipped/);
  assert.deepEqual(w.standin.state.violations, []);
});

test("live chat and drop post to the server's channels; the drop post pings the drop role", async () => {
  await control(w, "/twitch/live", { login: "keyz", live: true });
  const chat = await reply(slashCommand(["live", "chat"], { userId: BUILDER }));
  assert.match(title(chat), /live/);
  const hangout = calls((c) => c.method === "POST" && c.path === `/discord/api/v10/channels/${ANNOUNCE}/messages`)[0];
  assert.match(hangout.body.embeds[0].title, /hangout/);
  assert.equal(hangout.body.content, undefined);
  await reply(slashCommand(["live", "drop"], { userId: BUILDER }));
  const hype = calls((c) => c.method === "POST" && c.path === `/discord/api/v10/channels/${SHOP}/messages`)[0];
  assert.equal(hype.body.content, `<@&${DROP_ROLE}>`);
  assert.deepEqual(hype.body.allowed_mentions.roles, [DROP_ROLE]);
  assert.equal(hype.body.components[0].components[0].url, "https://twitch.tv/keyz");
  // Not linked: told how to link; not a builder: refused.
  assert.match(title(await reply(slashCommand(["live", "chat"], { userId: OTHER }))), /Link your Twitch/);
  assert.match(title(await reply(slashCommand(["live", "chat"], { userId: "3600000000000000099" }))), /Builders only/);
  // The app access token was fetched once and cached in KV.
  const appTokens = calls((c) => c.path === "/twitch-auth/oauth2/token" && /client_credentials/.test(c.body ?? ""));
  assert.equal(appTokens.length, 0, "already cached by the earlier tests in this worker");
});

test("EventSub stream.offline takes the LIVE role back, once; bad signatures and stale messages are refused", async () => {
  await control(w, "/twitch/live", { login: "keyz", live: true });
  await reply(slashCommand(["live", "chat"], { userId: BUILDER }));
  const sub = w.standin.state.twitch.subscriptions.find((s) => s.type === "stream.offline");
  const user = w.standin.twitchUser("keyz");
  const event = { broadcaster_user_id: user.id, broadcaster_user_login: "keyz", broadcaster_user_name: "keyz" };

  const bad = await w.standin.sendEventSub(sub, "notification", { event }, { secret: "wrong-secret-value" });
  assert.equal(bad.status, 403);
  const stale = await w.standin.sendEventSub(sub, "notification", { event }, { timestamp: new Date(Date.now() - 11 * 60_000).toISOString() });
  assert.equal(stale.status, 403);
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM live_roles").first()).n, 1, "nothing changed");

  const { sent } = await control(w, "/twitch/offline", { login: "keyz", options: { id: "offline-msg-1" } });
  assert.equal(sent[0].status, 204);
  const removed = await waitFor(() => calls((c) => c.method === "DELETE" && c.path === `/discord/api/v10/guilds/${GUILD}/members/${BUILDER}/roles/${LIVE_ROLE}`)[0], { what: "role removed" });
  assert.equal(removed.status, 204);
  assert.equal((await w.db.prepare("SELECT live_since FROM builders WHERE discord_id = ?1").bind(BUILDER).first()).live_since, null);

  // The same message again (Twitch retries): applied once.
  const replay = await w.standin.sendEventSub(sub, "notification", { event }, { id: "offline-msg-1" });
  assert.equal(replay.status, 204);
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM processed_events WHERE source = 'twitch' AND event_id = 'offline-msg-1'").first()).n, 1);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(calls((c) => c.method === "DELETE").length, 1);

  // The challenge handshake echoes the challenge as plain text.
  const challenge = await w.standin.sendEventSub(sub, "webhook_callback_verification", { challenge: "pogchamp-kappa-360noscope" });
  assert.equal(challenge.status, 200);
  assert.equal(challenge.body, "pogchamp-kappa-360noscope");
});

test("cron takes back a LIVE role after 12 hours when no offline event came", async () => {
  await control(w, "/twitch/live", { login: "keyz", live: true });
  await reply(slashCommand(["live", "chat"], { userId: BUILDER }));
  await w.db.prepare("UPDATE live_roles SET given_at = ?1").bind(Date.now() - 13 * 3600_000).run();
  await runCron(w);
  assert.ok(calls((c) => c.method === "DELETE" && c.path.endsWith(`/roles/${LIVE_ROLE}`)).length === 1);
  assert.equal((await w.db.prepare("SELECT COUNT(*) AS n FROM live_roles").first()).n, 0);
});
