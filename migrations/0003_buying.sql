-- Buying. A hold remembers the price it was taken at: the buyer pays what they clicked,
-- even if the builder edits the drop while they are at Checkout (and a retried Checkout
-- request sends exactly the same parameters, so Stripe's idempotency replays it).
ALTER TABLE reservations ADD COLUMN item_cents INTEGER NOT NULL DEFAULT 0 CHECK (item_cents >= 0);
ALTER TABLE reservations ADD COLUMN shipping_cents INTEGER NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0);

-- The outbox holds jobs, not raw HTTP calls: a job is rendered from D1 when it is delivered,
-- so an embed edit always shows the current stock and a retry never sends a stale body.
-- (Nothing was ever written to the first outbox table.)
DROP TABLE outbox;
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  dedupe_key      TEXT NOT NULL UNIQUE,                  -- from ids we own: a retry never doubles
  job             TEXT NOT NULL,                         -- JSON, src/outbox.rs `Job`
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at REAL NOT NULL,
  last_error      TEXT,
  created_at      REAL NOT NULL,
  updated_at      REAL NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX orders_payment_intent ON orders (payment_intent_id);
