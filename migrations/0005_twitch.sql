-- Twitch. An OAuth `state` is signed AND single-use: the row is deleted when the callback
-- redeems it (one atomic DELETE … RETURNING), so a replayed callback finds nothing.
CREATE TABLE oauth_states (
  nonce       TEXT PRIMARY KEY,
  discord_id  TEXT NOT NULL,
  expires_at  REAL NOT NULL
);

-- The LIVE roles C500 gave a builder going live, to take back when the stream ends
-- (EventSub stream.offline) or after 12 hours (cron).
CREATE TABLE live_roles (
  builder_id  TEXT NOT NULL REFERENCES users (discord_id),
  guild_id    TEXT NOT NULL,
  role_id     TEXT NOT NULL,
  given_at    REAL NOT NULL,
  PRIMARY KEY (builder_id, guild_id, role_id)
);
