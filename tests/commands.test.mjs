// The /c500 command tree (defined once in Rust) is valid registration JSON, and
// `make register` PUTs exactly it to DISCORD_API_BASE.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { validateRestRequest, validateSchema } from "../dev/discord-spec.mjs";
import { startStandin } from "../dev/standin.mjs";
import { ROOT } from "../dev/migrate.mjs";

const tree = JSON.parse(execFileSync("cargo", ["run", "-q", "--bin", "commands"], { cwd: ROOT }).toString());

test("the command tree is valid against Discord's spec", () => {
  assert.equal(tree.length, 1);
  assert.equal(tree[0].name, "c500");
  const check = validateRestRequest("PUT", "/api/v10/applications/1/commands", tree);
  assert.ok(check.ok, check.errors.join("; "));
  assert.equal(check.operation, "bulk_set_application_commands");
  assert.ok(validateSchema("ApplicationCommandUpdateRequest", tree[0]).ok);
  // The validator is not a rubber stamp.
  const broken = structuredClone(tree);
  broken[0].options[0].name = "x".repeat(40);
  assert.equal(validateRestRequest("PUT", "/api/v10/applications/1/commands", broken).ok, false);
});

test("the tree has every command of the brief", () => {
  const names = tree[0].options.map((o) => o.name);
  for (const n of ["help", "setup", "drop", "inventory", "dashboard", "queue", "live", "ship", "refund", "orders", "profile", "vouch", "report", "config", "admin"]) {
    assert.ok(names.includes(n), n);
  }
});

test("register PUTs the tree globally, or to one guild", async () => {
  const standin = await startStandin({ discordBotToken: "register-token" });
  try {
    const env = { ...process.env, DISCORD_API_BASE: standin.bases.DISCORD_API_BASE, DISCORD_APPLICATION_ID: "42", DISCORD_BOT_TOKEN: "register-token" };
    // Async: the stand-in serves from this very process.
    const run = async (extra = {}) => (await promisify(execFile)("node", ["dev/register.mjs"], { cwd: ROOT, env: { ...env, ...extra } })).stdout;
    assert.match(await run(), /registered 1 command/);
    assert.match(await run({ DISCORD_GUILD_ID: "77" }), /guild 77/);
    const puts = standin.state.calls.filter((c) => c.method === "PUT");
    assert.deepEqual(puts.map((c) => c.path), ["/discord/api/v10/applications/42/commands", "/discord/api/v10/applications/42/guilds/77/commands"]);
    assert.deepEqual(puts[0].body, tree);
    assert.deepEqual(standin.state.violations, []);
    await assert.rejects(run({ DISCORD_BOT_TOKEN: "wrong" }), /401/);
  } finally {
    await standin.close();
  }
});
