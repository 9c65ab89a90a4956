// The Worker's JavaScript entry (worker-build's CUSTOM_SHIM template; scripts/build.sh).
//
// Why our own: worker-build's default entry wraps the exported class, each instance and
// each method call in Proxies to re-create the Wasm instance after a trap. That costs
// ~0.035 ms on every request (docs/bench.md). Here the same recovery is one try/catch.
import * as imports from "./index_bg.js";
import wasmModule from "./index.wasm";
$SNIPPET_JS_IMPORTS

function instantiate() {
  const instance = new WebAssembly.Instance(wasmModule, {
    "./index_bg.js": imports,
    $SNIPPET_WASM_IMPORTS
  });
  imports.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start?.();
}
instantiate();

// A trap (an abort, out of memory) leaves the instance unusable: start a fresh one so the
// next request is served, and let this one fail with a 500.
function recover(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    console.error(JSON.stringify({ event: "wasm_trap", level: "error", error: String(error) }));
    instantiate();
  }
  throw error;
}

// Discord's interactions are the hot path: read the body here (a native await), check the
// signature with the runtime's Ed25519, and let Rust answer synchronously (lib.rs
// `interaction`). Matched on the path alone, so a query string changes nothing.
function isInteraction(request) {
  if (request.method !== "POST") return false;
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", start);
  return url.slice(start, end < 0 ? undefined : end) === "/interactions";
}

// Discord's interactions are a few KiB; lib.rs refuses a bigger body too (interactions.rs
// MAX_BODY, the same number). Checked before reading: a Content-Length over it is refused
// at once, and a body without one is read only up to it.
const MAX_BODY = 64 * 1024;
const TOO_LARGE = () => new Response("payload too large", { status: 413, headers: { "content-type": "text/plain; charset=utf-8" } });

// A body without a Content-Length (chunked) is read here, up to MAX_BODY.
async function readStreamCapped(request) {
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

async function interaction(request, env, ctx) {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > MAX_BODY) return TOO_LARGE();
  // Discord always sends a Content-Length: that common case is one native read, no stream.
  const body =
    declared <= MAX_BODY || !request.body ? new Uint8Array(await request.arrayBuffer()) : await readStreamCapped(request);
  if (body === null) return TOO_LARGE();
  const headers = request.headers;
  const signature = headers.get("x-signature-ed25519");
  const timestamp = headers.get("x-signature-timestamp");
  const signed = await signedByDiscord(env.DISCORD_PUBLIC_KEY, signature, timestamp, body);
  return imports.interaction(body, signature, timestamp, signed, env, ctx);
}

// Did `publicKey` sign `timestamp ‖ body`? Only the primitive lives here: WebCrypto's Ed25519
// is workerd's native BoringSSL, several times faster than the same check compiled to Wasm
// (docs/performance.md). What the headers must look like, and what a "no" means, is Rust's
// (discord/signature.rs); a missing or unusable key is named there too.
const SIGNATURE = /^[0-9a-fA-F]{128}$/;
const encoder = new TextEncoder();
// The key for DISCORD_PUBLIC_KEY, imported once per isolate: `pending` until WebCrypto has
// it, then `key` as well, so a request does not wait a turn for a settled promise. A key
// that does not import stays cached and keeps answering "no".
let cachedKey = { hex: undefined, pending: undefined, key: undefined };

async function signedByDiscord(publicKey, signature, timestamp, body) {
  if (!publicKey || !signature || !timestamp || !SIGNATURE.test(signature)) return false;
  if (cachedKey.hex !== publicKey) {
    const raw = hexBytes(publicKey.trim());
    const pending = raw ? crypto.subtle.importKey("raw", raw, "Ed25519", false, ["verify"]) : Promise.resolve(null);
    const entry = { hex: publicKey, pending, key: undefined };
    pending.then((key) => (entry.key = key), () => {});
    cachedKey = entry;
  }
  try {
    const key = cachedKey.key ?? (await cachedKey.pending);
    if (!key) return false;
    const stamp = encoder.encode(timestamp);
    const message = new Uint8Array(stamp.length + body.length);
    message.set(stamp);
    message.set(body, stamp.length);
    return await crypto.subtle.verify("Ed25519", key, hexBytes(signature), message);
  } catch {
    return false;
  }
}

// V8's native hex decoder; null for anything that is not hex.
function hexBytes(hex) {
  try {
    return Uint8Array.fromHex(hex);
  } catch {
    return null;
  }
}

// `make bench` only (bench/d1-time.mjs): with the var D1_TIMINGS set, every D1 call logs one
// line: its statements (the SQL's first words), D1's own time for each (`meta.duration`), the
// rows each read and wrote, and the call's time as the Worker saw it (queueing included).
// Unset (production, tests), it costs one property read per request.
class TimedD1 {
  constructor(real) {
    this.real = real;
  }
  prepare(sql) {
    return new TimedStatement(this.real.prepare(sql), sql);
  }
  batch(statements) {
    return timed("batch", statements, () => this.real.batch(statements.map((s) => s.real)));
  }
  exec(sql) {
    return this.real.exec(sql);
  }
}
// workers-rs accepts a D1 binding by its constructor's name (and the bundle minifies names).
Object.defineProperty(TimedD1, "name", { value: "D1Database" });
class TimedStatement {
  constructor(real, sql) {
    this.real = real;
    this.sql = sql;
  }
  bind(...values) {
    return new TimedStatement(this.real.bind(...values), this.sql);
  }
  first(column) {
    return timed("first", [this], () => this.real.first(column), () => null);
  }
  all() {
    return timed("all", [this], () => this.real.all());
  }
  run() {
    return timed("run", [this], () => this.real.run());
  }
  raw(options) {
    return timed("raw", [this], () => this.real.raw(options), () => null);
  }
}
async function timed(kind, statements, call, noMeta) {
  const start = performance.now();
  const result = await call();
  const wall = performance.now() - start;
  const results = noMeta ? statements.map(noMeta) : Array.isArray(result) ? result : [result];
  console.log(JSON.stringify({
    event: "d1_call",
    kind,
    wall_ms: wall,
    statements: statements.map((s, i) => ({
      sql: s.sql.replace(/\s+/g, " ").trim().slice(0, 72),
      ms: results[i]?.meta?.duration ?? null,
      read: results[i]?.meta?.rows_read ?? null,
      written: results[i]?.meta?.rows_written ?? null,
    })),
  }));
  return result;
}
function withTimings(env) {
  if (!env.D1_TIMINGS || !env.DB) return env;
  const timedEnv = Object.create(env);
  timedEnv.DB = new TimedD1(env.DB);
  return timedEnv;
}

// The Durable Object that paces Checkout Sessions for every isolate (src/pace.rs).
export { CheckoutPace } from "./index_bg.js";

export default {
  fetch(request, env, ctx) {
    try {
      env = withTimings(env);
      if (isInteraction(request)) return interaction(request, env, ctx).catch(recover);
      return imports.fetch(request, env, ctx).catch(recover);
    } catch (error) {
      return recover(error);
    }
  },
  // Cron (wrangler.toml [triggers]): sweeps lapsed holds, drains the outbox.
  scheduled(event, env, ctx) {
    try {
      env = withTimings(env);
      return imports.scheduled(event, env, ctx).catch(recover);
    } catch (error) {
      return recover(error);
    }
  },
};
