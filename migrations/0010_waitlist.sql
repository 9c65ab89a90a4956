-- Hot drops (issue 11.2 and 11.4).
-- A drop may limit how many units one buyer takes (NULL: no limit). Counted over the buyer's
-- orders that are not cancelled or refunded, plus their open hold.
ALTER TABLE listings ADD COLUMN per_buyer INTEGER CHECK (per_buyer IS NULL OR per_buyer BETWEEN 1 AND 99);

-- The line for a sold-out drop: one place per buyer. A unit that comes back (a hold lapsed,
-- a checkout expired, a refund before shipping) is offered to the first 'waiting' entry as a
-- hold of its own ('offered', hold_id), never to whoever re-clicks fastest: while anyone
-- waits, Buy takes no free unit for a buyer further back (store::buying::reserve).
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
