#!/usr/bin/env bash
# `make deploy`: apply D1 migrations to the production database, then `wrangler deploy`.
# Needs `npx wrangler login` (or CLOUDFLARE_API_TOKEN) and the ids in wrangler.toml.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$ROOT"
if grep -qE 'database_id = "0{8}-|^id = "0{32}"' wrangler.toml; then
  cat >&2 <<'MSG'
wrangler.toml still has placeholder ids. Create the resources once and paste their ids:
  npx wrangler d1 create c500          # → database_id under [[d1_databases]]
  npx wrangler kv namespace create KV  # → id under [[kv_namespaces]]
(README: "Deploy", step 2.)
MSG
  exit 1
fi
echo "▸ checking the deployed configuration (make doctor)"
if ! node dev/doctor.mjs --deployed; then
  if [ -n "${FIRST:-}" ]; then
    echo "  (FIRST=1: deploying anyway, so the worker exists to hold its secrets; run make doctor DEPLOYED=1 after)"
  else
    exit 1
  fi
fi
echo "▸ applying migrations to the remote D1"
npx wrangler d1 migrations apply DB --remote
echo "▸ deploying"
npx wrangler deploy
