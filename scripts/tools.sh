# Sourced by the build and setup scripts: where the pinned tools live, and their versions.
# worker-build downloads wasm-bindgen/wasm-opt/esbuild unless told where they are; we tell it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORKER_BUILD_VERSION=0.8.7
# The wasm-bindgen CLI must equal the wasm-bindgen crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml")"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
export WASM_BINDGEN_BIN="$CARGO_BIN/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/esbuild/bin/esbuild"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true
