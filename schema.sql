-- C500 Collective: the whole schema, as the migrations in migrations/ leave it.
-- (tests/schema.test.mjs proves the two agree.)
--
-- Conventions
--   * Discord snowflakes, Stripe ids and Twitch ids are TEXT (they overflow D1's i32 binding).
--   * Times are REAL milliseconds since the Unix epoch (the JS clock).
--   * Money is INTEGER cents (USD). Flags are INTEGER 0/1 with a CHECK.
--   * Invariants live in constraints, so a bug becomes a refused write, not bad data.

-- Everyone who has touched C500: buyers and builders alike.
CREATE TABLE users (
  discord_id        TEXT PRIMARY KEY,
  username          TEXT NOT NULL DEFAULT '',
  is_banned         INTEGER NOT NULL DEFAULT 0 CHECK (is_banned IN (0, 1)),
  ban_reason        TEXT,
  -- Reputation inputs (tiers are computed from these, never stored).
  completed_orders  INTEGER NOT NULL DEFAULT 0 CHECK (completed_orders >= 0),
  lost_disputes     INTEGER NOT NULL DEFAULT 0 CHECK (lost_disputes >= 0),
  -- A linked Twitch account (buyers: counts toward Member; builders: live proof).
  twitch_user_id    TEXT UNIQUE,
  twitch_login      TEXT,
  created_at        REAL NOT NULL,
  updated_at        REAL NOT NULL
);

-- Sellers. A builder is a user with a shop, a Stripe Connect account and HQ's approval.
CREATE TABLE builders (
  discord_id         TEXT PRIMARY KEY REFERENCES users (discord_id),
  handle             TEXT NOT NULL UNIQUE CHECK (length(handle) BETWEEN 2 AND 32),
  shop_name          TEXT CHECK (shop_name IS NULL OR length(shop_name) <= 64),
  stripe_account_id  TEXT UNIQUE,
  charges_enabled    INTEGER NOT NULL DEFAULT 0 CHECK (charges_enabled IN (0, 1)),
  payouts_enabled    INTEGER NOT NULL DEFAULT 0 CHECK (payouts_enabled IN (0, 1)),
  details_submitted  INTEGER NOT NULL DEFAULT 0 CHECK (details_submitted IN (0, 1)),
  -- Certified Builder: set by an HQ admin.
  approved           INTEGER NOT NULL DEFAULT 0 CHECK (approved IN (0, 1)),
  approved_by        TEXT,
  approved_at        REAL,
  -- Comma-separated guild tags, e.g. 'builder,modder'.
  guild_tags         TEXT NOT NULL DEFAULT 'builder',
  -- While streaming: when the LIVE role was given (cleared when it is removed).
  live_since         REAL,
  created_at         REAL NOT NULL,
  updated_at         REAL NOT NULL,
  -- When the Stripe flags above were last synced (ms): older account.updated events lose.
  stripe_synced_at REAL,
  -- Their Discord server's invite (https://discord.gg/{code}), shown on their drops' pages.
  invite_url TEXT
);

-- Per-server settings, set by that server's admins with /c500 config.
CREATE TABLE guild_settings (
  guild_id                 TEXT PRIMARY KEY,
  shop_channel_id          TEXT,
  announcements_channel_id TEXT,
  orders_channel_id        TEXT,
  drop_role_id             TEXT,
  live_role_id             TEXT,
  updated_by               TEXT,
  updated_at               REAL NOT NULL
);

-- Drops.
CREATE TABLE listings (
  id               TEXT PRIMARY KEY,                      -- D-XXXXXXXX
  seller_id        TEXT NOT NULL REFERENCES builders (discord_id),
  guild_id         TEXT,                                   -- where it was posted
  channel_id       TEXT,
  message_id       TEXT,                                   -- the public embed, for edits
  kind             TEXT NOT NULL CHECK (kind IN ('ready_to_ship', 'commission')),
  title            TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
  description      TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 1000),
  specs            TEXT CHECK (specs IS NULL OR length(specs) <= 1000),
  image_url        TEXT CHECK (image_url IS NULL OR image_url LIKE 'https://%'),
  guild_tag        TEXT NOT NULL DEFAULT 'builder'
                   CHECK (guild_tag IN ('builder', 'artisan', 'modder', 'vintage', 'merch')),
  price_cents      INTEGER NOT NULL CHECK (price_cents BETWEEN 50 AND 1000000),
  shipping_cents   INTEGER NOT NULL DEFAULT 0 CHECK (shipping_cents BETWEEN 0 AND 100000),
  lead_time_weeks  INTEGER CHECK (lead_time_weeks IS NULL OR lead_time_weeks BETWEEN 1 AND 52),
  quantity         INTEGER NOT NULL CHECK (quantity >= 1),
  -- Units neither sold nor held. Never below zero: this is what stops overselling.
  stock            INTEGER NOT NULL CHECK (stock >= 0 AND stock <= quantity),
  status           TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'delisted')),
  release_at       REAL,                                   -- NULL: released on creation
  created_at       REAL NOT NULL,
  updated_at       REAL NOT NULL,
  -- An uploaded photo (in KV, served at /photos/{id}): its type. (SQLite's ADD COLUMN puts
  -- a new column after the last one, before the table constraints: so does this file.)
  photo_type TEXT CHECK (photo_type IS NULL OR photo_type IN ('image/png', 'image/jpeg', 'image/webp', 'image/gif')),
  -- Most units one buyer may take (NULL: no limit): their orders not cancelled or refunded,
  -- plus their open hold.
  per_buyer INTEGER CHECK (per_buyer IS NULL OR per_buyer BETWEEN 1 AND 99),
  -- A raffle (NULL: a drop sold first come): Enter until it closes, then the cron draws. The
  -- commitment (SHA-256 of the seed) is public from the start, the seed once drawn.
  raffle_closes_at REAL,
  raffle_min_age_days INTEGER CHECK (raffle_min_age_days IS NULL OR raffle_min_age_days BETWEEN 1 AND 365),
  raffle_seed TEXT,
  raffle_commitment TEXT,
  raffle_drawn_at REAL,
  raffle_draw TEXT,                                      -- the drawn order (JSON array of ids)
  -- The raffle's other gates: a role of the drop's server (entered from Discord, where the
  -- click carries the roles), and the buyer's tier at least (domain::trust).
  raffle_role_id TEXT,
  raffle_min_tier TEXT CHECK (raffle_min_tier IS NULL OR raffle_min_tier IN ('member', 'vip')),
  CHECK (kind = 'commission' OR lead_time_weeks IS NULL)
);
CREATE INDEX listings_live ON listings (status, created_at);
CREATE INDEX listings_seller ON listings (seller_id, created_at);

-- A unit held for a buyer while they pay (30 minutes, Stripe Checkout's minimum).
CREATE TABLE reservations (
  id                   TEXT PRIMARY KEY,                  -- the order id it will become
  listing_id           TEXT NOT NULL REFERENCES listings (id),
  buyer_id             TEXT NOT NULL REFERENCES users (discord_id),
  checkout_session_id  TEXT UNIQUE,
  checkout_url         TEXT,
  status               TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'consumed', 'released')),
  expires_at           REAL NOT NULL,
  created_at           REAL NOT NULL,
  updated_at           REAL NOT NULL,
  -- The price the unit was held at (what the buyer pays).
  item_cents INTEGER NOT NULL DEFAULT 0 CHECK (item_cents >= 0),
  shipping_cents INTEGER NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0)
);
-- One open hold per buyer per listing: a second click finds the first.
CREATE UNIQUE INDEX reservations_one_open ON reservations (listing_id, buyer_id) WHERE status = 'held';
CREATE INDEX reservations_expiry ON reservations (status, expires_at);

CREATE TABLE orders (
  id                  TEXT PRIMARY KEY,                   -- C5-XXXXXX, typed by people
  status_token        TEXT NOT NULL UNIQUE,               -- the unguessable /orders/{token} link
  listing_id          TEXT NOT NULL REFERENCES listings (id),
  buyer_id            TEXT NOT NULL REFERENCES users (discord_id),
  seller_id           TEXT NOT NULL REFERENCES builders (discord_id),
  guild_id            TEXT,
  kind                TEXT NOT NULL CHECK (kind IN ('ready_to_ship', 'commission')),
  status              TEXT NOT NULL CHECK (status IN
                        ('paid', 'building', 'shipped', 'completed', 'refunded', 'disputed', 'cancelled')),
  item_cents          INTEGER NOT NULL CHECK (item_cents >= 0),
  shipping_cents      INTEGER NOT NULL CHECK (shipping_cents >= 0),
  gross_cents         INTEGER NOT NULL CHECK (gross_cents = item_cents + shipping_cents),
  fee_cents           INTEGER NOT NULL CHECK (fee_cents >= 0),
  payout_cents        INTEGER NOT NULL CHECK (payout_cents >= 0 AND fee_cents + payout_cents = gross_cents),
  checkout_session_id TEXT UNIQUE,
  payment_intent_id   TEXT,
  charge_id           TEXT,
  transfer_id         TEXT,
  refund_id           TEXT,
  shipping_address    TEXT,                               -- JSON from Checkout
  promised_by         REAL,                               -- commission: paid + lead time
  stream_url          TEXT,                               -- live proof
  proof_waived_by     TEXT,
  carrier             TEXT,
  tracking            TEXT,
  paid_at             REAL NOT NULL,
  shipped_at          REAL,
  completed_at        REAL,
  flagged_overdue_at  REAL,
  created_at          REAL NOT NULL,
  updated_at          REAL NOT NULL,
  -- The escrow state machine (src/domain/escrow.rs; docs/escrow.md): claim states while
  -- Stripe is called, settled from the ledger after.
  escrow TEXT NOT NULL DEFAULT 'held'
  CHECK (escrow IN ('held', 'releasing', 'released', 'refunding', 'reversing', 'refunded', 'reversed', 'owed')),
  -- Bumped by every change to the order's money: a claim is a compare-and-set on it.
  money_seq INTEGER NOT NULL DEFAULT 0,
  -- 1: a money fact was recorded and the escrow state not yet settled from it (cron finishes).
  money_dirty INTEGER NOT NULL DEFAULT 0 CHECK (money_dirty IN (0, 1)),
  -- HQ took this order's loss on C500 (/c500 admin absorb).
  loss_absorbed_by TEXT,
  -- What the buyer was charged in (gross_cents is in it): C500 asks for 'usd' only.
  currency TEXT NOT NULL DEFAULT 'usd',
  -- Why a payment was refused instead of becoming an order (another currency, or an amount
  -- other than the held price plus shipping): refunded in full, HQ told. NULL for a good one.
  refused TEXT CHECK (refused IS NULL OR refused IN ('amount', 'currency'))
);
CREATE INDEX orders_buyer ON orders (buyer_id, created_at);
CREATE INDEX orders_seller ON orders (seller_id, status, created_at);
CREATE INDEX orders_status ON orders (status, shipped_at);
CREATE INDEX orders_payment_intent ON orders (payment_intent_id);
CREATE INDEX orders_escrow ON orders (escrow, money_dirty);

-- One row per Stripe money object (charge, refund, transfer, reversal, dispute), written in
-- the batch that changes the order. Ours are claimed `pending` before Stripe is called, with
-- the Idempotency-Key `c500-{id}`; Stripe's answer settles them. Refunds and disputes that
-- Stripe reports (the Dashboard, a bank) are rows `stripe-{id}`. Per order: refunds + lost
-- disputes + transfers − reversals never exceed the charge (domain::escrow::within_charge,
-- checked by tests and by the daily reconciliation).
CREATE TABLE ledger (
  id            TEXT PRIMARY KEY,
  order_id      TEXT NOT NULL REFERENCES orders (id),
  kind          TEXT NOT NULL CHECK (kind IN ('charge', 'refund', 'transfer', 'reversal', 'dispute')),
  direction     TEXT NOT NULL CHECK (direction = CASE WHEN kind IN ('charge', 'reversal') THEN 'in' ELSE 'out' END),
  amount_cents  INTEGER NOT NULL CHECK (amount_cents >= 0),
  status        TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  stripe_id     TEXT UNIQUE,
  target        TEXT,
  actor         TEXT NOT NULL,
  error         TEXT,
  created_at    REAL NOT NULL,
  updated_at    REAL NOT NULL
);
CREATE INDEX ledger_order ON ledger (order_id, created_at);
CREATE INDEX ledger_pending ON ledger (status, updated_at);

-- Every transition of an order, for the timeline and for audits.
CREATE TABLE order_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id    TEXT NOT NULL REFERENCES orders (id),
  at          REAL NOT NULL,
  from_status TEXT,
  to_status   TEXT NOT NULL,
  actor       TEXT NOT NULL,                              -- a user id, 'stripe', 'cron' or 'twitch'
  detail      TEXT
);
CREATE INDEX order_events_order ON order_events (order_id, at);

-- Webhook events already applied (Stripe and Twitch), written in the same batch as their effects.
CREATE TABLE processed_events (
  source      TEXT NOT NULL CHECK (source IN ('stripe', 'twitch')),
  event_id    TEXT NOT NULL,
  event_type  TEXT NOT NULL,
  received_at REAL NOT NULL,
  PRIMARY KEY (source, event_id)
);

-- Builders vouching for buyers: once per pair.
CREATE TABLE vouches (
  builder_id  TEXT NOT NULL REFERENCES builders (discord_id),
  buyer_id    TEXT NOT NULL REFERENCES users (discord_id),
  created_at  REAL NOT NULL,
  PRIMARY KEY (builder_id, buyer_id),
  CHECK (builder_id <> buyer_id)
);

-- Buyer reports to HQ (never shown to the builder).
CREATE TABLE reports (
  id             TEXT PRIMARY KEY,
  order_id       TEXT NOT NULL REFERENCES orders (id),
  reporter_id    TEXT NOT NULL REFERENCES users (discord_id),
  reason         TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  hq_message_id  TEXT,
  resolution     TEXT,
  resolved_by    TEXT,
  created_at     REAL NOT NULL,
  resolved_at    REAL
);
CREATE INDEX reports_order ON reports (order_id, status);

-- What admins did (approvals, bans, waivers, refunds), for accountability.
CREATE TABLE admin_actions (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  admin_id   TEXT NOT NULL,
  action     TEXT NOT NULL,
  subject    TEXT NOT NULL,
  detail     TEXT,
  at         REAL NOT NULL
);

-- Side effects (Discord DMs, posts, embed edits, role changes) written with the state change
-- that causes them, delivered at once and retried by cron with backoff until they succeed.
-- A job is rendered from D1 when delivered, so an embed edit always shows the current stock.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  dedupe_key      TEXT NOT NULL UNIQUE,                  -- from ids we own: a retry never doubles
  job             TEXT NOT NULL,                         -- JSON, src/outbox.rs `Job`
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at REAL NOT NULL,
  last_error      TEXT,
  created_at      REAL NOT NULL,
  updated_at      REAL NOT NULL,
  rearmed         INTEGER NOT NULL DEFAULT 0            -- coalesced jobs (embed:{listing}): re-arms so far
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Twitch OAuth states: signed, and single-use (deleted when the callback redeems them).
CREATE TABLE oauth_states (
  nonce       TEXT PRIMARY KEY,
  discord_id  TEXT NOT NULL,
  expires_at  REAL NOT NULL
);

-- LIVE roles given to a builder going live, taken back when the stream ends or after 12 hours.
CREATE TABLE live_roles (
  builder_id  TEXT NOT NULL REFERENCES users (discord_id),
  guild_id    TEXT NOT NULL,
  role_id     TEXT NOT NULL,
  given_at    REAL NOT NULL,
  PRIMARY KEY (builder_id, guild_id, role_id)
);

-- The line for a sold-out drop: one place per buyer. A unit that comes back is offered to the
-- first 'waiting' entry as a hold of its own ('offered', hold_id), not to whoever re-clicks
-- fastest: while anyone waits, Buy takes no free unit for a buyer further back.
CREATE TABLE waitlist (
  listing_id  TEXT NOT NULL REFERENCES listings (id),
  buyer_id    TEXT NOT NULL REFERENCES users (discord_id),
  status      TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'offered')),
  hold_id     TEXT,                                   -- the hold offered ('offered')
  joined_at   REAL NOT NULL,                          -- the place in line
  updated_at  REAL NOT NULL,
  PRIMARY KEY (listing_id, buyer_id),
  CHECK ((status = 'offered') = (hold_id IS NOT NULL))
);
CREATE INDEX waitlist_line ON waitlist (listing_id, status, joined_at);

-- One entry per Discord account per raffle; drawn into the waitlist in the seed's order.
CREATE TABLE raffle_entries (
  listing_id  TEXT NOT NULL REFERENCES listings (id),
  buyer_id    TEXT NOT NULL REFERENCES users (discord_id),
  entered_at  REAL NOT NULL,
  PRIMARY KEY (listing_id, buyer_id)
);

-- Sign-ins on the site (Discord OAuth): one row per session, so sign-out or HQ ends it at
-- once. The cookie carries the session id; only its SHA-256 is kept here.
CREATE TABLE sessions (
  id_hash     TEXT PRIMARY KEY,
  discord_id  TEXT NOT NULL REFERENCES users (discord_id),
  created_at  REAL NOT NULL,
  expires_at  REAL NOT NULL,
  revoked_at  REAL
);
CREATE INDEX sessions_by_user ON sessions (discord_id);
