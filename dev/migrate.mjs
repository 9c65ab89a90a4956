// Applies migrations/ (or executes a SQL file) to a local D1 with the real wrangler CLI.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");
const ENV = {
  ...process.env,
  CI: "true", // never prompt
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
};

function wrangler(args) {
  return execFileSync(WRANGLER, args, { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/** `wrangler d1 migrations apply DB --local`, into `persistTo` (default: .wrangler/state). */
export function applyMigrations(persistTo) {
  return wrangler(["d1", "migrations", "apply", "DB", "--local", ...(persistTo ? ["--persist-to", persistTo] : [])]);
}

/** `wrangler d1 execute DB --local --file F`. */
export function executeFile(file, persistTo) {
  return wrangler(["d1", "execute", "DB", "--local", "--file", file, ...(persistTo ? ["--persist-to", persistTo] : [])]);
}

/** The D1 persistence directory Miniflare reads for a wrangler --persist-to directory. */
export function d1PersistDir(persistTo) {
  return path.join(persistTo, "v3", "d1");
}
