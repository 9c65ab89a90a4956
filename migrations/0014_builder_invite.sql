-- A builder's Discord server invite (issue 12.2), set from the dashboard and shown on their
-- drops' pages: normalised to https://discord.gg/{code}, or NULL.
ALTER TABLE builders ADD COLUMN invite_url TEXT;
