#!/usr/bin/env bash
# `make dev`: local D1 (migrated, demo data), local KV, the stand-ins, and wrangler dev on
# 127.0.0.1:8787. Everything is local: no Cloudflare, Discord, Stripe or Twitch account.
set -euo pipefail
source "$(dirname "$0")/tools.sh"
cd "$ROOT"
mkdir -p .dev

# Local secrets: a Discord key pair made here (the CLI signs with its private half).
if [ ! -f .dev.vars ] || [ ! -f .dev/discord-key.pem ] || ! grep -q '^DISCORD_CLIENT_SECRET=' .dev.vars; then
  node --input-type=module -e '
    import { TestKey } from "./dev/keys.mjs";
    import { writeFileSync } from "node:fs";
    import { randomBytes } from "node:crypto";
    const k = new TestKey();
    writeFileSync(".dev/discord-key.pem", k.toPem(), { mode: 0o600 });
    writeFileSync(".dev.vars", [
      "# Local development only (gitignored). Made by make dev.",
      "DISCORD_APPLICATION_ID=1100000000000000001",
      "DISCORD_PUBLIC_KEY=" + k.publicHex(),
      "DISCORD_BOT_TOKEN=local-dev-bot-token",
      "DISCORD_CLIENT_SECRET=local-discord-client-secret",
      "STRIPE_SECRET_KEY=sk_test_local_dev",
      "STRIPE_WEBHOOK_SECRET=whsec_local_dev",
      "TWITCH_CLIENT_ID=local-twitch-client",
      "TWITCH_CLIENT_SECRET=local-twitch-secret",
      "TWITCH_EVENTSUB_SECRET=local-eventsub-secret",
      "LINK_SIGNING_SECRET=" + randomBytes(32).toString("hex"),
      "PUBLIC_BASE_URL=http://127.0.0.1:8787",
      "DISCORD_API_BASE=http://127.0.0.1:8790/discord/api/v10",
      "DISCORD_WEB_BASE=http://127.0.0.1:8790/discord-web",
      "STRIPE_API_BASE=http://127.0.0.1:8790/stripe",
      "TWITCH_API_BASE=http://127.0.0.1:8790/twitch",
      "TWITCH_AUTH_BASE=http://127.0.0.1:8790/twitch-auth",
      "DISCORD_CDN_BASE=http://127.0.0.1:8790/_standin/cdn",
      "HQ_GUILD_ID=1200000000000000001",
      "HQ_CHANNEL_ID=1200000000000000002",
      "ADMIN_USER_IDS=100000000000000009",
      ""].join("\n"), { mode: 0o600 });
    console.log("made .dev.vars and a local Discord key pair");'
fi

set -a; . ./.dev.vars; set +a
# wrangler.toml's [assets] directory must exist before wrangler starts; the build that
# wrangler dev runs writes the same files again.
echo "▸ the static pages, for $PUBLIC_BASE_URL"
cargo run --quiet --bin site -- build/assets "$PUBLIC_BASE_URL"

echo "▸ applying migrations to the local D1"
npx wrangler d1 migrations apply DB --local >/dev/null
echo "▸ loading demo data"
npx wrangler d1 execute DB --local --file dev/seed.sql >/dev/null
# The demo drops' photos, as a builder's upload would be kept (src/photos.rs: photo:{id}).
for photo in D-SNQWWH1T:snow-white-tkl D-PASTE1DK:pastel-deskmat D-FR0STW1T:frost-witch-65 D-ARTCAP01:cloud-keycap; do
  npx wrangler kv key put --local --binding KV "photo:${photo%%:*}" --path "dev/demo/${photo#*:}.png" \
    --metadata '{"type":"image/png"}' >/dev/null
done

node dev/standin.mjs --port 8790 --worker http://127.0.0.1:8787 &
standin=$!
trap 'kill $standin 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  C500 is starting on http://127.0.0.1:8787  (stand-ins on http://127.0.0.1:8790)
  Try, in another terminal:
    node dev/c500.mjs ping
    node dev/c500.mjs command help
    node dev/c500.mjs button c5:v1:buy:D-SNQWWH1T
    node dev/c500.mjs stripe-event customer.created
    curl http://127.0.0.1:8790/_standin/calls

MSG
# --test-scheduled: GET /__scheduled runs the cron handler (wrangler dev runs no crons by itself).
npx wrangler dev --ip 127.0.0.1 --port 8787 --local --test-scheduled
