//! The SQL of builders: certification, Stripe accounts and their standing, the dashboard.

use super::{upsert_user, Batch, Counted, StoreError};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};
/// A new builder's handle in SQL: `?2`, or `?3` when another builder (`?1` is this one)
/// already has `?2`.
const HANDLE_OR_FALLBACK: &str =
    "CASE WHEN EXISTS (SELECT 1 FROM builders WHERE handle = ?2 AND discord_id <> ?1) THEN ?3 ELSE ?2 END";

/// An HQ admin's approval of a Certified Builder.
#[derive(Debug, Clone)]
pub struct Approval {
    pub builder: String,
    pub username: String,
    /// Preferred shop handle, and the one used when another builder has it.
    pub handle: String,
    pub fallback_handle: String,
    pub guild_tags: String,
    pub admin: String,
}

/// Creates or updates the user and builder rows and records the action: one atomic batch.
/// An existing builder keeps their handle.
pub async fn approve_builder(db: &D1Database, a: &Approval, now_ms: f64) -> Result<(), StoreError> {
    let now = JsValue::from_f64(now_ms);
    let user = upsert_user(db, &a.builder, &a.username, &now)?;
    let builder = db
        .prepare(format!(
            "INSERT INTO builders (discord_id, handle, approved, approved_by, approved_at, guild_tags, created_at, updated_at)
             VALUES (?1, {HANDLE_OR_FALLBACK}, 1, ?4, ?5, ?6, ?5, ?5)
             ON CONFLICT (discord_id) DO UPDATE SET
               approved = 1, approved_by = excluded.approved_by, approved_at = excluded.approved_at,
               guild_tags = excluded.guild_tags, updated_at = excluded.updated_at"
        ))
        .bind(&[
            a.builder.as_str().into(),
            a.handle.as_str().into(),
            a.fallback_handle.as_str().into(),
            a.admin.as_str().into(),
            now.clone(),
            a.guild_tags.as_str().into(),
        ])?;
    let audit = db
        .prepare("INSERT INTO admin_actions (admin_id, action, subject, detail, at) VALUES (?1, 'approve_builder', ?2, ?3, ?4)")
        .bind(&[a.admin.as_str().into(), a.builder.as_str().into(), a.guild_tags.as_str().into(), now])?;
    db.batch(vec![user, builder, audit]).counted().await?;
    Ok(())
}

/// Revokes a builder's certification. `false` when they are not a builder (nothing changes).
pub async fn revoke_builder(
    db: &D1Database,
    builder: &str,
    admin: &str,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let now = JsValue::from_f64(now_ms);
    let revoke = db
        .prepare("UPDATE builders SET approved = 0, updated_at = ?2 WHERE discord_id = ?1 RETURNING discord_id")
        .bind(&[builder.into(), now.clone()])?;
    let audit = db
        .prepare(
            "INSERT INTO admin_actions (admin_id, action, subject, at)
             SELECT ?1, 'revoke_builder', ?2, ?3 WHERE EXISTS (SELECT 1 FROM builders WHERE discord_id = ?2)",
        )
        .bind(&[admin.into(), builder.into(), now])?;
    // A revoked builder's drops go off sale at once: their embeds show as paused.
    let embeds = refresh_seller_embeds(db, "?1", builder, now_ms)?;
    let mut batch = Batch::new();
    let revoke_rows = batch.read::<serde_json::Value>(revoke);
    batch.add(audit);
    batch.add(embeds);
    let done = batch.run(db).await?;
    done.changed(&revoke_rows)
}

/// A builder's Stripe standing as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct BuilderStripe {
    pub stripe_account_id: Option<String>,
    pub approved: i64,
    pub charges_enabled: i64,
    pub payouts_enabled: i64,
    pub details_submitted: i64,
}

/// Makes sure the user has a builder row (not approved unless HQ says so) and returns its
/// Stripe standing. One batch: the upserts, then the read.
pub async fn ensure_builder(
    db: &D1Database,
    discord_id: &str,
    username: &str,
    handle: &str,
    fallback_handle: &str,
    now_ms: f64,
) -> Result<BuilderStripe, StoreError> {
    let now = JsValue::from_f64(now_ms);
    let user = upsert_user(db, discord_id, username, &now)?;
    let builder = db
        .prepare(format!(
            "INSERT INTO builders (discord_id, handle, created_at, updated_at)
             VALUES (?1, {HANDLE_OR_FALLBACK}, ?4, ?4)
             ON CONFLICT (discord_id) DO NOTHING"
        ))
        .bind(&[
            discord_id.into(),
            handle.into(),
            fallback_handle.into(),
            now,
        ])?;
    let read = builder_stripe_statement(db, discord_id)?;
    let mut batch = Batch::new();
    batch.add(user);
    batch.add(builder);
    let read_rows = batch.read::<BuilderStripe>(read);
    let done = batch.run(db).await?;
    done.first(&read_rows)?
        .ok_or_else(|| StoreError::Unexpected("builder row missing after upsert".to_owned()))
}

/// Records a Stripe account's flags as Stripe reported them just now (a fresh read, never
/// an event's copy: events come in any order, and their clock is Stripe's, not ours).
pub fn sync_account_statement(
    db: &D1Database,
    account: &crate::stripe::account::Account,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    let flag = |b: bool| JsValue::from(u8::from(b));
    Ok(db
        .prepare(
            "UPDATE builders SET charges_enabled = ?2, payouts_enabled = ?3, details_submitted = ?4,
                    stripe_synced_at = ?5, updated_at = ?5
             WHERE stripe_account_id = ?1",
        )
        .bind(&[
            account.id.as_str().into(),
            flag(account.charges_enabled),
            flag(account.payouts_enabled),
            flag(account.details_submitted),
            JsValue::from_f64(now_ms),
        ])?)
}

/// The account's flags, and its drops' embeds refreshed (a disabled account's drops show
/// as paused at once; an enabled one's are back on sale).
pub fn sync_account_statements(
    db: &D1Database,
    account: &crate::stripe::account::Account,
    now_ms: f64,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    Ok(vec![
        sync_account_statement(db, account, now_ms)?,
        refresh_seller_embeds(
            db,
            "(SELECT discord_id FROM builders WHERE stripe_account_id = ?1)",
            account.id.as_str(),
            now_ms,
        )?,
    ])
}

/// Queues an embed refresh for each of a seller's live drops; `seller_sql` names the seller
/// from `?1` (`subject`).
pub fn refresh_seller_embeds(
    db: &D1Database,
    seller_sql: &str,
    subject: &str,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(format!(
            "INSERT INTO outbox (dedupe_key, job, next_attempt_at, created_at, updated_at)
             SELECT 'embed:' || l.id, json_object('refresh_embed', json_object('listing', l.id)), ?2, ?2, ?2
             FROM listings l WHERE l.seller_id = {seller_sql} AND l.status = 'live' AND l.message_id IS NOT NULL
             ON CONFLICT (dedupe_key) {}",
            super::outbox::embed_rearm_sql()
        ))
        .bind(&[subject.into(), JsValue::from_f64(now_ms)])?)
}

/// Records a freshly created account on the builder (never replacing one) with its flags.
pub async fn attach_account(
    db: &D1Database,
    discord_id: &str,
    account: &crate::stripe::account::Account,
    now_ms: f64,
) -> Result<(), StoreError> {
    let attach = db
        .prepare("UPDATE builders SET stripe_account_id = ?2 WHERE discord_id = ?1 AND stripe_account_id IS NULL")
        .bind(&[discord_id.into(), account.id.as_str().into()])?;
    db.batch(vec![attach, sync_account_statement(db, account, now_ms)?])
        .counted()
        .await?;
    Ok(())
}

/// Records an account's flags read from Stripe just now.
pub async fn sync_account(
    db: &D1Database,
    account: &crate::stripe::account::Account,
    now_ms: f64,
) -> Result<(), StoreError> {
    sync_account_statement(db, account, now_ms)?
        .run()
        .counted()
        .await?;
    Ok(())
}

fn builder_stripe_statement(
    db: &D1Database,
    discord_id: &str,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "SELECT stripe_account_id, approved, charges_enabled, payouts_enabled, details_submitted
             FROM builders WHERE discord_id = ?1",
        )
        .bind(&[discord_id.into()])?)
}

/// A builder's standing, for the checks before they sell (None: not a builder at all).
pub async fn builder_stripe(
    db: &D1Database,
    discord_id: &str,
) -> Result<Option<BuilderStripe>, StoreError> {
    Ok(builder_stripe_statement(db, discord_id)?
        .first::<BuilderStripe>(None)
        .counted()
        .await?)
}

/// What posting a drop needs: the seller's standing and the server's shop channel (one batch).
pub async fn drop_context(
    db: &D1Database,
    seller: &str,
    guild_id: Option<&str>,
) -> Result<(Option<BuilderStripe>, Option<String>), StoreError> {
    #[derive(Deserialize)]
    struct Shop {
        shop_channel_id: Option<String>,
    }
    let shop = db
        .prepare("SELECT shop_channel_id FROM guild_settings WHERE guild_id = ?1")
        .bind(&[guild_id.map_or(JsValue::NULL, JsValue::from)])?;
    let mut batch = Batch::new();
    let standing = batch.read::<BuilderStripe>(builder_stripe_statement(db, seller)?);
    let shop = batch.read::<Shop>(shop);
    let done = batch.run(db).await?;
    let (standing, shop_channel) = (
        done.first(&standing)?,
        done.first(&shop)?.and_then(|s| s.shop_channel_id),
    );
    Ok((standing, shop_channel))
}

/// A builder's shop at a glance, exact from D1 (payouts are after C500's fee).
#[derive(Debug, Deserialize)]
pub struct Dashboard {
    pub active_listings: i64,
    pub waiting_orders: i64,
    pub held_cents: i64,
    /// Transfers − reversals, from the ledger.
    pub released_cents: i64,
    /// What the builder owes C500 (refused reversals), filled in by the handler.
    #[serde(default)]
    pub owed_cents: i64,
}

/// None: not a builder. One statement, one round trip.
pub async fn dashboard(db: &D1Database, seller: &str) -> Result<Option<Dashboard>, StoreError> {
    Ok(db
        .prepare(
            "SELECT
               (SELECT COUNT(*) FROM listings WHERE seller_id = ?1 AND status = 'live' AND stock > 0) AS active_listings,
               (SELECT COUNT(*) FROM orders WHERE seller_id = ?1 AND status IN ('paid', 'building')) AS waiting_orders,
               (SELECT COALESCE(SUM(payout_cents), 0) FROM orders WHERE seller_id = ?1 AND escrow = 'held'
                  AND status <> 'cancelled') AS held_cents,
               (SELECT COALESCE(SUM(CASE l.kind WHEN 'transfer' THEN l.amount_cents ELSE -l.amount_cents END), 0)
                  FROM ledger l JOIN orders o ON o.id = l.order_id
                  WHERE o.seller_id = ?1 AND l.status = 'succeeded' AND l.kind IN ('transfer', 'reversal')) AS released_cents
             FROM builders WHERE discord_id = ?1",
        )
        .bind(&[seller.into()])?
        .first::<Dashboard>(None)
        .counted().await?)
}
