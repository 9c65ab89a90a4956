// Registers the /c500 command tree with Discord (bulk overwrite: idempotent).
//   DISCORD_APPLICATION_ID, DISCORD_BOT_TOKEN   required
//   DISCORD_GUILD_ID                            optional: one guild (instant, for development)
//   DISCORD_API_BASE                            default https://discord.com/api/v10
//   --print                                     print the JSON instead of sending it
import { execFileSync } from "node:child_process";
import { ROOT } from "./migrate.mjs";

const json = execFileSync("cargo", ["run", "-q", "--bin", "commands"], { cwd: ROOT }).toString();
if (process.argv.includes("--print")) {
  process.stdout.write(json);
  process.exit(0);
}
const { DISCORD_APPLICATION_ID: app, DISCORD_BOT_TOKEN: token, DISCORD_GUILD_ID: guild } = process.env;
const base = (process.env.DISCORD_API_BASE || "https://discord.com/api/v10").replace(/\/$/, "");
if (!app || !token) {
  console.error("register: set DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN (see README, 'Deploy')");
  process.exit(2);
}
const url = guild ? `${base}/applications/${app}/guilds/${guild}/commands` : `${base}/applications/${app}/commands`;
const res = await fetch(url, {
  method: "PUT",
  headers: { authorization: `Bot ${token}`, "content-type": "application/json", "user-agent": "DiscordBot (https://c500.store, 1.0)" },
  body: json,
});
const text = await res.text();
if (!res.ok) {
  console.error(`register: Discord answered ${res.status}: ${text}`);
  process.exit(1);
}
const saved = JSON.parse(text);
console.log(`registered ${saved.length} command(s) ${guild ? `in guild ${guild}` : "globally"}: ${saved.map((c) => "/" + c.name).join(", ")}`);
