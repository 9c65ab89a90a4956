//! The SQL of drops: saving and editing them, and the views the pages show.

use super::buying::{self, SELLER_CAN_SELL};
use super::outbox::{self, refresh_embed_if, Check, Table, When};
use super::{cents, num, Batch, Counted, StoreError};
use crate::domain::browse::Browse;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// Live, released drops with stock, newest first (the sitemap's list).
pub async fn live_drops(
    db: &D1Database,
    now_ms: f64,
    limit: u32,
) -> Result<Vec<DropPage>, StoreError> {
    on_sale(db, now_ms, &Browse::default(), limit, 0, false).await
}

/// One page of the shop (domain::browse), filtered by type, guild badge and title words. One
/// more row than a page is read, so the caller knows whether there is a next page.
pub async fn browse(db: &D1Database, now_ms: f64, b: &Browse) -> Result<Vec<DropPage>, StoreError> {
    on_sale(db, now_ms, b, Browse::PER_PAGE + 1, b.offset(), true).await
}

/// What is on sale: live, released drops whose seller may sell, newest first, with `b`'s
/// filters (none for the default); with `sold_out`, drops sold out in the last 30 days after
/// them (their waitlist is open), so a visitor finds the drop a friend shared.
async fn on_sale(
    db: &D1Database,
    now_ms: f64,
    b: &Browse,
    limit: u32,
    offset: u32,
    sold_out: bool,
) -> Result<Vec<DropPage>, StoreError> {
    let text = |s: Option<String>| s.map_or(JsValue::NULL, JsValue::from);
    let rows = db
        .prepare(format!(
            "SELECT {DROP_PAGE_COLUMNS} FROM listings l
             JOIN builders b ON b.discord_id = l.seller_id JOIN users u ON u.discord_id = l.seller_id
             WHERE l.status = 'live' AND (l.stock > 0 OR (?7 AND l.updated_at >= ?1 - 2592000000))
               AND (l.release_at IS NULL OR l.release_at <= ?1)
               AND {SELLER_CAN_SELL}
               AND (?3 IS NULL OR l.kind = ?3) AND (?4 IS NULL OR l.guild_tag = ?4)
               AND (?5 IS NULL OR l.title LIKE ?5 ESCAPE '\\')
             ORDER BY l.stock > 0 DESC, l.created_at DESC
             LIMIT ?2 OFFSET ?6"
        ))
        .bind(&[
            JsValue::from_f64(now_ms),
            JsValue::from(limit),
            text(b.kind.map(|k| k.name().to_owned())),
            text(b.guild.map(|g| g.name().to_owned())),
            text(b.like_pattern()),
            JsValue::from(offset),
            JsValue::from(i32::from(sold_out)),
        ])?
        .all()
        .counted()
        .await?;
    Ok(rows.results()?)
}

/// A new drop, validated (domain::listing) before it gets here.
pub struct NewListing<'a> {
    pub id: &'a str,
    pub seller_id: &'a str,
    pub guild_id: Option<&'a str>,
    pub channel_id: &'a str,
    pub options: &'a crate::domain::listing::DropOptions,
    pub form: &'a crate::domain::listing::DropForm,
    /// An uploaded photo's type (the photo itself is in KV).
    pub photo_type: Option<&'a str>,
    pub raffle: Option<&'a NewRaffle>,
}

/// A raffle drop's close and its seed, with the seed's public commitment (domain::raffle).
pub struct NewRaffle {
    pub closes_at_ms: f64,
    pub seed: String,
    pub commitment: String,
}

pub async fn insert_listing(
    db: &D1Database,
    l: &NewListing<'_>,
    now_ms: f64,
) -> Result<(), StoreError> {
    let text = |s: Option<&str>| s.map_or(JsValue::NULL, JsValue::from);
    db.prepare(
        "INSERT INTO listings (id, seller_id, guild_id, channel_id, kind, title, description, specs, image_url,
           guild_tag, price_cents, shipping_cents, lead_time_weeks, quantity, stock, status, release_at, created_at, updated_at, photo_type,
           per_buyer, raffle_closes_at, raffle_min_age_days, raffle_seed, raffle_commitment, raffle_role_id, raffle_min_tier)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, 'live', ?15, ?16, ?16, ?17, ?18,
           ?19, ?20, ?21, ?22, ?23, ?24)",
    )
    .bind(&[
        l.id.into(),
        l.seller_id.into(),
        text(l.guild_id),
        l.channel_id.into(),
        l.options.kind.name().into(),
        l.form.title.as_str().into(),
        l.form.description.as_str().into(),
        text(l.form.specs.as_deref()),
        text(l.form.image_url.as_deref()),
        l.options.guild.name().into(),
        JsValue::from_f64(l.form.price.get() as f64),
        JsValue::from_f64(l.options.shipping.get() as f64),
        l.options.lead_time_weeks.map_or(JsValue::NULL, JsValue::from),
        JsValue::from(l.options.quantity),
        l.options.release_at.map_or(JsValue::NULL, |ms| JsValue::from_f64(ms as f64)),
        JsValue::from_f64(now_ms),
        text(l.photo_type),
        l.options.per_buyer_limit().map_or(JsValue::NULL, JsValue::from),
        l.raffle.map_or(JsValue::NULL, |r| JsValue::from_f64(r.closes_at_ms)),
        l.options.min_age_days.map_or(JsValue::NULL, JsValue::from),
        text(l.raffle.map(|r| r.seed.as_str())),
        text(l.raffle.map(|r| r.commitment.as_str())),
        l.options
            .role_gate
            .map_or(JsValue::NULL, |role| role.to_string().into()),
        text(l.options.min_tier.map(|t| t.name())),
    ])?
    .run()
    .counted().await?;
    Ok(())
}

/// Records where the drop's public embed is, so later changes can edit it.
pub async fn set_listing_message(
    db: &D1Database,
    id: &str,
    message_id: &str,
) -> Result<(), StoreError> {
    db.prepare("UPDATE listings SET message_id = ?2 WHERE id = ?1")
        .bind(&[id.into(), message_id.into()])?
        .run()
        .counted()
        .await?;
    Ok(())
}

/// A builder's own change to their live listing (`/c500 inventory`), with the embed edit
/// queued in the same batch, which also reads the card back: `Ok(card)` when it changed;
/// otherwise why not, from the same read (NotLive: theirs, but off sale; NotYours).
#[derive(Debug)]
pub enum ListingChange {
    Changed(Box<outbox::ListingCard>),
    NotLive,
    NotYours,
}

async fn change_listing(
    db: &D1Database,
    listing: &str,
    seller: &str,
    update: D1PreparedStatement,
    job: D1PreparedStatement,
) -> Result<ListingChange, StoreError> {
    let card = db
        .prepare(format!(
            "{} WHERE l.id = ?1 AND l.seller_id = ?2",
            outbox::LISTING_CARD
        ))
        .bind(&[listing.into(), seller.into()])?;
    let mut batch = Batch::new();
    let update_rows = batch.read::<serde_json::Value>(update);
    batch.add(job);
    let card_rows = batch.read::<outbox::ListingCard>(card);
    let done = batch.run(db).await?;
    let changed = done.changed(&update_rows)?;
    Ok(match done.first(&card_rows)? {
        Some(card) if changed => ListingChange::Changed(Box::new(card)),
        Some(_) => ListingChange::NotLive,
        None => ListingChange::NotYours,
    })
}

/// New price, available stock and (maybe) badge. Units sold or held stay counted:
/// quantity = sold and held + the new available stock.
pub async fn edit_listing(
    db: &D1Database,
    listing: &str,
    seller: &str,
    change: &crate::domain::listing::InventoryEdit,
    now_ms: f64,
) -> Result<ListingChange, StoreError> {
    let update = db
        .prepare(
            "UPDATE listings SET price_cents = ?3, quantity = MAX(1, quantity - stock + ?4), stock = ?4,
               guild_tag = COALESCE(?6, guild_tag), updated_at = ?5
             WHERE id = ?1 AND seller_id = ?2 AND status = 'live' RETURNING id",
        )
        .bind(&[
            listing.into(),
            seller.into(),
            cents(change.price),
            JsValue::from(change.stock),
            num(now_ms),
            change.guild.map_or(JsValue::NULL, |g| g.name().into()),
        ])?;
    let job = refresh_embed_if(
        db,
        listing,
        &When::row(Table::Listings, vec![Check::Now("updated_at")]),
        listing,
        now_ms,
    )?;
    change_listing(db, listing, seller, update, job).await
}

/// The builder takes their own live listing off sale.
pub async fn delist_listing(
    db: &D1Database,
    listing: &str,
    seller: &str,
    now_ms: f64,
) -> Result<ListingChange, StoreError> {
    let update = db
        .prepare(
            "UPDATE listings SET status = 'delisted', updated_at = ?3
             WHERE id = ?1 AND seller_id = ?2 AND status = 'live' RETURNING id",
        )
        .bind(&[listing.into(), seller.into(), num(now_ms)])?;
    let job = refresh_embed_if(
        db,
        listing,
        &When::row(
            Table::Listings,
            vec![Check::Is("status", "delisted"), Check::Now("updated_at")],
        ),
        listing,
        now_ms,
    )?;
    change_listing(db, listing, seller, update, job).await
}

/// Takes a drop off sale whose embed could not be posted (builders use `delist_listing`).
pub async fn delist(db: &D1Database, id: &str, now_ms: f64) -> Result<(), StoreError> {
    db.prepare("UPDATE listings SET status = 'delisted', updated_at = ?2 WHERE id = ?1")
        .bind(&[id.into(), JsValue::from_f64(now_ms)])?
        .run()
        .counted()
        .await?;
    Ok(())
}

/// A drop as the pages show it (landing cards, its own page, its builder's shop).
#[derive(Debug, Deserialize)]
pub struct DropPage {
    pub id: String,
    pub title: String,
    pub description: String,
    pub specs: Option<String>,
    pub kind: crate::domain::listing::Kind,
    pub price_cents: i64,
    pub shipping_cents: i64,
    pub stock: i64,
    pub quantity: i64,
    pub status: crate::domain::listing::ListingStatus,
    pub image_url: Option<String>,
    pub guild_tag: String,
    pub lead_time_weeks: Option<i64>,
    pub release_at: Option<f64>,
    pub guild_id: Option<String>,
    pub channel_id: Option<String>,
    pub message_id: Option<String>,
    pub builder_handle: String,
    pub builder_name: String,
    /// The builder's Discord server invite, when they set one (domain::seller::invite).
    pub builder_invite: Option<String>,
    /// A raffle: when entries close, its commitment, the seed once drawn, the entries.
    pub raffle_closes_at: Option<f64>,
    pub raffle_commitment: Option<String>,
    pub raffle_seed: Option<String>,
    pub raffle_entries: i64,
    /// Who may enter the raffle (domain::raffle::Gates).
    pub raffle_min_age_days: Option<i64>,
    pub raffle_role_id: Option<String>,
    pub raffle_min_tier: Option<String>,
}

/// A listing's picture for a `listings` row aliased `l`: its uploaded photo (a path on this
/// site; `config::absolute` makes it a full URL) or the link it was given. A macro so that
/// `concat!` can put it in the column lists below.
macro_rules! image_sql {
    () => {
        "CASE WHEN l.photo_type IS NOT NULL THEN '/photos/' || l.id ELSE l.image_url END"
    };
}
pub(crate) use image_sql;

const DROP_PAGE_COLUMNS: &str = concat!("l.id, l.title, l.description, l.specs, l.kind, l.price_cents, l.shipping_cents,
    l.stock, l.quantity, CASE WHEN l.status = 'live' AND NOT ", buying::seller_can_sell!(), " THEN 'paused' ELSE l.status END AS status, ", image_sql!(), " AS image_url, l.guild_tag, l.lead_time_weeks, l.release_at, l.guild_id,
    l.channel_id, l.message_id, b.handle AS builder_handle, COALESCE(b.shop_name, u.username) AS builder_name, b.invite_url AS builder_invite,
    l.raffle_closes_at, l.raffle_commitment, CASE WHEN l.raffle_drawn_at IS NOT NULL THEN l.raffle_seed END AS raffle_seed,
    (SELECT COUNT(*) FROM raffle_entries e WHERE e.listing_id = l.id) AS raffle_entries,
    l.raffle_min_age_days, l.raffle_role_id, l.raffle_min_tier");

/// A drop and its builder's reputation (one batch, one round trip).
pub async fn drop_page(
    db: &D1Database,
    id: &str,
) -> Result<Option<(DropPage, Option<Reputation>)>, StoreError> {
    let drop = db
        .prepare(format!(
            "SELECT {DROP_PAGE_COLUMNS} FROM listings l
             JOIN builders b ON b.discord_id = l.seller_id JOIN users u ON u.discord_id = l.seller_id
             WHERE l.id = ?1"
        ))
        .bind(&[id.into()])?;
    let reputation = db.prepare(seller_reputation_sql()).bind(&[id.into()])?;
    let mut batch = Batch::new();
    let drop_rows = batch.read::<DropPage>(drop);
    let reputation_rows = batch.read::<Reputation>(reputation);
    let done = batch.run(db).await?;
    let Some(drop) = done.first(&drop_rows)? else {
        return Ok(None);
    };
    Ok(Some((drop, done.first(&reputation_rows)?)))
}

/// A builder's shop: the builder, their record and their drops, newest first (one batch).
pub async fn builder_shop(
    db: &D1Database,
    handle: &str,
) -> Result<Option<(BuilderProfile, Reputation, Vec<DropPage>)>, StoreError> {
    let profile = db
        .prepare(
            "SELECT b.handle, COALESCE(b.shop_name, u.username) AS name, b.guild_tags, b.approved
             FROM builders b JOIN users u ON u.discord_id = b.discord_id WHERE b.handle = ?1",
        )
        .bind(&[handle.into()])?;
    let reputation = db
        .prepare(format!(
            "SELECT {REPUTATION_COLUMNS} FROM builders b JOIN users u ON u.discord_id = b.discord_id
             WHERE b.handle = ?1"
        ))
        .bind(&[handle.into()])?;
    let drops = db
        .prepare(format!(
            "SELECT {DROP_PAGE_COLUMNS} FROM listings l
             JOIN builders b ON b.discord_id = l.seller_id JOIN users u ON u.discord_id = l.seller_id
             WHERE b.handle = ?1 ORDER BY l.created_at DESC LIMIT 48"
        ))
        .bind(&[handle.into()])?;
    let mut batch = Batch::new();
    let profile_rows = batch.read::<BuilderProfile>(profile);
    let reputation_rows = batch.read::<Reputation>(reputation);
    let drops_rows = batch.read::<DropPage>(drops);
    let done = batch.run(db).await?;
    let (Some(profile), Some(reputation)) =
        (done.first(&profile_rows)?, done.first(&reputation_rows)?)
    else {
        return Ok(None);
    };
    Ok(Some((profile, reputation, done.rows(&drops_rows)?)))
}

#[derive(Debug, Deserialize)]
pub struct BuilderProfile {
    pub handle: String,
    pub name: String,
    pub guild_tags: String,
    pub approved: i64,
}

/// A builder's public record, for builders `b` joined to their users row `u`: what buyers
/// can weigh before they buy (builder pages and drop pages show it).
const REPUTATION_COLUMNS: &str = "b.created_at AS member_since, u.twitch_login,
    (SELECT COUNT(*) FROM orders o WHERE o.seller_id = b.discord_id AND o.status = 'completed') AS completed_orders,
    (SELECT COUNT(*) FROM orders o WHERE o.seller_id = b.discord_id AND o.promised_by IS NOT NULL
       AND o.shipped_at IS NOT NULL) AS promised_shipped,
    (SELECT COUNT(*) FROM orders o WHERE o.seller_id = b.discord_id AND o.promised_by IS NOT NULL
       AND o.shipped_at IS NOT NULL AND o.shipped_at <= o.promised_by) AS on_time,
    (SELECT COUNT(*) FROM vouches v WHERE v.builder_id = b.discord_id) AS vouches,
    (SELECT COUNT(DISTINCT d.order_id) FROM ledger d JOIN orders o ON o.id = d.order_id
       WHERE o.seller_id = b.discord_id AND d.kind = 'dispute') AS disputes";

#[derive(Debug, Clone, Deserialize)]
pub struct Reputation {
    pub member_since: f64,
    pub twitch_login: Option<String>,
    /// Orders that completed (shipped, and the buyer's window passed with no problem).
    pub completed_orders: i64,
    /// Commissions shipped, and of those, shipped by the date the drop promised.
    pub promised_shipped: i64,
    pub on_time: i64,
    /// Buyers this builder vouched for.
    pub vouches: i64,
    /// Orders with a payment dispute.
    pub disputes: i64,
}

/// The reputation of the builder who sells listing `id`, for the drop page's batch.
fn seller_reputation_sql() -> String {
    format!(
        "SELECT {REPUTATION_COLUMNS} FROM listings l JOIN builders b ON b.discord_id = l.seller_id
         JOIN users u ON u.discord_id = b.discord_id WHERE l.id = ?1"
    )
}
