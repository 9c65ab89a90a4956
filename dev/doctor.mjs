// `make doctor`: is this deployment's configuration complete? Checks the settings the worker
// cannot work without (the list is src/config.rs `REQUIRED`, read from there so the two can
// never disagree) and names what is missing or malformed, never a value.
//   node dev/doctor.mjs              local: .dev.vars and wrangler.toml [vars]
//   node dev/doctor.mjs --deployed   the deployed worker: `wrangler secret list` (names only)
//                                    and wrangler.toml [vars]
// Exit 0 when complete, 1 otherwise. `make deploy` runs it with --deployed.
import { readFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The names in src/config.rs `REQUIRED`. */
export function required() {
  const src = readFileSync(path.join(ROOT, "src/config.rs"), "utf8");
  const list = src.match(/pub const REQUIRED: \[&str; \d+\] = \[([^\]]*)\]/);
  if (!list) throw new Error("src/config.rs has no REQUIRED list");
  return [...list[1].matchAll(/"([A-Z0-9_]+)"/g)].map((m) => m[1]);
}

/** `[vars]` of wrangler.toml (string values only, which is all it holds). */
function tomlVars() {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const section = toml.split(/^\[vars\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  return Object.fromEntries([...section.matchAll(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
}

/** KEY=VALUE lines of a .dev.vars file. */
function devVars(file) {
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .map((l) => l.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*)$/))
      .filter(Boolean)
      .map((m) => [m[1], m[2].replace(/^"(.*)"$/, "$1")]),
  );
}

/** What is wrong with a value we can see (the worker checks the same in config::problems). */
function malformed(name, v) {
  if (name === "DISCORD_PUBLIC_KEY" && !/^[0-9a-fA-F]{64}$/.test(v.trim())) return "not a 32-byte hex Ed25519 key";
  if (name === "DISCORD_APPLICATION_ID" && !/^\d+$/.test(v.trim())) return "not a Discord id";
  if (name === "STRIPE_SECRET_KEY" && !/^(sk|rk)_/.test(v)) return "not a Stripe secret key (sk_… or rk_…)";
  if (name === "STRIPE_WEBHOOK_SECRET" && !v.split(",").every((s) => s.trim().startsWith("whsec_"))) return "not Stripe signing secrets (whsec_…, comma-separated)";
  if (name === "PUBLIC_BASE_URL" && !/^https?:\/\//.test(v)) return "not an http(s) URL";
  return null;
}

/** Problems in `values` (name → value, or `true` when only the name is known). */
export function diagnose(values) {
  const problems = [];
  for (const name of required()) {
    const v = values[name];
    if (v === undefined || v === "" || (typeof v === "string" && v.trim() === "")) problems.push({ name, problem: "missing" });
    else if (typeof v === "string" && malformed(name, v)) problems.push({ name, problem: malformed(name, v) });
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const deployed = process.argv.includes("--deployed");
  let values;
  if (deployed) {
    let secrets;
    try {
      const out = execFileSync("npx", ["wrangler", "secret", "list", "--format", "json"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      secrets = JSON.parse(out).map((s) => s.name);
    } catch (e) {
      console.error(`doctor: could not list the deployed worker's secrets (${String(e.stderr ?? e.message).trim().split("\n")[0]}).`);
      console.error("        Before the first deploy there are none to list: `make deploy FIRST=1` deploys anyway.");
      process.exit(1);
    }
    // Secret values are hidden: a listed name counts as set.
    values = { ...tomlVars(), ...Object.fromEntries(secrets.map((n) => [n, true])) };
  } else {
    values = { ...tomlVars(), ...devVars(path.join(ROOT, ".dev.vars")) };
  }
  const problems = diagnose(values);
  const where = deployed ? "the deployed worker" : "local (.dev.vars + wrangler.toml)";
  if (problems.length === 0) {
    console.log(`doctor: ${where}: all ${required().length} required settings are set.`);
  } else {
    console.error(`doctor: ${where}: ${problems.length} setting(s) to fix:`);
    for (const p of problems) console.error(`  ${p.name}: ${p.problem}`);
    console.error("(README, Configuration: vars in wrangler.toml, secrets with `npx wrangler secret put NAME`.)");
    process.exit(1);
  }
}
