//! Sign-ins on the site (issue 12.1): a session is a row, found by the SHA-256 of its id
//! (domain::session), alive while unexpired, not revoked and its user not banned.

use super::{num, upsert_user, Batch, Counted, StoreError};
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

/// Who a live session belongs to.
#[derive(Debug, Clone, Deserialize)]
pub struct Viewer {
    pub discord_id: String,
    pub username: String,
}

/// What opening a session found.
pub enum Opened {
    Open,
    /// Banned across the Collective: no session was made.
    Banned(String),
}

/// ONE batch: the user (name refreshed), the session unless they are banned, and the ban.
pub async fn open(
    db: &D1Database,
    id_hash: &str,
    viewer: &Viewer,
    now_ms: f64,
    expires_at_ms: f64,
) -> Result<Opened, StoreError> {
    #[derive(Deserialize)]
    struct Ban {
        ban_reason: Option<String>,
    }
    let now = num(now_ms);
    let user = upsert_user(db, &viewer.discord_id, &viewer.username, &now)?;
    let session = db
        .prepare(
            "INSERT INTO sessions (id_hash, discord_id, created_at, expires_at)
             SELECT ?1, ?2, ?3, ?4 FROM users WHERE discord_id = ?2 AND is_banned = 0",
        )
        .bind(&[
            id_hash.into(),
            viewer.discord_id.as_str().into(),
            now,
            num(expires_at_ms),
        ])?;
    let ban = db
        .prepare("SELECT ban_reason FROM users WHERE discord_id = ?1 AND is_banned = 1")
        .bind(&[viewer.discord_id.as_str().into()])?;
    let mut batch = Batch::of(vec![user, session]);
    let ban_rows = batch.read::<Ban>(ban);
    let done = batch.run(db).await?;
    Ok(match done.first(&ban_rows)? {
        Some(ban) => Opened::Banned(ban.ban_reason.unwrap_or_default()),
        None => Opened::Open,
    })
}

/// The question a page asks D1 about a signed cookie: is this session of this account alive?
pub struct Check<'a> {
    pub id_hash: &'a str,
    pub discord_id: &'a str,
    pub now_ms: f64,
}

/// The statement answering `check`: one row, the session's user, if the session is alive
/// (unexpired, not revoked, user not banned). For a page's own batch.
pub(crate) fn alive(db: &D1Database, check: &Check<'_>) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "SELECT u.discord_id, u.username FROM sessions s JOIN users u ON u.discord_id = s.discord_id
             WHERE s.id_hash = ?1 AND s.discord_id = ?2 AND s.revoked_at IS NULL AND s.expires_at > ?3
               AND u.is_banned = 0",
        )
        .bind(&[check.id_hash.into(), check.discord_id.into(), num(check.now_ms)])?)
}

/// The session's user, if the session is alive. One read.
pub async fn viewer(db: &D1Database, check: Check<'_>) -> Result<Option<Viewer>, StoreError> {
    Ok(alive(db, &check)?.first::<Viewer>(None).counted().await?)
}

/// Ends a session (sign out).
pub async fn revoke(db: &D1Database, id_hash: &str, now_ms: f64) -> Result<(), StoreError> {
    db.prepare("UPDATE sessions SET revoked_at = ?2 WHERE id_hash = ?1 AND revoked_at IS NULL")
        .bind(&[id_hash.into(), num(now_ms)])?
        .run()
        .counted()
        .await?;
    Ok(())
}

/// Forgets sessions that ended more than a day ago (daily cron); returns how many.
pub async fn sweep(db: &D1Database, now_ms: f64) -> Result<usize, StoreError> {
    let day_ago = num(now_ms - 24.0 * 3600.0 * 1000.0);
    let result = db
        .prepare("DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at < ?1 RETURNING id_hash")
        .bind(&[day_ago])?
        .all()
        .counted()
        .await?;
    Ok(result.results::<serde_json::Value>()?.len())
}
