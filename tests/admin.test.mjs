// /c500-hq approve|revoke on the real runtime: HQ admins only, in the HQ guild only, stored
// atomically, audited.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, slashCommand, hqCommand } from "./harness.mjs";
import { validateInteractionResponse } from "../dev/discord-spec.mjs";

const ADMIN = "1300000000000000001"; // ADMIN_USER_IDS in the harness
const KEYZ = "1800000000000000001";
let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.close();
});

function adminCommand(sub, { user = KEYZ, username = "Keyz", guilds, by = ADMIN, guildId } = {}) {
  const options = [{ name: "user", type: 6, value: user }];
  if (guilds !== undefined) options.push({ name: "guilds", type: 3, value: guilds });
  const i = hqCommand(sub, { options, userId: by, ...(guildId ? { guildId } : {}) });
  i.data.resolved = { users: { [user]: { id: user, username, global_name: username } } };
  return i;
}

async function embed(payload) {
  const res = await w.interact(payload);
  assert.equal(res.status, 200);
  const body = await res.json();
  const check = validateInteractionResponse(body);
  assert.ok(check.ok, check.errors.join("; "));
  assert.equal(body.data.flags, 64);
  return body.data.embeds[0];
}
const builder = (id = KEYZ) => w.db.prepare("SELECT * FROM builders WHERE discord_id = ?").bind(id).first();
const actions = async () => (await w.db.prepare("SELECT * FROM admin_actions ORDER BY id").all()).results;

test("a non-admin cannot approve or revoke, and nothing changes", async () => {
  for (const sub of ["approve", "revoke"]) {
    const e = await embed(adminCommand(sub, { by: "1400000000000000001" }));
    assert.match(e.title, /C500 HQ only/);
  }
  assert.equal(await builder(), null);
  assert.deepEqual(await actions(), []);
});

test("HQ's command works only in the HQ guild, and the old /c500 admin points there", async () => {
  // Even an admin, from any other server (a stale registration): refused, nothing stored.
  const elsewhere = await embed(adminCommand("approve", { guildId: "1500000000000000001" }));
  assert.match(elsewhere.title, /C500 HQ only/);
  const old = slashCommand(["admin", "approve"], { options: [{ name: "user", type: 6, value: KEYZ }], userId: ADMIN });
  const moved = await embed(old);
  assert.match(moved.title, /Moved to the HQ server/);
  assert.match(moved.description, /\/c500-hq/);
  assert.equal(await builder(), null);
  assert.deepEqual(await actions(), []);
});

test("an unknown guild name is refused with the list of guilds", async () => {
  const e = await embed(adminCommand("approve", { guilds: "builder, pastel" }));
  assert.match(e.title, /Unknown guild/);
  assert.match(e.description, /"pastel"/);
  assert.equal(await builder(), null);
});

test("an admin approves a builder with guild badges; it is audited", async () => {
  const e = await embed(adminCommand("approve", { guilds: "Artisan, modder" }));
  assert.match(e.title, /Certified Builder/);
  assert.match(e.description, /<@1800000000000000001>/);
  assert.match(e.description, /Artisan Guild, 💧 Modder Guild/);
  const row = await builder();
  assert.equal(row.approved, 1);
  assert.equal(row.approved_by, ADMIN);
  assert.equal(row.guild_tags, "artisan,modder");
  assert.equal(row.handle, "keyz");
  assert.equal(row.stripe_account_id, null);
  const user = await w.db.prepare("SELECT username FROM users WHERE discord_id = ?").bind(KEYZ).first();
  assert.equal(user.username, "Keyz");
  const [audit] = await actions();
  assert.deepEqual([audit.admin_id, audit.action, audit.subject, audit.detail], [ADMIN, "approve_builder", KEYZ, "artisan,modder"]);
});

test("a second builder with the same username gets a distinct handle", async () => {
  await embed(adminCommand("approve", { user: "1800000000000000042", username: "keyz" }));
  assert.equal((await builder("1800000000000000042")).handle, "keyz-0042");
  // Re-approving keeps the handle and updates the badges (default: builder).
  await embed(adminCommand("approve"));
  const row = await builder();
  assert.equal(row.handle, "keyz");
  assert.equal(row.guild_tags, "builder");
});

test("revoke takes certification away; revoking a non-builder changes nothing", async () => {
  const e = await embed(adminCommand("revoke"));
  assert.match(e.title, /revoked/);
  assert.equal((await builder()).approved, 0);
  const before = (await actions()).length;
  const none = await embed(adminCommand("revoke", { user: "1800000000000000099" }));
  assert.match(none.title, /Not a builder/);
  assert.equal((await actions()).length, before);
  assert.equal(await builder("1800000000000000099"), null);
});
