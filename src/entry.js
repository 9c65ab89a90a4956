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

export default {
  fetch(request, env, ctx) {
    try {
      return imports.fetch(request, env, ctx).catch(recover);
    } catch (error) {
      return recover(error);
    }
  },
};
