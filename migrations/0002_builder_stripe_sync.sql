-- When the builder's Stripe flags were last synced (ms): an older account.updated event,
-- arriving late or out of order, must not overwrite a newer state.
ALTER TABLE builders ADD COLUMN stripe_synced_at REAL;
