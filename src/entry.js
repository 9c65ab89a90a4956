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

// Discord's interactions are the hot path: read the body here (a native await) and let
// Rust answer synchronously (lib.rs `interaction`). Any other URL spelling, e.g. with a
// query string, takes the generic route, which gives the same answers.
function isInteraction(request) {
  if (request.method !== "POST") return false;
  const url = request.url;
  return url.slice(url.indexOf("/", url.indexOf("//") + 2)) === "/interactions";
}

async function interaction(request, env, ctx) {
  const body = new Uint8Array(await request.arrayBuffer());
  const headers = request.headers;
  return imports.interaction(body, headers.get("x-signature-ed25519"), headers.get("x-signature-timestamp"), env, ctx);
}

export default {
  fetch(request, env, ctx) {
    try {
      if (isInteraction(request)) return interaction(request, env, ctx).catch(recover);
      return imports.fetch(request, env, ctx).catch(recover);
    } catch (error) {
      return recover(error);
    }
  },
  // Cron (wrangler.toml [triggers]): sweeps lapsed holds, drains the outbox.
  scheduled(event, env, ctx) {
    try {
      return imports.scheduled(event, env, ctx).catch(recover);
    } catch (error) {
      return recover(error);
    }
  },
};
