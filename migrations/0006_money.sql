-- Money safety: the escrow becomes a state machine with claim states (src/domain/escrow.rs),
-- and every Stripe money object gets a ledger row, written in the batch that changes the order.

-- The escrow column gains its claim states. SQLite can't change a CHECK in place: the
-- column is rebuilt (add, copy, drop, rename), which keeps every row and reference.
ALTER TABLE orders ADD COLUMN escrow_state TEXT NOT NULL DEFAULT 'held'
  CHECK (escrow_state IN ('held', 'releasing', 'released', 'refunding', 'reversing', 'refunded', 'reversed', 'owed'));
UPDATE orders SET escrow_state = escrow;
ALTER TABLE orders DROP COLUMN escrow;
ALTER TABLE orders RENAME COLUMN escrow_state TO escrow;
-- Bumped by every change to the order's money: a claim is a compare-and-set on it.
ALTER TABLE orders ADD COLUMN money_seq INTEGER NOT NULL DEFAULT 0;
-- 1: a money fact was recorded and the escrow state not yet settled from it (cron finishes).
ALTER TABLE orders ADD COLUMN money_dirty INTEGER NOT NULL DEFAULT 0 CHECK (money_dirty IN (0, 1));
-- HQ took this order's loss on C500 (/c500 admin absorb): no reversal is asked of the builder.
ALTER TABLE orders ADD COLUMN loss_absorbed_by TEXT;
CREATE INDEX orders_escrow ON orders (escrow, money_dirty);

-- One row per Stripe money object. Ours are claimed `pending` before Stripe is called, with
-- the Idempotency-Key `c500-{id}`; Stripe's answer settles them. Refunds and disputes that
-- Stripe reports (the Dashboard, a bank) are rows `stripe-{id}`.
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

-- What the ledger knows of orders paid before it existed.
INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
  SELECT 'charge-' || id, id, 'charge', 'in', gross_cents, 'succeeded', payment_intent_id, 'stripe', paid_at, paid_at
  FROM orders WHERE payment_intent_id IS NOT NULL;
INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
  SELECT 'transfer-' || id, id, 'transfer', 'out', payout_cents, 'succeeded', transfer_id, 'c500', updated_at, updated_at
  FROM orders WHERE transfer_id IS NOT NULL;
INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
  SELECT 'reversal-' || id, id, 'reversal', 'in', payout_cents, 'succeeded', NULL, 'c500', updated_at, updated_at
  FROM orders WHERE escrow = 'reversed';
INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
  SELECT 'refund-' || id, id, 'refund', 'out', gross_cents, 'succeeded', refund_id, 'c500', updated_at, updated_at
  FROM orders WHERE refund_id IS NOT NULL;
