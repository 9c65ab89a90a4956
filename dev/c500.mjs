#!/usr/bin/env node
// Sends signed interactions (and Stripe events) to the local worker, as Discord would.
//
//   node dev/c500.mjs ping
//   node dev/c500.mjs command help
//   node dev/c500.mjs command setup stripe
//   node dev/c500.mjs command drop type=commission quantity=3        (options as name=value)
//   node dev/c500.mjs --user <admin> command c500-hq approve user=<id>  (HQ's command, HQ guild)
//   node dev/c500.mjs button c5:v1:buy:D-SNQWWH1T
//   node dev/c500.mjs modal <custom_id> field=value ...
//   node dev/c500.mjs stripe-event <type> ['{"id":"cs_1",...}']
// Flags: --url http://127.0.0.1:8787  --user <discord id>  --guild <id>  --dm
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { TestKey } from "./keys.mjs";

const argv = process.argv.slice(2);
function flag(name, fallback) {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
}
const dm = argv.includes("--dm");
if (dm) argv.splice(argv.indexOf("--dm"), 1);
const url = flag("--url", "http://127.0.0.1:8787").replace(/\/$/, "");
const userId = flag("--user", "100000000000000003");
const HQ_COMMAND = "c500-hq";
const isHq = argv[argv.indexOf("command") + 1] === HQ_COMMAND && argv.includes("command");
// HQ's command exists only in the HQ guild (make dev's HQ_GUILD_ID).
const guildId = flag("--guild", isHq ? "1200000000000000001" : "1500000000000000001");
const standin = flag("--standin", "http://127.0.0.1:8790");
const [verb, ...rest] = argv;

function usage() {
  console.error(readFileSync(new URL(import.meta.url)).toString().split("\n").slice(1, 13).join("\n"));
  process.exit(2);
}

function key() {
  try {
    return TestKey.fromPem(readFileSync(new URL("../.dev/discord-key.pem", import.meta.url)));
  } catch {
    console.error("no local key: run `make dev` once (it makes .dev.vars and .dev/discord-key.pem)");
    process.exit(2);
  }
}

function base(type, data) {
  const id = String(BigInt(Date.now()) << 22n);
  const who = { id: userId, username: "cli-user", global_name: "CLI User" };
  return {
    type,
    id,
    application_id: "1100000000000000001",
    token: `cli-token-${id}`,
    version: 1,
    locale: "en-US",
    channel_id: "1600000000000000001",
    ...(dm ? { user: who, context: 1 } : { guild_id: guildId, member: { user: who, roles: [], permissions: "2147483647" }, context: 0 }),
    ...(data ? { data } : {}),
  };
}

// Option types come from the command tree itself, as Discord would send them.
function optionTypes(names, hq) {
  const trees = JSON.parse(execFileSync("cargo", ["run", "-q", "--bin", "commands"], { cwd: new URL("..", import.meta.url) }).toString());
  let node = (hq ? trees.hq_guild : trees.global)[0];
  for (const n of names) node = node?.options?.find((o) => o.name === n);
  return new Map((node?.options ?? []).map((o) => [o.name, o.type]));
}

function typed(type, v) {
  if (type === 4) return Number.parseInt(v, 10);
  if (type === 10) return Number(v);
  if (type === 5) return v === "true";
  return v; // strings, and users/channels/roles as snowflakes
}

function commandData(words) {
  const hq = words[0] === HQ_COMMAND;
  const names = words.filter((w) => !w.includes("=")).slice(hq ? 1 : 0);
  const types = optionTypes(names, hq);
  const options = words.filter((w) => w.includes("=")).map((w) => {
    const [name, ...v] = w.split("=");
    const type = types.get(name) ?? 3;
    return { name, type, value: typed(type, v.join("=")) };
  });
  let leaf = { type: 1, name: names.at(-1), options };
  if (names.length === 2) leaf = { type: 2, name: names[0], options: [leaf] };
  return { id: "1700000000000000001", name: hq ? HQ_COMMAND : "c500", type: 1, options: names.length ? [leaf] : [] };
}

async function send(payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${url}/interactions`, { method: "POST", headers: key().headers(body), body });
  const text = await res.text();
  console.log(`HTTP ${res.status}`);
  try {
    console.log(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    console.log(text);
  }
  process.exitCode = res.ok ? 0 : 1;
}

switch (verb) {
  case "ping":
    await send(base(1));
    break;
  case "command":
    if (!rest.length) usage();
    await send(base(2, commandData(rest)));
    break;
  case "button":
    if (!rest[0]) usage();
    await send({ ...base(3, { custom_id: rest[0], component_type: 2 }), message: { id: "1900000000000000001", channel_id: "1600000000000000001" } });
    break;
  case "modal": {
    if (!rest[0]) usage();
    const [customId, ...fields] = rest;
    const components = fields.map((f) => {
      const [id, ...v] = f.split("=");
      return { type: 1, components: [{ type: 4, custom_id: id, value: v.join("=") }] };
    });
    await send(base(5, { custom_id: customId, components }));
    break;
  }
  case "stripe-event": {
    if (!rest[0]) usage();
    const object = rest[1] ? JSON.parse(rest[1]) : { id: "obj_cli", object: "unknown" };
    const res = await fetch(`${standin}/_standin/stripe/events`, { method: "POST", body: JSON.stringify({ type: rest[0], object }) });
    const out = await res.json();
    console.log(`worker answered HTTP ${out.status}: ${out.body}`);
    process.exitCode = out.status === 200 ? 0 : 1;
    break;
  }
  default:
    usage();
}
