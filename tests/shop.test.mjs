// The site as a shop (issue 12.1–12.3) on the real runtime: sign in with Discord through the
// stand-in's OAuth, the session cookie and its row in D1, CSRF on every form, Buy / Join /
// Enter on the drop page through the same flows as the Discord buttons, My orders and a
// report to HQ from it. Money: the stand-in's Stripe record is checked against the order.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startWorker, clickReply, makeSeller, postDrop, control, waitFor, signIn, setCookie, csrfOf, webPost, hqCommand, validReply, runDailyCron, assertHeldMoney } from "./harness.mjs";

const SELLER = "2950000000000000001";
const HQ_CHANNEL = "1200000000000000002";
let w;
let n = 0;
const buyer = () => `39500000000000${String(++n).padStart(5, "0")}`;

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

const page = async (path, cookie) => {
  const res = await w.get(path, cookie ? { headers: { cookie } } : undefined);
  return { res, html: await res.text() };
};
const sessions = (id) => w.db.prepare("SELECT * FROM sessions WHERE discord_id = ?1").bind(id).all().then((r) => r.results);
const holds = (listing, id) => w.db.prepare("SELECT * FROM reservations WHERE listing_id = ?1 AND buyer_id = ?2").bind(listing, id).all().then((r) => r.results);
const checkoutCreates = () => w.standin.state.calls.filter((c) => c.service === "stripe" && c.method === "POST" && c.path === "/stripe/v1/checkout/sessions");

test("sign in with Discord: a state bound to the browser, a strict cookie, a session D1 can end", async () => {
  const id = buyer();
  // /signin sends the browser to Discord's consent page with a signed state, scope identify.
  const start = await w.get("/signin?next=/me", { redirect: "manual" });
  assert.equal(start.status, 302);
  const consent = new URL(start.headers.get("location"));
  assert.equal(`${consent.origin}${consent.pathname}`, `${w.standin.url}/discord-web/oauth2/authorize`);
  assert.equal(consent.searchParams.get("scope"), "identify");
  assert.equal(consent.searchParams.get("response_type"), "code");
  assert.equal(consent.searchParams.get("redirect_uri"), `${w.base}/oauth/discord/callback`);
  const binding = setCookie(start, "c500_signin");
  for (const part of ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=600"]) assert.ok(binding.header.includes(part), `${part} in ${binding.header}`);
  // The stand-in's consent page is a real page.
  const shown = await fetch(consent);
  assert.equal(shown.status, 200);
  assert.match(await shown.text(), /Authorize/);

  // The callback from another browser (no binding cookie, or another one) signs nobody in.
  const { location } = await control(w, "/discord/authorize", { id, username: "webbuyer", state: consent.searchParams.get("state"), redirect_uri: consent.searchParams.get("redirect_uri") });
  const callback = new URL(location);
  const path = `${callback.pathname}${callback.search}`;
  for (const cookie of [undefined, "c500_signin=0123456789abcdef0123456789abcdef"]) {
    const res = await w.get(path, { redirect: "manual", headers: cookie ? { cookie } : {} });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /This sign-in has expired/);
    assert.equal(setCookie(res, "c500_session"), null);
  }
  assert.deepEqual(await sessions(id), [], "nothing was opened");

  // The browser that started it is signed in, and sent where it was going.
  const done = await w.get(path, { redirect: "manual", headers: { cookie: `c500_signin=${binding.value}` } });
  assert.equal(done.status, 302);
  assert.equal(done.headers.get("location"), "/me");
  const session = setCookie(done, "c500_session");
  for (const part of ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", `Max-Age=${30 * 24 * 3600}`]) assert.ok(session.header.includes(part), part);
  assert.match(setCookie(done, "c500_signin").header, /Max-Age=0/, "the binding cookie is spent");
  const [row] = await sessions(id);
  const sid = session.value.split(".")[0];
  assert.equal(row.id_hash, createHash("sha256").update(sid).digest("hex"), "D1 keeps the hash only");
  assert.ok(!JSON.stringify(row).includes(sid));
  assert.equal(row.revoked_at, null);
  // C500 read who signed in once and revoked the token: it keeps no Discord token.
  assert.equal(w.standin.state.discordOAuth.revoked.length, 1);
  assert.equal(w.standin.state.discordOAuth.tokens.size, 0);
  const user = await w.db.prepare("SELECT username FROM users WHERE discord_id = ?1").bind(id).first();
  assert.equal(user.username, "webbuyer");

  // The code works once: replaying the callback opens no second session.
  const replay = await w.get(path, { redirect: "manual", headers: { cookie: `c500_signin=${binding.value}` } });
  assert.equal(setCookie(replay, "c500_session"), null);
  assert.equal((await sessions(id)).length, 1);

  // My orders knows them; a tampered cookie is nobody.
  const cookie = `c500_session=${session.value}`;
  const me = await page("/me", cookie);
  assert.equal(me.res.status, 200);
  assert.equal(me.res.headers.get("cache-control"), "private, no-store");
  assert.match(me.html, /Signed in with Discord as <strong>webbuyer<\/strong>/);
  const tampered = session.value.replace(/\.(\d+)\./, (m, id2) => `.${id2.slice(0, -1)}${(Number(id2.at(-1)) + 1) % 10}.`);
  assert.match((await page("/me", `c500_session=${tampered}`)).html, /Sign in with Discord to see your orders/);

  // Sign out: refused without the form's token (nothing changes), done with it.
  const csrf = csrfOf(me.html);
  const drop = await postDrop(w, SELLER, { quantity: 2, price: "60", title: "Sign-out Board" });
  assert.match((await page(`/drops/${drop.id}`, cookie)).html, /webbuyer/, "the drop page knows them (and this isolate now does)");
  assert.ok(csrf);
  assert.equal((await webPost(w, "/signout", {}, { cookie })).status, 403);
  assert.equal((await webPost(w, "/signout", { csrf }, { cookie, origin: "https://evil.example" })).status, 403);
  assert.equal((await sessions(id))[0].revoked_at, null, "still signed in");
  const out = await webPost(w, "/signout", { csrf }, { cookie });
  assert.equal(out.status, 303);
  assert.match(setCookie(out, "c500_session").header, /Max-Age=0/);
  assert.ok((await sessions(id))[0].revoked_at > 0);
  assert.match((await page("/me", cookie)).html, /Sign in with Discord to see your orders/, "the old cookie is dead");
  const after = await page(`/drops/${drop.id}`, cookie);
  assert.match(after.html, /Sign in with Discord to buy/, "signing out is forgotten by the isolate at once");
  assert.doesNotMatch(after.html, /webbuyer/);
  assert.deepEqual(w.standin.state.violations, []);
  // A day after it ended, the daily cron forgets the session.
  await runDailyCron(w);
  assert.equal((await sessions(id)).length, 1, "kept for a day");
  await w.db.prepare("UPDATE sessions SET revoked_at = revoked_at - 2 * 86400000 WHERE discord_id = ?1").bind(id).run();
  await runDailyCron(w);
  assert.deepEqual(await sessions(id), []);
});

test("sign-in returns only to this site, says when Discord was declined, and bans hold", async () => {
  const id = buyer();
  const evil = await signIn(w, { id, next: "//evil.example/x" });
  assert.equal(evil.res.status, 302);
  assert.equal(evil.res.headers.get("location"), "/me", "never an open redirect");

  // Cancel on Discord's page: nothing changes, and the page says so.
  const start = await w.get("/signin?next=/me", { redirect: "manual" });
  const consent = new URL(start.headers.get("location"));
  const { location } = await control(w, "/discord/authorize", { id: buyer(), state: consent.searchParams.get("state"), redirect_uri: consent.searchParams.get("redirect_uri"), deny: true });
  const back = new URL(location);
  const res = await w.get(`${back.pathname}${back.search}`, { headers: { cookie: `c500_signin=${setCookie(start, "c500_signin").value}` } });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /Not signed in/);

  // A ban ends a session at once; a banned account cannot sign in.
  const banned = buyer();
  const { cookie } = await signIn(w, { id: banned });
  assert.match((await page("/me", cookie)).html, /Sign out/);
  const drop = await postDrop(w, SELLER, { quantity: 2, price: "80", title: "Ban Board" });
  const csrf = csrfOf((await page(`/drops/${drop.id}`, cookie)).html);
  assert.ok(csrf, "signed in on the drop page, which this isolate now remembers");
  await validReply(w, hqCommand("ban", { userId: "1300000000000000001", options: [{ name: "user", type: 6, value: banned }, { name: "reason", type: 3, value: "scalping" }] }));
  await waitFor(async () => (await w.db.prepare("SELECT is_banned FROM users WHERE discord_id = ?1").bind(banned).first())?.is_banned === 1, { what: "the ban" });
  assert.match((await page("/me", cookie)).html, /Sign in with Discord to see your orders/);
  // The drop page may still show their name for PAGE_CACHE_SECONDS, but every form post reads
  // D1: refused, nothing held.
  const refused = await webPost(w, `/drops/${drop.id}/buy`, { csrf }, { cookie });
  assert.equal(refused.status, 401);
  assert.deepEqual(await holds(drop.id, banned), []);
  const again = await signIn(w, { id: banned });
  assert.equal(again.res.status, 403);
  assert.equal(again.cookie, null);
  const refusal = await again.res.text();
  assert.match(refusal, /You can(&#39;|')t sign in to C500/);
  assert.doesNotMatch(refusal, /Try again/);
});

test("buy on the web: the Discord button's hold and Checkout, CSRF-checked, then My orders", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 1, price: "150", title: "Web Board" });
  // Signed out, the page is public and offers sign-in; it varies by cookie.
  const anon = await page(`/drops/${drop.id}`);
  assert.equal(anon.res.headers.get("cache-control"), "public, max-age=30");
  assert.equal(anon.res.headers.get("vary"), "Cookie");
  assert.match(anon.html, /Sign in with Discord to buy/);
  assert.ok(anon.html.includes(`/signin?next=%2Fdrops%2F${drop.id}`));
  assert.doesNotMatch(anon.html, /name="csrf"/);

  const id = buyer();
  const { cookie } = await signIn(w, { id, username: "webbuyer", next: `/drops/${drop.id}` });
  const mine = await page(`/drops/${drop.id}`, cookie);
  assert.equal(mine.res.headers.get("cache-control"), "private, no-store");
  assert.ok(mine.html.includes(`action="/drops/${drop.id}/buy"`));
  const csrf = csrfOf(mine.html);

  // Without the token, from another site, or signed out: refused, nothing held.
  assert.equal((await webPost(w, `/drops/${drop.id}/buy`, {}, { cookie })).status, 403);
  assert.equal((await webPost(w, `/drops/${drop.id}/buy`, { csrf }, { cookie, origin: "https://evil.example" })).status, 403);
  const signedOut = await webPost(w, `/drops/${drop.id}/buy`, { csrf });
  assert.equal(signedOut.status, 401);
  assert.match(await signedOut.text(), /Sign in first/);
  assert.equal((await webPost(w, `/drops/${drop.id}/buy`, { csrf: "x".repeat(9000) }, { cookie })).status, 413);
  assert.deepEqual(await holds(drop.id, id), []);
  assert.equal(checkoutCreates().length, 0, "Stripe was not called");

  // With it: the unit is held and the page links the Checkout.
  const bought = await webPost(w, `/drops/${drop.id}/buy`, { csrf }, { cookie });
  assert.equal(bought.status, 200);
  const html = await bought.text();
  assert.match(html, /Great choice/);
  const [hold] = await holds(drop.id, id);
  assert.ok(hold.checkout_url);
  assert.ok(html.includes(`href="${hold.checkout_url}"`));
  const creates = checkoutCreates();
  assert.equal(creates.length, 1);
  assert.equal(creates[0].idempotencyKey.includes(hold.id), true, "the key derives from our hold id");
  // Buying again gives the same link, not a second hold.
  const again = await webPost(w, `/drops/${drop.id}/buy`, { csrf }, { cookie });
  assert.ok((await again.text()).includes(`href="${hold.checkout_url}"`));
  assert.equal((await holds(drop.id, id)).length, 1);

  // The stock is the one the Discord button sees.
  const late = await clickReply(w, `c5:v1:buy:${drop.id}`, buyer());
  assert.match(JSON.stringify(late.embeds), /Too late/);

  // Paid: My orders shows it, and the money is what the order says.
  await control(w, `/stripe/checkout/${hold.checkout_session_id}/pay`);
  const order = await waitFor(() => w.db.prepare("SELECT * FROM orders WHERE id = ?1 AND status = 'paid'").bind(hold.id).first(), { what: "the paid order" });
  assertHeldMoney(w, order);
  const me = await page("/me", cookie);
  assert.ok(me.html.includes(order.id));
  assert.match(me.html, /Web Board/);
  assert.match(me.html, /\$150\.00/);
  assert.match(me.html, /Report a problem/);

  // Report it to HQ from the site: the same ticket as /c500 report.
  const reported = await webPost(w, "/me/report", { csrf, order: order.id, reason: "Box arrived crushed" }, { cookie });
  assert.equal(reported.status, 200);
  assert.match(await reported.text(), /Report sent to C500 HQ/);
  const report = await w.db.prepare("SELECT * FROM reports WHERE order_id = ?1").bind(order.id).first();
  assert.equal(report.reporter_id, id);
  assert.equal(report.reason, "Box arrived crushed");
  await waitFor(() => w.standin.state.calls.find((c) => c.path === `/discord/api/v10/channels/${HQ_CHANNEL}/messages` && /Box arrived crushed/.test(JSON.stringify(c.body))), { what: "HQ ticket" });
  assert.match((await page("/me", cookie)).html, /HQ has your report about this order/);
  assert.equal((await webPost(w, "/me/report", { csrf, order: order.id, reason: "again" }, { cookie })).status, 409);
  // Someone else's order is not theirs to report.
  const other = await signIn(w, { id: buyer() });
  const otherCsrf = csrfOf((await page("/me", other.cookie)).html);
  assert.equal((await webPost(w, "/me/report", { csrf: otherCsrf, order: order.id, reason: "mine?" }, { cookie: other.cookie })).status, 404);
  // A CSRF token is one session's: the first buyer's token does not work for the second.
  assert.equal((await webPost(w, "/me/report", { csrf, order: order.id, reason: "x" }, { cookie: other.cookie })).status, 403);
  assert.deepEqual(w.standin.state.violations, [], "every Discord body valid against the spec");
});

test("a busy drop on the web: the unit is held at once, 202 \"you're in\", and Buy again opens the link once it is made", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 1, price: "90", title: "Busy Web Board" });
  const id = buyer();
  const { cookie } = await signIn(w, { id, username: "busybuyer", next: `/drops/${drop.id}` });
  const csrf = csrfOf((await page(`/drops/${drop.id}`, cookie)).html);
  // Other isolates have booked the next 2.5 s of Checkout turns (60 at 23 a second).
  const ns = await w.mf.getDurableObjectNamespace("CHECKOUT_PACE");
  const pace = ns.get(ns.idFromName("stripe"));
  for (let i = 0; i < 60; i++) assert.equal((await pace.fetch("https://pace.c500/turn?rate=23&max=60000")).status, 200);
  const posted = Date.now();
  const first = await webPost(w, `/drops/${drop.id}/buy`, { csrf }, { cookie });
  const answeredAfter = Date.now() - posted;
  assert.equal(first.status, 202);
  const html = await first.text();
  assert.match(html, /You(&#39;|&#x27;|')re in! A unit is held for you/);
  assert.match(html, /checkout link is being made and will be ready in about \d+ seconds/);
  assert.ok(html.includes(`action="/drops/${drop.id}/buy"`), "a button to fetch the link");
  assert.ok(answeredAfter < 1500, `answered ${answeredAfter} ms after the post, before the turn`);
  const [held] = await holds(drop.id, id);
  assert.equal(held.status, "held");
  assert.equal(held.checkout_url, null);
  assert.equal(checkoutCreates().length, 0);
  // After the response the Checkout is made in its turn, for the same hold.
  const made = await waitFor(async () => (await holds(drop.id, id))[0]?.checkout_url ?? null, { timeout: 10000, what: "the hold's Checkout" });
  assert.ok(Date.now() - posted >= 2000, "the session waited its turn");
  // Buy again: the link, the same hold, no second session.
  const again = await webPost(w, `/drops/${drop.id}/buy`, { csrf }, { cookie });
  assert.equal(again.status, 200);
  assert.ok((await again.text()).includes(`href="${made}"`));
  assert.equal((await holds(drop.id, id)).length, 1);
  assert.equal(checkoutCreates().length, 1);
});

test("sold out on the web: join the waitlist; a raffle drop takes an entry instead of Buy", async () => {
  const drop = await postDrop(w, SELLER, { quantity: 1, title: "Gone Board" });
  assert.match(JSON.stringify((await clickReply(w, `c5:v1:buy:${drop.id}`, buyer())).embeds), /Great choice/);
  const id = buyer();
  const { cookie } = await signIn(w, { id });
  const shown = await page(`/drops/${drop.id}`, cookie);
  assert.ok(shown.html.includes(`action="/drops/${drop.id}/line"`), "sold out: the page offers the line");
  const csrf = csrfOf(shown.html);
  // A Buy anyway is told why, with the line's form.
  const refused = await webPost(w, `/drops/${drop.id}/buy`, { csrf }, { cookie });
  assert.equal(refused.status, 409);
  const text = await refused.text();
  assert.match(text, /Too late, it&#39;s gone!|Too late, it's gone!/);
  assert.ok(text.includes(`action="/drops/${drop.id}/line"`));
  const joined = await webPost(w, `/drops/${drop.id}/line`, { csrf }, { cookie });
  assert.equal(joined.status, 200);
  assert.match(await joined.text(), /You're next in line|You&#39;re next in line/);
  const place = await w.db.prepare("SELECT * FROM waitlist WHERE listing_id = ?1 AND buyer_id = ?2").bind(drop.id, id).first();
  assert.equal(place.status, "waiting");

  const raffle = await postDrop(w, SELLER, { quantity: 2, title: "Raffle Board", raffle: 2 });
  const r = await page(`/drops/${raffle.id}`, cookie);
  assert.ok(r.html.includes(`action="/drops/${raffle.id}/enter"`));
  assert.ok(!r.html.includes(`action="/drops/${raffle.id}/buy"`));
  const entered = await webPost(w, `/drops/${raffle.id}/enter`, { csrf }, { cookie });
  assert.equal(entered.status, 200);
  assert.match(await entered.text(), /in the raffle/);
  const entry = await w.db.prepare("SELECT * FROM raffle_entries WHERE listing_id = ?1 AND buyer_id = ?2").bind(raffle.id, id).first();
  assert.ok(entry);
  // Buy on a raffle is refused with Enter, as in Discord; nothing is held.
  const buy = await webPost(w, `/drops/${raffle.id}/buy`, { csrf }, { cookie });
  assert.equal(buy.status, 409);
  assert.ok((await buy.text()).includes(`action="/drops/${raffle.id}/enter"`));
  assert.deepEqual(await holds(raffle.id, id), []);
  // An unknown action is not a route.
  assert.equal((await webPost(w, `/drops/${raffle.id}/steal`, { csrf }, { cookie })).status, 404);
});

test("a missing Discord client secret is named, on the page and by /healthz", async () => {
  const broken = await startWorker({ bindings: { DISCORD_CLIENT_SECRET: "" } });
  try {
    const res = await broken.get("/signin", { redirect: "manual" });
    assert.equal(res.status, 500);
    assert.match(await res.text(), /DISCORD_CLIENT_SECRET/);
    const health = await broken.get("/healthz");
    assert.equal(health.status, 503);
    assert.deepEqual((await health.json()).missing, ["DISCORD_CLIENT_SECRET"]);
  } finally {
    await broken.close();
  }
});
