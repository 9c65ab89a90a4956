//! The SQL of trust: a buyer's passport (their tier and what it rests on) and vouches.

use super::buying::TIER_SQL;
use super::{upsert_user, Batch, Counted, StoreError};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

/// What a passport shows, all read from D1 (the tier is computed, never stored).
#[derive(Debug, Clone, Deserialize)]
pub struct Passport {
    pub tier: String,
    pub completed_orders: i64,
    pub lost_disputes: i64,
    pub vouches: i64,
    pub twitch_login: Option<String>,
    pub is_banned: i64,
    pub is_builder: i64,
    pub created_at: f64,
}

/// None: C500 has never seen this user.
pub async fn passport(db: &D1Database, user: &str) -> Result<Option<Passport>, StoreError> {
    Ok(db
        .prepare(format!(
            "SELECT {TIER_SQL} AS tier, u.completed_orders, u.lost_disputes,
               (SELECT COUNT(*) FROM vouches v WHERE v.buyer_id = u.discord_id) AS vouches,
               u.twitch_login, u.is_banned,
               EXISTS (SELECT 1 FROM builders b WHERE b.discord_id = u.discord_id AND b.approved = 1) AS is_builder,
               u.created_at
             FROM users u WHERE u.discord_id = ?1"
        ))
        .bind(&[user.into()])?
        .first::<Passport>(None)
        .counted()
        .await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vouched {
    Now,
    /// This builder had vouched for them before (once per pair).
    Already,
    /// Only certified builders vouch.
    NotABuilder,
}

/// A builder vouches for a buyer: once per pair, never for themselves (the schema refuses it).
pub async fn vouch(
    db: &D1Database,
    builder: &str,
    buyer: &str,
    buyer_name: &str,
    now_ms: f64,
) -> Result<Vouched, StoreError> {
    let now = JsValue::from_f64(now_ms);
    let user = upsert_user(db, buyer, buyer_name, &now)?;
    let insert = db
        .prepare(
            "INSERT INTO vouches (builder_id, buyer_id, created_at)
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM builders WHERE discord_id = ?1 AND approved = 1)
             ON CONFLICT (builder_id, buyer_id) DO NOTHING RETURNING buyer_id",
        )
        .bind(&[builder.into(), buyer.into(), now])?;
    let is_builder = db
        .prepare("SELECT 1 AS ok FROM builders WHERE discord_id = ?1 AND approved = 1")
        .bind(&[builder.into()])?;
    let mut batch = Batch::new();
    batch.add(user);
    let insert_rows = batch.read::<serde_json::Value>(insert);
    let is_builder_rows = batch.read::<serde_json::Value>(is_builder);
    let done = batch.run(db).await?;
    Ok(if done.changed(&insert_rows)? {
        Vouched::Now
    } else if done.rows(&is_builder_rows)?.is_empty() {
        Vouched::NotABuilder
    } else {
        Vouched::Already
    })
}
