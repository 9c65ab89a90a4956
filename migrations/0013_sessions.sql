-- Sign in with Discord on the site (issue 12.1). One row per sign-in, kept server-side so
-- signing out (or HQ) ends it at once. The cookie carries the session id; D1 keeps only its
-- SHA-256, so reading this table signs nobody in.
CREATE TABLE sessions (
  id_hash     TEXT PRIMARY KEY,
  discord_id  TEXT NOT NULL REFERENCES users(discord_id),
  created_at  REAL NOT NULL,
  expires_at  REAL NOT NULL,
  revoked_at  REAL
);
CREATE INDEX sessions_by_user ON sessions (discord_id);
