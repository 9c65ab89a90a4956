// The stand-ins are only worth trusting if they refuse what Discord and Stripe would refuse.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStandin } from "../dev/standin.mjs";

let s;
before(async () => {
  s = await startStandin({ stripeSecretKey: "sk_test_x", discordBotToken: "bot-x" });
});
after(async () => {
  await s?.close();
});

function stripePost(path, params, key = `k-${Math.random()}`) {
  const headers = { authorization: "Bearer sk_test_x", "content-type": "application/x-www-form-urlencoded" };
  if (key) headers["idempotency-key"] = key;
  return fetch(`${s.bases.STRIPE_API_BASE}${path}`, { method: "POST", headers, body: new URLSearchParams(params).toString() });
}

const checkout = {
  mode: "payment",
  "line_items[0][price_data][currency]": "usd",
  "line_items[0][price_data][unit_amount]": "45000",
  "line_items[0][price_data][product_data][name]": "Snow White TKL",
  "line_items[0][quantity]": "1",
  "payment_intent_data[transfer_group]": "C5-7K2M9Q",
  "metadata[order_id]": "C5-7K2M9Q",
  "shipping_address_collection[allowed_countries][0]": "US",
  success_url: "https://c500.store/success?session_id={CHECKOUT_SESSION_ID}",
  cancel_url: "https://c500.store/cancel",
};

test("a valid Checkout Session is created from Stripe's fixture and replayed by key", async () => {
  const first = await stripePost("/v1/checkout/sessions", checkout, "order-C5-7K2M9Q");
  assert.equal(first.status, 200);
  const session = await first.json();
  assert.equal(session.object, "checkout.session");
  assert.match(session.id, /^cs_test_/);
  assert.equal(session.amount_total, 45000);
  assert.equal(session.status, "open");
  assert.ok(session.url);
  const replay = await stripePost("/v1/checkout/sessions", checkout, "order-C5-7K2M9Q");
  assert.equal(replay.headers.get("idempotent-replayed"), "true");
  assert.equal((await replay.json()).id, session.id);
  const changed = await stripePost("/v1/checkout/sessions", { ...checkout, cancel_url: "https://x" }, "order-C5-7K2M9Q");
  assert.equal(changed.status, 400);
  assert.equal((await changed.json()).error.type, "idempotency_error");
});

test("Stripe requests are checked against the stripe package's typed params", async () => {
  const cases = [
    [await stripePost("/v1/checkout/sessions", { ...checkout, "payment_intent_data[transfer_groupp]": "x" }), /unknown parameter: payment_intent_data\[transfer_groupp\]/],
    [await stripePost("/v1/checkout/sessions", { ...checkout, "line_items[0][price_data][product_data][nam]": "x" }), /unknown parameter/],
    [await stripePost("/v1/transfers", { amount: "100", currency: "usd" }), /Missing required param: destination/],
    [await stripePost("/v1/checkout/sessions", checkout, null), /Idempotency-Key/],
  ];
  for (const [res, message] of cases) {
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, message);
  }
  assert.ok(s.state.violations.length >= 4);
});

test("a transfer, its reversal and a refund are kept as state", async () => {
  const transfer = await (await stripePost("/v1/transfers", { amount: "40500", currency: "usd", destination: "acct_1", transfer_group: "C5-1" })).json();
  assert.equal(transfer.object, "transfer");
  const reversal = await (await stripePost(`/v1/transfers/${transfer.id}/reversals`, {})).json();
  assert.equal(reversal.amount, 40500);
  assert.equal(s.stripeObjects.get(transfer.id).reversed, true);
  // A refund needs a real charge: pay a session, then refund its PaymentIntent once.
  const unknown = await stripePost("/v1/refunds", { charge: "ch_nobody" });
  assert.equal(unknown.status, 400);
  const session = await (await stripePost("/v1/checkout/sessions", {
    mode: "payment", success_url: "https://x/s", "line_items[0][quantity]": "1",
    "line_items[0][price_data][currency]": "usd", "line_items[0][price_data][unit_amount]": "1200",
    "line_items[0][price_data][product_data][name]": "Board",
  })).json();
  const paid = s.paySession(session.id);
  assert.equal(paid.payment_status, "paid");
  const refund = await (await stripePost("/v1/refunds", { payment_intent: paid.payment_intent })).json();
  assert.equal(refund.object, "refund");
  assert.equal(refund.status, "succeeded");
  assert.equal(refund.amount, 1200);
  const twice = await stripePost("/v1/refunds", { payment_intent: paid.payment_intent });
  assert.equal(twice.status, 400, "a charge is refunded once");
});

test("Discord bodies are validated against the OpenAPI spec", async () => {
  const post = (body, token = "bot-x") =>
    fetch(`${s.bases.DISCORD_API_BASE}/channels/123/messages`, {
      method: "POST",
      headers: { authorization: `Bot ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const ok = await post({ content: "hi", embeds: [{ title: "Drop", color: 0xffd1dc }], allowed_mentions: { parse: [] } });
  assert.equal(ok.status, 200);
  assert.match((await ok.json()).id, /^\d+$/);
  const bad = await post({ embeds: [{ title: 42 }] });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).code, 50035);
  assert.equal((await post({ content: "x" }, "wrong")).status, 401);
});

test("Discord failures can be injected (429 with Retry-After)", async () => {
  await fetch(`${s.url}/_standin/discord/fail`, { method: "POST", body: JSON.stringify({ count: 1, status: 429, retryAfter: 2 }) });
  const body = JSON.stringify({ content: "hi" });
  const headers = { authorization: "Bot bot-x", "content-type": "application/json" };
  const limited = await fetch(`${s.bases.DISCORD_API_BASE}/channels/1/messages`, { method: "POST", headers, body });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "2");
  const next = await fetch(`${s.bases.DISCORD_API_BASE}/channels/1/messages`, { method: "POST", headers, body });
  assert.equal(next.status, 200);
});

test("Discord's global limit can be emulated: bot-token calls beyond the rate in a second get a global 429", async () => {
  await fetch(`${s.url}/_standin/discord/global`, { method: "POST", body: JSON.stringify({ perSecond: 3 }) });
  try {
    const body = JSON.stringify({ content: "hi" });
    const headers = { authorization: "Bot bot-x", "content-type": "application/json" };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${s.bases.DISCORD_API_BASE}/channels/${i}/messages`, { method: "POST", headers, body })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const limited = await fetch(`${s.bases.DISCORD_API_BASE}/channels/9/messages`, { method: "POST", headers, body });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("x-ratelimit-global"), "true");
    assert.equal((await limited.json()).global, true);
    // An interaction follow-up carries no bot token: Discord does not count it.
    const followUp = await fetch(`${s.bases.DISCORD_API_BASE}/webhooks/1/tok`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.notEqual(followUp.status, 429);
  } finally {
    await fetch(`${s.url}/_standin/discord/global`, { method: "POST", body: "{}" });
  }
});

test("the hosted onboarding page completes an account and tells the worker", async () => {
  const created = await (await stripePost("/v1/accounts", { type: "express" })).json();
  const link = await (await stripePost("/v1/account_links", { account: created.id, type: "account_onboarding", return_url: "http://worker.test/onboarding/return?token=t", refresh_url: "http://worker.test/r" })).json();
  const page = await fetch(link.url);
  assert.match(await page.text(), /Complete onboarding/);
  const done = await fetch(`${s.url}/_standin/stripe/onboarding/${created.id}/complete?return=${encodeURIComponent("http://worker.test/onboarding/return?token=t")}`, { method: "POST", redirect: "manual" });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get("location"), "http://worker.test/onboarding/return?token=t");
  assert.equal(s.stripeObjects.get(created.id).charges_enabled, true);
  assert.ok(s.state.calls.some((c) => c.service === "stripe-webhook" && c.type === "account.updated"));
});
