#!/usr/bin/env bash
# `make fuzz`: every parser of outside input (src/fuzzing.rs), FUZZ_RUNS inputs per target
# (default a million). Coverage-guided with cargo-fuzz (libFuzzer) where a nightly toolchain
# exists (installing cargo-fuzz if it is missing); otherwise, or with FUZZ_STABLE=1, the
# mutation runner of src/fuzzing.rs as a property test on stable. Prints one line per target;
# docs/security.md records the last run. `make test` runs the stable runner briefly.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$ROOT"
RUNS="${FUZZ_RUNS:-1000000}"

if [ -z "${FUZZ_STABLE:-}" ] && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "▸ installing cargo-fuzz"
    cargo +nightly install cargo-fuzz --locked
  fi
  echo "▸ seeds (src/fuzzing.rs) → fuzz/corpus"
  C500_FUZZ_SEEDS_DIR="$ROOT/fuzz/corpus" cargo test -q --lib fuzzing::tests::seeds >/dev/null
  for target in $(cargo +nightly fuzz list); do
    log="$(mktemp)"
    if ! cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- -runs="$RUNS" -max_len=8192 >"$log" 2>&1; then
      tail -40 "$log"
      echo "✗ fuzz $target found a failure: the input is in fuzz/artifacts/$target/" >&2
      exit 1
    fi
    done_line="$(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
    cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -1)"
    echo "fuzz $target (cargo-fuzz): ${done_line:-?}, ${cov:-cov: ?}, no crash, no forgery accepted"
    rm -f "$log"
  done
else
  echo "▸ no nightly toolchain (or FUZZ_STABLE=1): the stable runner, $RUNS inputs per target"
  C500_FUZZ_RUNS="$RUNS" cargo test -q --profile fuzz --lib fuzzing::tests::every_fuzz_target_holds_its_properties -- --nocapture 2>&1 \
    | grep -E '^fuzz |panicked|failed on'
fi
