-- A raffle's two more entry gates (issue 11.3), beside the account age: a role of the server
-- the drop was posted in (its id; checked against the roles Discord sends with the click, so
-- such a raffle is entered from Discord), and the buyer's tier (domain::trust), at least.
ALTER TABLE listings ADD COLUMN raffle_role_id TEXT;
ALTER TABLE listings ADD COLUMN raffle_min_tier TEXT CHECK (raffle_min_tier IS NULL OR raffle_min_tier IN ('member', 'vip'));
