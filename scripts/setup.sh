#!/usr/bin/env bash
# Installs everything the project needs, once; a second run only checks versions.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$ROOT"

step() { printf '\033[35m▸ %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(worker-build --version 2>/dev/null)" != "$WORKER_BUILD_VERSION" ]; then
  step "installing worker-build $WORKER_BUILD_VERSION (about 6 minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --force
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# The official stripe package, for its typed params: the stand-in checks every Stripe
# request against them (dev/stripe_params.py → .tools/stripe-params.json).
STRIPE_PY_VERSION=16.1.0
if [ "$(cat .tools/python/.stripe-version 2>/dev/null)" != "$STRIPE_PY_VERSION" ]; then
  step "installing the stripe Python package $STRIPE_PY_VERSION (for its typed params)"
  rm -rf .tools/python
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
    --target .tools/python "stripe==$STRIPE_PY_VERSION"
  echo "$STRIPE_PY_VERSION" > .tools/python/.stripe-version
  rm -f .tools/stripe-params.json
fi
if [ ! -f .tools/stripe-params.json ] || [ dev/stripe_params.py -nt .tools/stripe-params.json ]; then
  PYTHONPATH=.tools/python python3 dev/stripe_params.py .tools/stripe-params.json
fi

# Debian's Chromium for the browser tests (tests/browser.test.mjs, driven by playwright-core).
if [ -z "${CHROMIUM_BIN:-}" ] && [ ! -x /usr/bin/chromium ]; then
  step "installing Debian's chromium (for the browser tests; about a minute, once)"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.c500-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  step "installing wrangler, workerd, binaryen and the test tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
