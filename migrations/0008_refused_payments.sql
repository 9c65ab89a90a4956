-- A payment C500 could not have asked for (another currency, or an amount other than the
-- held unit's price plus shipping) never becomes an order: it is recorded as a cancelled one
-- (so the escrow machine refunds exactly what was charged) with the reason, and HQ is told.
ALTER TABLE orders ADD COLUMN currency TEXT NOT NULL DEFAULT 'usd';
ALTER TABLE orders ADD COLUMN refused TEXT CHECK (refused IS NULL OR refused IN ('amount', 'currency'));
