// /c500 setup stripe, the onboarding pages and account.updated, against the Stripe stand-in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, slashCommand } from "./harness.mjs";
import { validateInteractionResponse } from "../dev/discord-spec.mjs";

const MIRA = "1900000000000000001";
let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.close();
});

async function setup(userId = MIRA) {
  const i = slashCommand(["setup", "stripe"], { userId });
  i.member.user.username = "mira";
  const res = await w.interact(i);
  assert.equal(res.status, 200);
  const body = await res.json();
  const check = validateInteractionResponse(body);
  assert.ok(check.ok, check.errors.join("; "));
  assert.equal(body.data.flags, 64, "the link is private");
  return { body, interactionId: i.id };
}
const stripeCalls = (path) => w.standin.state.calls.filter((c) => c.service === "stripe" && c.path.startsWith(`/stripe${path}`));
const builder = () => w.db.prepare("SELECT * FROM builders WHERE discord_id = ?").bind(MIRA).first();
const linkOf = (body) => body.data.components[0].components[0];

test("the first setup creates one Express account and answers with a private onboarding link", async () => {
  const { body, interactionId } = await setup();
  assert.match(body.data.embeds[0].title, /Let's get you paid/);
  const button = linkOf(body);
  assert.equal(button.style, 5);
  assert.equal(button.label, "Setup Payments (Stripe)");
  assert.match(button.url, /\/_standin\/stripe\/onboarding\/acct_/);

  const [create] = stripeCalls("/v1/accounts");
  assert.equal(create.method, "POST");
  assert.equal(create.idempotencyKey, `c500-account-${MIRA}`);
  assert.match(create.body, /type=express/);
  assert.match(create.body, /capabilities%5Btransfers%5D%5Brequested%5D=true/);
  const [link] = stripeCalls("/v1/account_links");
  assert.equal(link.idempotencyKey, `c500-onboarding-${interactionId}`);
  const params = new URLSearchParams(link.body);
  assert.equal(params.get("type"), "account_onboarding");
  assert.match(params.get("refresh_url"), /^http:\/\/c500\.test\/onboarding\/refresh\?token=\d+\.acct_\w+\.\d+\.[0-9a-f]{64}$/);
  assert.deepEqual(w.standin.state.violations, [], "every Stripe request matches the stripe package's typed params");

  const row = await builder();
  assert.match(row.stripe_account_id, /^acct_/);
  assert.equal(row.approved, 0, "setup does not certify anyone");
  assert.equal(row.handle, "mira");
});

test("setup again reuses the account (no second account) and mints a fresh link", async () => {
  const before = stripeCalls("/v1/accounts").filter((c) => c.method === "POST").length;
  const { body } = await setup();
  assert.equal(stripeCalls("/v1/accounts").filter((c) => c.method === "POST").length, before);
  assert.ok(stripeCalls(`/v1/accounts/${(await builder()).stripe_account_id}`).some((c) => c.method === "GET"));
  assert.match(linkOf(body).url, /onboarding/);
});

test("the refresh page mints a link only for a valid token", async () => {
  const [link] = stripeCalls("/v1/account_links");
  const refresh = new URL(new URLSearchParams(link.body).get("refresh_url"));
  const ok = await w.get(`${refresh.pathname}${refresh.search}`, { redirect: "manual" });
  assert.equal(ok.status, 302);
  assert.match(ok.headers.get("location"), /\/_standin\/stripe\/onboarding\/acct_/);
  const token = refresh.searchParams.get("token");
  const forged = token.replace(MIRA, "1900000000000000002");
  for (const bad of [`?token=${forged}`, "?token=garbage", ""]) {
    const res = await w.get(`/onboarding/refresh${bad}`, { redirect: "manual" });
    assert.equal(res.status, 400, bad);
    assert.match(await res.text(), /This link has expired/);
  }
});

test("account.updated records the account as Stripe has it now, whatever order the events come in", async () => {
  const account = (await builder()).stripe_account_id;
  const atStripe = w.standin.stripeObjects.get(account);
  Object.assign(atStripe, { charges_enabled: true, payouts_enabled: true, details_submitted: true });
  const enabled = { id: account, object: "account", charges_enabled: true, payouts_enabled: true, details_submitted: true };
  const now = Math.floor(Date.now() / 1000);
  const sent = await w.standin.sendStripeEvent({ type: "account.updated", object: enabled, created: now - 60 });
  assert.equal(sent.status, 200);
  let row = await builder();
  assert.deepEqual([row.charges_enabled, row.payouts_enabled, row.details_submitted], [1, 1, 1]);
  // A delayed event from before, carrying an old copy: the account is re-read, so it can't undo.
  const stale = await w.standin.sendStripeEvent({ type: "account.updated", object: { ...enabled, charges_enabled: false }, created: now - 90 });
  assert.equal(stale.status, 200);
  assert.equal((await builder()).charges_enabled, 1);
  // The same event delivered again (after the account changed): a duplicate, no effect.
  await w.db.prepare("UPDATE builders SET charges_enabled = 0 WHERE discord_id = ?").bind(MIRA).run();
  const again = await w.standin.sendStripeEvent({ type: "account.updated", object: enabled, id: sent.event.id, created: now - 60 });
  assert.deepEqual(JSON.parse(again.body), { received: true, duplicate: true });
  assert.equal((await builder()).charges_enabled, 0);
  await w.standin.sendStripeEvent({ type: "account.updated", object: enabled, created: now - 30 });
  assert.equal((await builder()).charges_enabled, 1);
});

test("once Stripe enables the account, setup links the Express dashboard and the return page says so", async () => {
  const account = (await builder()).stripe_account_id;
  Object.assign(w.standin.stripeObjects.get(account), { charges_enabled: true, payouts_enabled: true, details_submitted: true });
  const { body, interactionId } = await setup();
  assert.match(body.data.embeds[0].title, /payouts are set up/);
  assert.match(linkOf(body).url, /\/_standin\/stripe\/express\/acct_/);
  const [login] = stripeCalls(`/v1/accounts/${account}/login_links`);
  assert.equal(login.idempotencyKey, `c500-dashboard-${interactionId}`);

  const [link] = stripeCalls("/v1/account_links");
  const ret = new URL(new URLSearchParams(link.body).get("return_url"));
  const page = await w.get(`${ret.pathname}${ret.search}`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("cache-control"), "private, no-store");
  assert.match(await page.text(), /You(&#39;|')re all set/);
});

test("the return page for an unfinished account offers to continue", async () => {
  const account = (await builder()).stripe_account_id;
  Object.assign(w.standin.stripeObjects.get(account), { charges_enabled: false, payouts_enabled: false, details_submitted: false });
  const [link] = stripeCalls("/v1/account_links");
  const ret = new URL(new URLSearchParams(link.body).get("return_url"));
  const html = await (await w.get(`${ret.pathname}${ret.search}`)).text();
  assert.match(html, /Onboarding isn(&#39;|')t finished yet/);
  assert.match(html, /href="http:\/\/c500\.test\/onboarding\/refresh\?token=/);
  assert.equal((await builder()).details_submitted, 0, "the page records what Stripe says now");
});
