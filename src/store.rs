//! Every SQL statement lives here. Functions return domain-shaped rows; changes that
//! belong together go in one D1 batch (atomic: all or nothing).

pub mod buying;
pub mod fulfilment;
pub mod hq;
pub mod ledger;
pub mod orders;
pub mod outbox;
pub mod trust;
pub mod twitch;

use crate::domain::ids::Snowflake;
use crate::interactions::server_settings::Update;
use buying::SELLER_CAN_SELL;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

thread_local! {
    static ROUND_TRIPS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// D1 round trips (each `batch`, `run`, `first` or `all`) since the last call. Logged with
/// the requests whose budget matters; exact when requests don't overlap (make bench).
pub fn take_round_trips() -> u32 {
    ROUND_TRIPS.with(|c| c.replace(0))
}

/// Marks a D1 call as one round trip (every call in this module goes through it).
trait Counted: std::future::Future + Sized {
    fn counted(self) -> Self {
        ROUND_TRIPS.with(|c| c.set(c.get().saturating_add(1)));
        self
    }
}

impl<F: std::future::Future> Counted for F {}

#[derive(Debug)]
pub struct StoreError(String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// A number for a D1 binding (the Rust binding's integers are i32; ms and cents are f64).
fn num(n: f64) -> JsValue {
    JsValue::from_f64(n)
}

fn cents(c: crate::domain::money::Cents) -> JsValue {
    num(c.get() as f64)
}

/// The rows of statement `index` of a batch's results.
fn rows<T: for<'de> Deserialize<'de>>(
    results: &[D1Result],
    index: usize,
) -> Result<Vec<T>, StoreError> {
    match results.get(index) {
        Some(result) => Ok(result.results::<T>()?),
        None => Err(StoreError(format!("batch has no result {index}"))),
    }
}

/// Creates the user, or refreshes their username (an empty one never overwrites).
fn upsert_user(
    db: &D1Database,
    discord_id: &str,
    username: &str,
    now: &JsValue,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "INSERT INTO users (discord_id, username, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (discord_id) DO UPDATE SET
               username = CASE WHEN excluded.username <> '' THEN excluded.username ELSE username END,
               updated_at = excluded.updated_at",
        )
        .bind(&[discord_id.into(), username.into(), now.clone()])?)
}

/// A new builder's handle in SQL: `?2`, or `?3` when another builder (`?1` is this one)
/// already has `?2`.
const HANDLE_OR_FALLBACK: &str =
    "CASE WHEN EXISTS (SELECT 1 FROM builders WHERE handle = ?2 AND discord_id <> ?1) THEN ?3 ELSE ?2 END";

/// Live, released drops with stock, newest first.
pub async fn live_drops(
    db: &D1Database,
    now_ms: f64,
    limit: u32,
) -> Result<Vec<DropPage>, StoreError> {
    let rows = db
        .prepare(format!(
            "SELECT {DROP_PAGE_COLUMNS} FROM listings l
             JOIN builders b ON b.discord_id = l.seller_id JOIN users u ON u.discord_id = l.seller_id
             WHERE l.status = 'live' AND l.stock > 0 AND (l.release_at IS NULL OR l.release_at <= ?1)
               AND {SELLER_CAN_SELL}
             ORDER BY l.created_at DESC
             LIMIT ?2"
        ))
        .bind(&[JsValue::from_f64(now_ms), JsValue::from(limit)])?
        .all()
        .counted().await?;
    Ok(rows.results()?)
}

/// Whether a webhook event was applied now (with its batch's results) or before.
#[derive(Debug)]
pub enum Applied {
    Now(Vec<D1Result>),
    Before,
}

/// Records `(source, event_id)` and applies `effects` in ONE batch. A repeat delivery
/// trips the primary key, so the batch rolls back whole: effects happen exactly once.
/// The results of `effects[i]` are at index `i + 1`.
pub async fn apply_event_once(
    db: &D1Database,
    source: &str,
    event_id: &str,
    event_type: &str,
    now_ms: f64,
    effects: Vec<D1PreparedStatement>,
) -> Result<Applied, StoreError> {
    let record = db
        .prepare(
            "INSERT INTO processed_events (source, event_id, event_type, received_at)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&[
            source.into(),
            event_id.into(),
            event_type.into(),
            JsValue::from_f64(now_ms),
        ])?;
    let mut statements = Vec::with_capacity(effects.len() + 1);
    statements.push(record);
    statements.extend(effects);
    match db.batch(statements).counted().await {
        Ok(results) => Ok(Applied::Now(results)),
        Err(batch_error) => {
            // Tell a duplicate (fine) from a real failure (Stripe must retry).
            let seen = db
                .prepare(
                    "SELECT 1 AS seen FROM processed_events WHERE source = ?1 AND event_id = ?2",
                )
                .bind(&[source.into(), event_id.into()])?
                .first::<i64>(Some("seen"))
                .counted()
                .await?;
            match seen {
                Some(_) => Ok(Applied::Before),
                None => Err(StoreError(batch_error.to_string())),
            }
        }
    }
}

/// A cheap liveness probe of the database for /healthz.
pub async fn ping(db: &D1Database) -> Result<(), StoreError> {
    db.prepare("SELECT 1 AS ok")
        .first::<i64>(Some("ok"))
        .counted()
        .await?;
    Ok(())
}

/// One server's C500 settings (ids are snowflakes as text).
#[derive(Debug, Clone, Deserialize)]
pub struct GuildSettings {
    pub guild_id: String,
    pub shop_channel_id: Option<String>,
    pub announcements_channel_id: Option<String>,
    pub orders_channel_id: Option<String>,
    pub drop_role_id: Option<String>,
    pub live_role_id: Option<String>,
}

impl GuildSettings {
    pub fn empty(guild_id: &str) -> GuildSettings {
        GuildSettings {
            guild_id: guild_id.to_owned(),
            shop_channel_id: None,
            announcements_channel_id: None,
            orders_channel_id: None,
            drop_role_id: None,
            live_role_id: None,
        }
    }
}

const GUILD_SETTINGS_COLUMNS: &str =
    "guild_id, shop_channel_id, announcements_channel_id, orders_channel_id, drop_role_id, live_role_id";

fn opt(id: &Option<Snowflake>) -> JsValue {
    id.as_ref().map_or(JsValue::NULL, |s| s.as_str().into())
}

/// Sets the named settings, keeps the others, and returns the result (one round trip).
pub async fn save_guild_settings(
    db: &D1Database,
    guild_id: &str,
    update: &Update,
    by: &str,
    now_ms: f64,
) -> Result<GuildSettings, StoreError> {
    let row = db
        .prepare(format!(
            "INSERT INTO guild_settings ({GUILD_SETTINGS_COLUMNS}, updated_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (guild_id) DO UPDATE SET
               shop_channel_id = COALESCE(excluded.shop_channel_id, shop_channel_id),
               announcements_channel_id = COALESCE(excluded.announcements_channel_id, announcements_channel_id),
               orders_channel_id = COALESCE(excluded.orders_channel_id, orders_channel_id),
               drop_role_id = COALESCE(excluded.drop_role_id, drop_role_id),
               live_role_id = COALESCE(excluded.live_role_id, live_role_id),
               updated_by = excluded.updated_by,
               updated_at = excluded.updated_at
             RETURNING {GUILD_SETTINGS_COLUMNS}"
        ))
        .bind(&[
            guild_id.into(),
            opt(&update.shop_channel),
            opt(&update.announcements_channel),
            opt(&update.orders_channel),
            opt(&update.drop_role),
            opt(&update.live_role),
            by.into(),
            JsValue::from_f64(now_ms),
        ])?
        .first::<GuildSettings>(None)
        .counted().await?;
    row.ok_or_else(|| StoreError("guild settings upsert returned no row".to_owned()))
}

pub async fn guild_settings(
    db: &D1Database,
    guild_id: &str,
) -> Result<Option<GuildSettings>, StoreError> {
    Ok(db
        .prepare(format!(
            "SELECT {GUILD_SETTINGS_COLUMNS} FROM guild_settings WHERE guild_id = ?1"
        ))
        .bind(&[guild_id.into()])?
        .first::<GuildSettings>(None)
        .counted()
        .await?)
}

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
    let results = db.batch(vec![revoke, audit, embeds]).counted().await?;
    Ok(!rows::<serde_json::Value>(&results, 0)?.is_empty())
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
    let results = db.batch(vec![user, builder, read]).counted().await?;
    rows::<BuilderStripe>(&results, 2)?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError("builder row missing after upsert".to_owned()))
}

/// Records a Stripe account's flags as Stripe reported them just now (a fresh read, never
/// an event's copy: events come in any order, and their clock is Stripe's, not ours).
pub fn sync_account_statement(
    db: &D1Database,
    account: &crate::clients::stripe::Account,
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
    account: &crate::clients::stripe::Account,
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
             SELECT 'embed:' || l.id || ':standing:' || CAST(?2 AS INTEGER), json_object('kind', 'refresh_embed', 'listing', l.id), ?2, ?2, ?2
             FROM listings l WHERE l.seller_id = {seller_sql} AND l.status = 'live' AND l.message_id IS NOT NULL
             ON CONFLICT (dedupe_key) DO NOTHING"
        ))
        .bind(&[subject.into(), JsValue::from_f64(now_ms)])?)
}

/// The id a batch statement RETURNed (`RETURNING id`), if it changed a row.
pub fn returned_id(results: &[D1Result], index: usize) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    Ok(rows::<Id>(results, index)?.into_iter().next().map(|r| r.id))
}

/// Records a freshly created account on the builder (never replacing one) with its flags.
pub async fn attach_account(
    db: &D1Database,
    discord_id: &str,
    account: &crate::clients::stripe::Account,
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
    account: &crate::clients::stripe::Account,
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
    let results = db
        .batch(vec![builder_stripe_statement(db, seller)?, shop])
        .counted()
        .await?;
    let standing = rows::<BuilderStripe>(&results, 0)?.into_iter().next();
    let shop_channel = rows::<Shop>(&results, 1)?
        .into_iter()
        .next()
        .and_then(|s| s.shop_channel_id);
    Ok((standing, shop_channel))
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
}

pub async fn insert_listing(
    db: &D1Database,
    l: &NewListing<'_>,
    now_ms: f64,
) -> Result<(), StoreError> {
    let text = |s: Option<&str>| s.map_or(JsValue::NULL, JsValue::from);
    db.prepare(
        "INSERT INTO listings (id, seller_id, guild_id, channel_id, kind, title, description, specs, image_url,
           guild_tag, price_cents, shipping_cents, lead_time_weeks, quantity, stock, status, release_at, created_at, updated_at, photo_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, 'live', ?15, ?16, ?16, ?17)",
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
    let results = db.batch(vec![update, job, card]).counted().await?;
    let changed = !rows::<serde_json::Value>(&results, 0)?.is_empty();
    Ok(
        match rows::<outbox::ListingCard>(&results, 2)?.into_iter().next() {
            Some(card) if changed => ListingChange::Changed(Box::new(card)),
            Some(_) => ListingChange::NotLive,
            None => ListingChange::NotYours,
        },
    )
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
    let job = buying::enqueue_if(
        db,
        &crate::outbox::Job::RefreshEmbed {
            listing: listing.to_owned(),
        },
        &format!("embed:{listing}:edit:{now_ms}"),
        "EXISTS (SELECT 1 FROM listings WHERE id = ?5 AND updated_at = ?3)",
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
    let job = buying::enqueue_if(
        db,
        &crate::outbox::Job::RefreshEmbed {
            listing: listing.to_owned(),
        },
        &format!("embed:{listing}:delisted"),
        "EXISTS (SELECT 1 FROM listings WHERE id = ?5 AND status = 'delisted' AND updated_at = ?3)",
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
    l.channel_id, l.message_id, b.handle AS builder_handle, COALESCE(b.shop_name, u.username) AS builder_name");

pub async fn drop_page(db: &D1Database, id: &str) -> Result<Option<DropPage>, StoreError> {
    Ok(db
        .prepare(format!(
            "SELECT {DROP_PAGE_COLUMNS} FROM listings l
             JOIN builders b ON b.discord_id = l.seller_id JOIN users u ON u.discord_id = l.seller_id
             WHERE l.id = ?1"
        ))
        .bind(&[id.into()])?
        .first::<DropPage>(None)
        .counted().await?)
}

/// A builder's shop: the builder and their drops, newest first (one batch).
pub async fn builder_shop(
    db: &D1Database,
    handle: &str,
) -> Result<Option<(BuilderProfile, Vec<DropPage>)>, StoreError> {
    let profile = db
        .prepare(
            "SELECT b.handle, COALESCE(b.shop_name, u.username) AS name, b.guild_tags, b.approved
             FROM builders b JOIN users u ON u.discord_id = b.discord_id WHERE b.handle = ?1",
        )
        .bind(&[handle.into()])?;
    let drops = db
        .prepare(format!(
            "SELECT {DROP_PAGE_COLUMNS} FROM listings l
             JOIN builders b ON b.discord_id = l.seller_id JOIN users u ON u.discord_id = l.seller_id
             WHERE b.handle = ?1 ORDER BY l.created_at DESC LIMIT 48"
        ))
        .bind(&[handle.into()])?;
    let results = db.batch(vec![profile, drops]).counted().await?;
    let Some(profile) = rows::<BuilderProfile>(&results, 0)?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some((profile, rows::<DropPage>(&results, 1)?)))
}

#[derive(Debug, Deserialize)]
pub struct BuilderProfile {
    pub handle: String,
    pub name: String,
    pub guild_tags: String,
    pub approved: i64,
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
               (SELECT COALESCE(SUM(payout_cents), 0) FROM orders WHERE seller_id = ?1 AND escrow = 'held') AS held_cents,
               (SELECT COALESCE(SUM(CASE l.kind WHEN 'transfer' THEN l.amount_cents ELSE -l.amount_cents END), 0)
                  FROM ledger l JOIN orders o ON o.id = l.order_id
                  WHERE o.seller_id = ?1 AND l.status = 'succeeded' AND l.kind IN ('transfer', 'reversal')) AS released_cents
             FROM builders WHERE discord_id = ?1",
        )
        .bind(&[seller.into()])?
        .first::<Dashboard>(None)
        .counted().await?)
}
