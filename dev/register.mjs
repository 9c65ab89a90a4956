// Registers C500's commands with Discord (bulk overwrite: idempotent). Two registrations
// (src/interactions/commands.rs): `/c500` globally (or in DISCORD_GUILD_ID), and HQ's
// `/c500-hq` in the HQ guild only, hidden from everyone there but server admins.
//   DISCORD_APPLICATION_ID, DISCORD_BOT_TOKEN   required
//   HQ_GUILD_ID                                 where /c500-hq goes (else wrangler.toml [vars])
//   DISCORD_GUILD_ID                            optional: /c500 in one guild (instant, for development)
//   DISCORD_API_BASE                            default https://discord.com/api/v10
//   --print                                     print the JSON instead of sending it
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./migrate.mjs";

const json = execFileSync("cargo", ["run", "-q", "--bin", "commands"], { cwd: ROOT }).toString();
if (process.argv.includes("--print")) {
  process.stdout.write(json);
  process.exit(0);
}
const { global, hq_guild: hq } = JSON.parse(json);
const { DISCORD_APPLICATION_ID: app, DISCORD_BOT_TOKEN: token, DISCORD_GUILD_ID: guild } = process.env;
const fromToml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").match(/^HQ_GUILD_ID\s*=\s*"([^"]*)"/m)?.[1];
const hqGuild = (process.env.HQ_GUILD_ID || fromToml || "").trim();
const base = (process.env.DISCORD_API_BASE || "https://discord.com/api/v10").replace(/\/$/, "");
if (!app || !token) {
  console.error("register: set DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN (see README, 'Deploy')");
  process.exit(2);
}

// One bulk overwrite per scope: a guild's PUT replaces all of that guild's commands, so when
// the development guild is the HQ guild both go in the one PUT.
const puts = [];
if (guild && guild === hqGuild) {
  puts.push({ where: `guild ${guild}`, url: `${base}/applications/${app}/guilds/${guild}/commands`, body: [...global, ...hq] });
} else {
  puts.push(guild
    ? { where: `guild ${guild}`, url: `${base}/applications/${app}/guilds/${guild}/commands`, body: global }
    : { where: "globally", url: `${base}/applications/${app}/commands`, body: global });
  if (hqGuild) puts.push({ where: `guild ${hqGuild} (HQ)`, url: `${base}/applications/${app}/guilds/${hqGuild}/commands`, body: hq });
}
for (const { where, url, body } of puts) {
  const res = await fetch(url, {
    method: "PUT",
    headers: { authorization: `Bot ${token}`, "content-type": "application/json", "user-agent": "DiscordBot (https://c500.store, 1.0)" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    console.error(`register: Discord answered ${res.status}: ${text}`);
    process.exit(1);
  }
  const saved = JSON.parse(text);
  console.log(`registered ${saved.length} command(s) ${where}: ${saved.map((c) => "/" + c.name).join(", ")}`);
}
if (!hqGuild) console.warn("register: HQ_GUILD_ID is not set, so HQ's /c500-hq was not registered anywhere");
