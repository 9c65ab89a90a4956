-- Raffle drops (issue 11.3): "Enter" instead of "Buy" until `raffle_closes_at`; then the cron
-- draws (domain::raffle): the entries, in the order the seed gives, become the drop's line
-- (waitlist), so the first `quantity` win and an unpaid winner's unit passes to the next drawn.
-- `raffle_commitment` = SHA-256(seed) is public from the start; the seed only once drawn.
ALTER TABLE listings ADD COLUMN raffle_closes_at REAL;
ALTER TABLE listings ADD COLUMN raffle_min_age_days INTEGER CHECK (raffle_min_age_days IS NULL OR raffle_min_age_days BETWEEN 1 AND 365);
ALTER TABLE listings ADD COLUMN raffle_seed TEXT;
ALTER TABLE listings ADD COLUMN raffle_commitment TEXT;
ALTER TABLE listings ADD COLUMN raffle_drawn_at REAL;
-- The draw's result as published: the entries' Discord ids in drawn order (a JSON array).
ALTER TABLE listings ADD COLUMN raffle_draw TEXT;

-- One entry per Discord account per raffle.
CREATE TABLE raffle_entries (
  listing_id  TEXT NOT NULL REFERENCES listings (id),
  buyer_id    TEXT NOT NULL REFERENCES users (discord_id),
  entered_at  REAL NOT NULL,
  PRIMARY KEY (listing_id, buyer_id)
);
