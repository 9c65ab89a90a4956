#!/usr/bin/env bash
# The Worker's build, run by wrangler (wrangler.toml [build]) and by `make build`.
# `wrangler dev` sets WRANGLER_COMMAND=dev: skip wasm-opt there (saves ~15 s a rebuild).
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$ROOT"
if [ ! -x "$WASM_BINDGEN_BIN" ] || [ ! -x "$WASM_OPT_BIN" ] || ! command -v worker-build >/dev/null; then
  echo "build tools missing: run 'make setup' (or 'make dev' / 'make test') first" >&2
  exit 1
fi
# Our own lean entry instead of worker-build's Proxy-wrapped one (see src/entry.js).
export CUSTOM_SHIM="$ROOT/src/entry.js"
# wasm-opt is ours, not worker-build's (Cargo.toml: wasm-opt = false): worker-build keeps the
# function names section (--debuginfo), 128 KiB raw and ~36 KiB gzip of a module that must
# stay under 400 KiB (docs/performance.md). Names only make a trap's stack readable, and
# clippy keeps panics out of the code.
worker-build --release
# The static guides, the stylesheet and their _headers (wrangler.toml [assets]): pages that
# cost the module nothing. Their canonical URLs are absolute, so PUBLIC_BASE_URL is read here:
# from the environment (make dev exports the local one), else from wrangler.toml's [vars].
SITE_BASE="${PUBLIC_BASE_URL:-$(sed -n 's/^PUBLIC_BASE_URL *= *"\(.*\)"/\1/p' wrangler.toml)}"
cargo run --quiet --bin site -- build/assets "$SITE_BASE"
if [ "${WRANGLER_COMMAND:-}" != "dev" ]; then
  # The features are worker-build 0.8.7's list: nothing newer than workerd runs.
  # --low-memory-unused: Rust never uses the first KiB of memory (null is there; data starts
  # at 1 MiB), so loads and stores may fold their offsets: 1.4 KiB gzip. The inlining limit:
  # binaryen inlines every function that has one caller, whatever its size, into LLVM's already
  # large async state machines; capped at 20 the module is 2% larger raw but 23 KiB smaller
  # gzipped (docs/performance.md).
  "$WASM_OPT_BIN" build/worker/index.wasm -O --low-memory-unused --one-caller-inline-max-function-size=20 \
    --strip-debug --strip-producers \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling \
    -o build/worker/index.wasm
fi
