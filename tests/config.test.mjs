// Configuration that tells the truth: a missing or malformed setting is named (never its
// value) by /healthz, in the reply of the command that needs it, and by `make doctor`.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, slashCommand } from "./harness.mjs";
import { validateInteractionResponse } from "../dev/discord-spec.mjs";
import { diagnose, required } from "../dev/doctor.mjs";

const workers = [];
after(async () => {
  for (const w of workers) await w.close();
});
async function worker(bindings) {
  const w = await startWorker({ bindings });
  workers.push(w);
  return w;
}

test("/healthz is 503 and names every missing or malformed setting, never a value", async () => {
  const secretValue = "not-a-url-but-a-secret-looking-thing";
  const w = await worker({ LINK_SIGNING_SECRET: "", TWITCH_EVENTSUB_SECRET: "", PUBLIC_BASE_URL: secretValue, STRIPE_SECRET_KEY: "pk_test_oops" });
  const res = await w.get("/healthz");
  assert.equal(res.status, 503);
  const text = await res.text();
  const body = JSON.parse(text);
  assert.equal(body.ok, false);
  assert.equal(body.db, true);
  assert.deepEqual(body.missing.sort(), ["LINK_SIGNING_SECRET", "TWITCH_EVENTSUB_SECRET"]);
  assert.deepEqual(body.malformed.sort(), ["PUBLIC_BASE_URL", "STRIPE_SECRET_KEY"]);
  assert.ok(!text.includes(secretValue) && !text.includes("pk_test_oops"), "values are never shown");
  // `make doctor` finds the same problems in the same values.
  const values = { DISCORD_PUBLIC_KEY: "a".repeat(64), DISCORD_APPLICATION_ID: "1100000000000000001", DISCORD_BOT_TOKEN: "t", DISCORD_CLIENT_SECRET: "c", STRIPE_SECRET_KEY: "pk_test_oops", STRIPE_WEBHOOK_SECRET: "whsec_1", TWITCH_CLIENT_ID: "c", TWITCH_CLIENT_SECRET: "s", TWITCH_EVENTSUB_SECRET: "", LINK_SIGNING_SECRET: "", PUBLIC_BASE_URL: secretValue };
  const found = diagnose(values);
  assert.deepEqual(found.filter((p) => p.problem === "missing").map((p) => p.name).sort(), body.missing.sort());
  assert.deepEqual(found.filter((p) => p.problem !== "missing").map((p) => p.name).sort(), body.malformed.sort());
});

test("a complete configuration is healthy, and doctor checks exactly the worker's list", async () => {
  const w = await worker({});
  const res = await w.get("/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, db: true });
  assert.deepEqual(required(), ["DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN", "DISCORD_CLIENT_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "TWITCH_CLIENT_ID", "TWITCH_CLIENT_SECRET", "TWITCH_EVENTSUB_SECRET", "LINK_SIGNING_SECRET", "PUBLIC_BASE_URL"]);
  assert.deepEqual(diagnose(Object.fromEntries(required().map((n) => [n, true]))), [], "names alone (wrangler secret list) count as set");
});

test("a command that needs a missing secret says which one, instead of blaming Stripe", async () => {
  const w = await worker({ LINK_SIGNING_SECRET: "" });
  const i = slashCommand(["setup", "stripe"], { userId: "2700000000000000001" });
  const res = await w.interact(i);
  assert.equal(res.status, 200);
  const body = await res.json();
  const check = validateInteractionResponse(body);
  assert.ok(check.ok, check.errors.join("; "));
  const embed = body.data.embeds[0];
  assert.match(embed.title, /Not set up yet/);
  assert.equal(embed.description, "C500 isn't fully set up yet: the maintainer must set LINK_SIGNING_SECRET.");
  assert.doesNotMatch(JSON.stringify(body), /Stripe didn't answer/);
});
