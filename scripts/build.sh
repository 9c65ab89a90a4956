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
args=(--release)
if [ "${WRANGLER_COMMAND:-}" = "dev" ]; then
  args+=(--no-opt)
fi
# Our own lean entry instead of worker-build's Proxy-wrapped one (see src/entry.js).
export CUSTOM_SHIM="$ROOT/src/entry.js"
exec worker-build "${args[@]}"
