//! The SQL of raffle drops (issue 11.3): entering, the draw, and its public record. The draw
//! itself is domain::raffle; its result is written as the drop's line (store::waitlist), so
//! the winners' offers, their DMs and an unpaid winner's unit passing on are the waitlist's.

use super::buying::{seller_can_sell, TIER_SQL};
use super::outbox::{refresh_embed_if, Check, Table, When};
use super::{num, upsert_user, Batch, Counted, ReturnedId, StoreError};
pub use crate::domain::raffle::EntryFacts;
use wasm_bindgen::JsValue;
use worker::D1Database;

/// One Enter click.
pub struct Entry<'a> {
    pub listing: &'a str,
    pub buyer: &'a str,
    pub username: &'a str,
    /// When the buyer's Discord account was created (domain::raffle), for the age gate.
    pub account_created_ms: f64,
    /// The clicker's roles in the drop's server, as a JSON array of ids (the role gate);
    /// None where Discord did not say (the web, a DM).
    pub roles: Option<String>,
    pub now_ms: f64,
}

/// ONE round trip: an entry if the raffle is open and the buyer may enter (live drop, its
/// seller may sell, released, not the seller, not banned, old enough, holding the role and
/// the tier the builder asked for), one per account (the
/// primary key); the embed re-armed (it shows the count); and the facts that explain it.
pub async fn enter(db: &D1Database, e: &Entry<'_>) -> Result<EntryFacts, StoreError> {
    let now = num(e.now_ms);
    let mut batch = Batch::new();
    batch.add(upsert_user(db, e.buyer, e.username, &now)?);
    batch.add(
        db.prepare(format!(
            "INSERT INTO raffle_entries (listing_id, buyer_id, entered_at)
             SELECT l.id, u.discord_id, ?3 FROM listings l, users u
             WHERE l.id = ?1 AND u.discord_id = ?2 AND l.status = 'live' AND u.is_banned = 0
               AND l.seller_id <> ?2 AND {}
               AND l.raffle_closes_at > ?3 AND l.raffle_drawn_at IS NULL
               AND (l.release_at IS NULL OR l.release_at <= ?3)
               AND (l.raffle_min_age_days IS NULL OR ?4 <= ?3 - l.raffle_min_age_days * 86400000.0)
               AND (l.raffle_role_id IS NULL OR EXISTS (SELECT 1 FROM json_each(?5) r WHERE r.value = l.raffle_role_id))
               AND (l.raffle_min_tier IS NULL OR (CASE ({TIER_SQL}) WHEN 'vip' THEN 2 WHEN 'member' THEN 1 ELSE 0 END) >= (CASE l.raffle_min_tier WHEN 'vip' THEN 2 ELSE 1 END))
             ON CONFLICT DO NOTHING",
            seller_can_sell!(),
        ))
        .bind(&[
            e.listing.into(),
            e.buyer.into(),
            now.clone(),
            num(e.account_created_ms),
            roles(e),
        ])?,
    );
    batch.add(refresh_embed_if(
        db,
        e.listing,
        &When::Always,
        e.listing,
        e.now_ms,
    )?);
    let facts = batch.read::<EntryFacts>(
        db.prepare(format!(
            "SELECT u.is_banned AS banned, l.status, l.seller_id, {} AS seller_ok, l.release_at,
               l.raffle_closes_at AS closes_at, l.raffle_drawn_at AS drawn_at,
               l.raffle_min_age_days AS min_age_days, l.raffle_commitment AS commitment,
               l.raffle_role_id AS role_id, l.raffle_min_tier AS min_tier, {TIER_SQL} AS tier,
               CASE WHEN ?3 IS NULL THEN NULL
                 ELSE EXISTS (SELECT 1 FROM json_each(?3) r WHERE r.value = l.raffle_role_id) END AS has_role,
               EXISTS (SELECT 1 FROM raffle_entries e WHERE e.listing_id = ?1 AND e.buyer_id = ?2) AS entered,
               (SELECT COUNT(*) FROM raffle_entries e WHERE e.listing_id = ?1) AS entries
             FROM users u LEFT JOIN listings l ON l.id = ?1 WHERE u.discord_id = ?2",
            seller_can_sell!(),
        ))
        .bind(&[e.listing.into(), e.buyer.into(), roles(e)])?,
    );
    batch
        .run(db)
        .await?
        .first(&facts)?
        .ok_or_else(|| StoreError::Unexpected("buyer row missing after upsert".to_owned()))
}

/// The clicker's roles bound as JSON text (NULL: unknown; json_each(NULL) has no rows, so
/// a role gate refuses).
fn roles(e: &Entry<'_>) -> JsValue {
    e.roles.as_deref().map_or(JsValue::NULL, JsValue::from)
}

/// A raffle whose entries have closed and which has not been drawn.
pub struct Due {
    pub listing: String,
    pub seed: String,
}

/// Raffles due for their draw (read as "id seed": neither has a space; a row type the module
/// already decodes).
pub async fn due(db: &D1Database, now_ms: f64, limit: u32) -> Result<Vec<Due>, StoreError> {
    let rows = db
        .prepare(
            "SELECT id || ' ' || raffle_seed AS id FROM listings
             WHERE raffle_drawn_at IS NULL AND raffle_closes_at <= ?1 AND raffle_seed IS NOT NULL
             ORDER BY raffle_closes_at LIMIT ?2",
        )
        .bind(&[num(now_ms), JsValue::from(limit)])?
        .all()
        .counted()
        .await?
        .results::<ReturnedId>()?;
    Ok(rows
        .into_iter()
        .filter_map(ReturnedId::pair)
        .map(|(listing, seed)| Due { listing, seed })
        .collect())
}

/// A raffle's entries (Discord ids), in no particular order.
pub async fn entries(db: &D1Database, listing: &str) -> Result<Vec<String>, StoreError> {
    Ok(db
        .prepare("SELECT buyer_id AS id FROM raffle_entries WHERE listing_id = ?1")
        .bind(&[listing.into()])?
        .all()
        .counted()
        .await?
        .results::<ReturnedId>()?
        .into_iter()
        .map(|row| row.id)
        .collect())
}

/// ONE batch, exactly once (the first statement claims the draw). `keyed` is a JSON array of
/// `[key, discord_id]` (domain::raffle::keyed): SQL sorts it, so the module carries no sort of
/// its own. The drawn entries become the drop's line in that order (`joined_at` just before
/// the draw, one millisecond apart: nobody joins a raffle's line before its draw, and everyone
/// who joins after it comes after every entry), the order is kept as published
/// (`raffle_draw`), and the embed is re-armed. The cron's waitlist step, right after, offers
/// the units to the first in line: the winners.
pub async fn record_draw(
    db: &D1Database,
    listing: &str,
    keyed: &str,
    entries: usize,
    now_ms: f64,
) -> Result<(), StoreError> {
    let now = num(now_ms);
    let drawn_now = When::row(Table::Listings, vec![Check::Now("raffle_drawn_at")]);
    let sorted = "SELECT json_extract(j.value, '$[1]') AS id, json_extract(j.value, '$[0]') AS k
                  FROM json_each(?3) j ORDER BY k, id";
    let statements = vec![
        db.prepare(format!(
            "UPDATE listings SET raffle_drawn_at = ?2, updated_at = ?2,
               raffle_draw = (SELECT json_group_array(id) FROM ({sorted}))
             WHERE id = ?1 AND raffle_drawn_at IS NULL"
        ))
        .bind(&[listing.into(), now.clone(), keyed.into()])?,
        db.prepare(format!(
            "INSERT INTO waitlist (listing_id, buyer_id, status, joined_at, updated_at)
             SELECT ?1, s.id, 'waiting', ?2 - ?4 + ROW_NUMBER() OVER (ORDER BY s.k, s.id) - 1, ?2
             FROM ({sorted}) s
             WHERE EXISTS (SELECT 1 FROM listings WHERE id = ?1 AND raffle_drawn_at = ?2)
             ON CONFLICT (listing_id, buyer_id) DO NOTHING"
        ))
        .bind(&[listing.into(), now, keyed.into(), num(entries as f64)])?,
        refresh_embed_if(db, listing, &drawn_now, listing, now_ms)?,
    ];
    Batch::of(statements).run(db).await?;
    Ok(())
}

/// A raffle's public record as JSON, built by SQL (what dev/verify-draw.mjs checks): the
/// commitment (public since the drop was posted), the seed and the drawn order once drawn,
/// every entry by Discord id, and how many units the first in the order won. None: not a
/// raffle. (Built in SQL and read as one text: no JSON writer for it in the module.)
pub async fn draw_record(db: &D1Database, listing: &str) -> Result<Option<String>, StoreError> {
    let row = db
        .prepare(
            "SELECT json_object(
               'listing', l.id, 'units', l.quantity, 'closes_at', l.raffle_closes_at,
               'drawn_at', l.raffle_drawn_at, 'commitment', l.raffle_commitment,
               'seed', CASE WHEN l.raffle_drawn_at IS NOT NULL THEN l.raffle_seed END,
               'rule', 'order = entries sorted by SHA-256(seed || \":\" || discord_id) as hex, ties by id; commitment = SHA-256(seed)',
               'entries', (SELECT json_group_array(buyer_id) FROM (SELECT buyer_id FROM raffle_entries
                           WHERE listing_id = l.id ORDER BY length(buyer_id), buyer_id)),
               'drawn', json(COALESCE(l.raffle_draw, '[]'))) AS id
             FROM listings l WHERE l.id = ?1 AND l.raffle_commitment IS NOT NULL",
        )
        .bind(&[listing.into()])?
        .first::<ReturnedId>(None)
        .counted()
        .await?;
    Ok(row.map(|r| r.id))
}
