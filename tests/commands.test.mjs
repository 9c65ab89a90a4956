// C500's two registrations (defined once in Rust: /c500 and HQ's /c500-hq) are valid
// registration JSON, and `make register` PUTs exactly them to DISCORD_API_BASE.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { validateRestRequest, validateSchema } from "../dev/discord-spec.mjs";
import { startStandin } from "../dev/standin.mjs";
import { ROOT } from "../dev/migrate.mjs";

const trees = JSON.parse(execFileSync("cargo", ["run", "-q", "--bin", "commands"], { cwd: ROOT }).toString());
const tree = trees.global;
const hq = trees.hq_guild;

test("both registrations are valid against Discord's spec", () => {
  assert.equal(tree.length, 1);
  assert.equal(tree[0].name, "c500");
  for (const [body, path] of [[tree, "/api/v10/applications/1/commands"], [hq, "/api/v10/applications/1/guilds/2/commands"]]) {
    const check = validateRestRequest("PUT", path, body);
    assert.ok(check.ok, check.errors.join("; "));
    assert.ok(validateSchema("ApplicationCommandUpdateRequest", body[0]).ok);
  }
  assert.equal(validateRestRequest("PUT", "/api/v10/applications/1/commands", tree).operation, "bulk_set_application_commands");
  assert.equal(validateRestRequest("PUT", "/api/v10/applications/1/guilds/2/commands", hq).operation, "bulk_set_guild_application_commands");
  // The validator is not a rubber stamp.
  const broken = structuredClone(tree);
  broken[0].options[0].name = "x".repeat(40);
  assert.equal(validateRestRequest("PUT", "/api/v10/applications/1/commands", broken).ok, false);
});

test("the tree has every command of the brief; HQ's tools are a hidden guild command", () => {
  const names = tree[0].options.map((o) => o.name);
  for (const n of ["help", "setup", "drop", "inventory", "dashboard", "queue", "live", "ship", "refund", "orders", "profile", "vouch", "report", "config"]) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes("admin"), "no buyer sees HQ's tools");
  // Buyers' commands work in DMs with the bot too; HQ's only in its server, admins only.
  assert.deepEqual(tree[0].contexts, [0, 1]);
  assert.equal(tree[0].default_member_permissions, undefined);
  assert.equal(hq.length, 1);
  assert.equal(hq[0].name, "c500-hq");
  assert.equal(hq[0].default_member_permissions, 0, "no permission: only server admins see it");
  assert.deepEqual(hq[0].contexts, [0]);
  assert.deepEqual(hq[0].options.map((o) => o.name).sort(), ["absorb", "approve", "ban", "reconcile", "resolve", "revoke", "unban", "waive"]);
});

test("register PUTs /c500 globally (or to one guild) and /c500-hq to the HQ guild", async () => {
  const standin = await startStandin({ discordBotToken: "register-token" });
  try {
    const env = { ...process.env, DISCORD_API_BASE: standin.bases.DISCORD_API_BASE, DISCORD_APPLICATION_ID: "42", DISCORD_BOT_TOKEN: "register-token", HQ_GUILD_ID: "99" };
    // Async: the stand-in serves from this very process.
    const run = async (extra = {}) => (await promisify(execFile)("node", ["dev/register.mjs"], { cwd: ROOT, env: { ...env, ...extra } }));
    const puts = () => standin.state.calls.filter((c) => c.method === "PUT").map((c) => [c.path, c.body.map((x) => x.name)]);
    assert.match((await run()).stdout, /registered 1 command\(s\) globally: \/c500\n.*guild 99 \(HQ\): \/c500-hq/);
    assert.deepEqual(puts(), [["/discord/api/v10/applications/42/commands", ["c500"]], ["/discord/api/v10/applications/42/guilds/99/commands", ["c500-hq"]]]);
    assert.deepEqual(standin.state.calls.find((c) => c.method === "PUT").body, tree);
    standin.state.calls.length = 0;
    assert.match((await run({ DISCORD_GUILD_ID: "77" })).stdout, /guild 77/);
    assert.deepEqual(puts(), [["/discord/api/v10/applications/42/guilds/77/commands", ["c500"]], ["/discord/api/v10/applications/42/guilds/99/commands", ["c500-hq"]]]);
    // The development guild is the HQ guild: one PUT with both (a second would replace the first).
    standin.state.calls.length = 0;
    await run({ DISCORD_GUILD_ID: "99" });
    assert.deepEqual(puts(), [["/discord/api/v10/applications/42/guilds/99/commands", ["c500", "c500-hq"]]]);
    // No HQ guild anywhere: /c500 only, and a warning that names the setting.
    standin.state.calls.length = 0;
    const bare = await run({ HQ_GUILD_ID: "" });
    assert.deepEqual(puts(), [["/discord/api/v10/applications/42/commands", ["c500"]]]);
    assert.match(bare.stderr, /HQ_GUILD_ID is not set/);
    assert.deepEqual(standin.state.violations, []);
    await assert.rejects(run({ DISCORD_BOT_TOKEN: "wrong" }), /401/);
  } finally {
    await standin.close();
  }
});
