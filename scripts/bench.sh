#!/usr/bin/env bash
# `make bench`: release builds of C500, the empty Rust worker and the JS peer, then one
# measured run of each under the same workerd (Miniflare) and load generator.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$ROOT"
echo "▸ building C500 (release, wasm-opt)"
bash scripts/build.sh >/dev/null 2>&1
echo "▸ building the empty Rust worker (the floor)"
(cd bench/empty-worker && CARGO_TARGET_DIR="$ROOT/target/bench-empty" worker-build --release >/dev/null 2>&1)
echo "▸ bundling the JS peer (discord-interactions)"
mkdir -p build/bench
"$ESBUILD_BIN" bench/js-peer/worker.mjs --bundle --format=esm --platform=neutral --main-fields=module,main \
  --outfile=build/bench/js-peer.mjs --log-level=warning
node bench/bench.mjs "$@"
echo "▸ the hot-drop storm (bench/hot-drop.mjs)"
node bench/hot-drop.mjs
echo "▸ the raffle (bench/raffle.mjs)"
node bench/raffle.mjs
echo "▸ the D1 time of Buy (bench/d1-time.mjs)"
node bench/d1-time.mjs
