// /c500 config set|show on the real runtime: who may, what is stored, what is shown.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, slashCommand } from "./harness.mjs";
import { validateInteractionResponse } from "../dev/discord-spec.mjs";

const MANAGE_GUILD = String(1 << 5);
const MANAGE_ROLES = 1 << 28;
const MANAGE_GUILD_AND_ROLES = String((1 << 5) | MANAGE_ROLES);
const GUILD = "1500000000000000001";
let w;
before(async () => {
  w = await startWorker();
});
after(async () => {
  await w?.close();
});

function configCommand(sub, options = [], { permissions = MANAGE_GUILD, guildId = GUILD } = {}) {
  const i = slashCommand(["config", sub], { options, guildId });
  i.member.permissions = permissions;
  return i;
}
const opt = (name, value, type = 7) => ({ name, type, value });

async function reply(payload) {
  const res = await w.interact(payload);
  assert.equal(res.status, 200);
  const body = await res.json();
  const check = validateInteractionResponse(body);
  assert.ok(check.ok, check.errors.join("; "));
  assert.equal(body.data.flags, 64, "ephemeral");
  return body.data.embeds[0];
}
async function stored(guildId = GUILD) {
  return w.db.prepare("SELECT * FROM guild_settings WHERE guild_id = ?").bind(guildId).first();
}

test("a member without Manage Server is refused and nothing is stored", async () => {
  const embed = await reply(configCommand("set", [opt("shop_channel", "1600000000000000010")], { permissions: "2048" }));
  assert.match(embed.title, /Manage Server needed/);
  assert.equal(await stored(), null);
});

test("in a DM there is no server to configure", async () => {
  const i = configCommand("show");
  delete i.guild_id;
  delete i.member;
  i.user = { id: "1400000000000000001", username: "dm" };
  assert.match((await reply(i)).title, /Run this in a server/);
});

test("set with nothing to set says so", async () => {
  assert.match((await reply(configCommand("set", []))).title, /Nothing to set/);
  assert.equal(await stored(), null);
});

test("Manage Server alone cannot choose a role the bot hands out; nothing is stored", async () => {
  for (const role of ["drop_role", "live_role"]) {
    const embed = await reply(configCommand("set", [opt("shop_channel", "1600000000000000010"), opt(role, "1700000000000000020", 8)]));
    assert.match(embed.title, /Manage Roles needed/, role);
    assert.equal(await stored(), null, role);
  }
  // Manage Roles without Manage Server is not enough either.
  const embed = await reply(configCommand("set", [opt("drop_role", "1700000000000000020", 8)], { permissions: String(MANAGE_ROLES) }));
  assert.match(embed.title, /Manage Server needed/);
  assert.equal(await stored(), null);
});

test("a manager sets channels and roles; later sets keep what they do not name", async () => {
  const first = await reply(
    configCommand("set", [opt("shop_channel", "1600000000000000010"), opt("drop_role", "1700000000000000020", 8)], { permissions: MANAGE_GUILD_AND_ROLES }),
  );
  assert.match(first.title, /Saved/);
  assert.match(JSON.stringify(first.fields), /<#1600000000000000010>/);
  assert.match(JSON.stringify(first.fields), /<@&1700000000000000020>/);
  let row = await stored();
  assert.equal(row.shop_channel_id, "1600000000000000010");
  assert.equal(row.drop_role_id, "1700000000000000020");
  assert.equal(row.updated_by, "1400000000000000001");

  // An administrator (bit 3) may too; the shop channel set before stays.
  await reply(configCommand("set", [opt("orders_channel", "1600000000000000011")], { permissions: "8" }));
  row = await stored();
  assert.equal(row.shop_channel_id, "1600000000000000010");
  assert.equal(row.orders_channel_id, "1600000000000000011");

  const shown = await reply(configCommand("show"));
  const text = JSON.stringify(shown.fields);
  for (const mention of ["<#1600000000000000010>", "<#1600000000000000011>", "<@&1700000000000000020>"]) assert.ok(text.includes(mention), mention);
  assert.match(text, /LIVE role/);
});

test("show for a server that never set anything explains the defaults", async () => {
  const embed = await reply(configCommand("show", [], { guildId: "1500000000000000099" }));
  assert.match(JSON.stringify(embed.fields), /Not set: drops post where/);
});

test("settings are per server", async () => {
  await reply(configCommand("set", [opt("live_role", "1700000000000000030", 8)], { guildId: "1500000000000000002", permissions: MANAGE_GUILD_AND_ROLES }));
  assert.equal((await stored("1500000000000000002")).live_role_id, "1700000000000000030");
  assert.equal((await stored()).live_role_id, null);
});

test("another spelling of the URL gives the same I/O-backed answer", async () => {
  const body = JSON.stringify(configCommand("show"));
  const res = await w.get("/interactions?via=generic", { method: "POST", headers: w.key.headers(body), body });
  assert.equal(res.status, 200);
  assert.match(JSON.stringify(await res.json()), /<#1600000000000000010>/);
});
