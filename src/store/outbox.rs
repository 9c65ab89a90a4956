//! The outbox's SQL: the one writer of jobs (`enqueue_if`, in the batch of the change that
//! causes them), claim, finish, retry, and the views its jobs render from.

use super::{num, Batch, Counted, StoreError};
use crate::domain::jobs::Job;
use serde::Deserialize;
use std::fmt::Write as _;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// When a job is written, as part of its batch: always, or only if a row about the job's
/// subject shows that this batch made the change (a losing or repeated batch writes none).
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    Always,
    /// A row of `table` whose `key` column is the subject and for which every check holds.
    Row {
        table: Table,
        key: &'static str,
        checks: Vec<Check>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Orders,
    Listings,
    Reports,
    Reservations,
}

impl Table {
    fn as_str(self) -> &'static str {
        match self {
            Table::Orders => "orders",
            Table::Listings => "listings",
            Table::Reports => "reports",
            Table::Reservations => "reservations",
        }
    }
}

/// One column test of [`When::Row`]. Values come from the code, never from users.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// The column holds this literal (a status).
    Is(&'static str, &'static str),
    /// The column holds this integer (a sequence number).
    Int(&'static str, i64),
    /// The column holds the batch's clock: this batch wrote it.
    Now(&'static str),
    /// The column is NULL.
    Null(&'static str),
    /// The column is not NULL.
    Set(&'static str),
}

impl When {
    /// The row whose `id` is the subject.
    pub fn row(table: Table, checks: Vec<Check>) -> When {
        When::Row {
            table,
            key: "id",
            checks,
        }
    }

    /// The SQL condition: the subject is ?2 and the clock ?3 of the INSERT below.
    fn sql(&self) -> String {
        match self {
            When::Always => "?2 IS NOT NULL".to_owned(),
            When::Row { table, key, checks } => {
                let mut sql = format!("EXISTS (SELECT 1 FROM {} WHERE {key} = ?2", table.as_str());
                for check in checks {
                    // Infallible: writing to a String.
                    let _ = match check {
                        Check::Is(column, literal) => write!(sql, " AND {column} = '{literal}'"),
                        Check::Int(column, value) => write!(sql, " AND {column} = {value}"),
                        Check::Now(column) => write!(sql, " AND {column} = ?3"),
                        Check::Null(column) => write!(sql, " AND {column} IS NULL"),
                        Check::Set(column) => write!(sql, " AND {column} IS NOT NULL"),
                    };
                }
                sql.push(')');
                sql
            }
        }
    }
}

/// The one writer of outbox jobs: `job` about `subject`, deduplicated by `dedupe_key` (from
/// ids we own, so a retried batch never doubles it), written only `when` it holds.
pub fn enqueue_if(
    db: &D1Database,
    job: &Job,
    dedupe_key: &str,
    when: &When,
    subject: &str,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    insert_job(db, job, dedupe_key, when, subject, now_ms, "DO NOTHING")
}

/// How often one drop's Discord embed may be edited. A burst of sales is one edit at once and
/// one more, with the stock as it is by then, this long after the previous edit; never one
/// per sale (Discord rate-limits edits of one message by route; docs/scale.md).
pub const EMBED_EVERY_MS: u32 = 5_000;

/// What re-arms a drop's one embed job (`embed:{listing}`) when it already exists: done or
/// dead → due again, but no sooner than [`EMBED_EVERY_MS`] after its last edit (attempts
/// start over); still pending (due, waiting, or being delivered) → left as it is, and
/// `rearmed` tells the delivery that it raced a change, so it runs once more (`finish`).
pub(crate) fn embed_rearm_sql() -> String {
    format!(
        "DO UPDATE SET rearmed = outbox.rearmed + 1,
           attempts = CASE WHEN outbox.status = 'pending' THEN outbox.attempts ELSE 0 END,
           next_attempt_at = CASE WHEN outbox.status = 'pending' THEN outbox.next_attempt_at
                                  ELSE MAX(excluded.next_attempt_at, outbox.updated_at + {EMBED_EVERY_MS}) END,
           status = 'pending', updated_at = excluded.updated_at"
    )
}

/// Queues a refresh of `listing`'s Discord embed (its stock, price or status changed), when
/// `when` holds: coalesced into the drop's one embed job, so the edit shows the latest state.
pub fn refresh_embed_if(
    db: &D1Database,
    listing: &str,
    when: &When,
    subject: &str,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    let job = Job::RefreshEmbed {
        listing: listing.to_owned(),
    };
    let key = format!("embed:{listing}");
    insert_job(db, &job, &key, when, subject, now_ms, &embed_rearm_sql())
}

fn insert_job(
    db: &D1Database,
    job: &Job,
    dedupe_key: &str,
    when: &When,
    subject: &str,
    now_ms: f64,
    on_conflict: &str,
) -> Result<D1PreparedStatement, StoreError> {
    let json = serde_json::to_string(job).map_err(|e| StoreError::Unexpected(e.to_string()))?;
    Ok(db
        .prepare(format!(
            "INSERT INTO outbox (dedupe_key, job, next_attempt_at, created_at, updated_at)
             SELECT ?1, ?4, ?3, ?3, ?3 WHERE {}
             ON CONFLICT (dedupe_key) {on_conflict}",
            when.sql()
        ))
        .bind(&[dedupe_key.into(), subject.into(), num(now_ms), json.into()])?)
}

/// A job claimed for delivery.
#[derive(Debug, Deserialize)]
pub struct Claimed {
    pub id: f64,
    pub job: String,
    pub attempts: i64,
    /// Re-arms so far (coalesced jobs): `finish` compares, to catch a change it raced.
    pub rearmed: i64,
}

/// A drain's claim: the jobs due now, and when the next pending one falls due.
pub struct Claim {
    pub jobs: Vec<Claimed>,
    pub next_due_ms: Option<f64>,
}

/// While a job is being delivered nobody else takes it; if the delivery dies midway the
/// lease runs out and the job is tried again.
const LEASE_MS: f64 = 120_000.0;

/// Atomically takes up to `limit` due jobs (one statement, so two drains never share one),
/// and, in the same round trip, when the next job still pending falls due.
pub async fn claim_due(db: &D1Database, now_ms: f64, limit: u32) -> Result<Claim, StoreError> {
    let mut batch = Batch::new();
    let jobs = batch.read::<Claimed>(
        db.prepare(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?1 + ?3, updated_at = ?1
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1
                          ORDER BY next_attempt_at, id LIMIT ?2)
             RETURNING id, job, attempts, rearmed",
        )
        .bind(&[
            JsValue::from_f64(now_ms),
            JsValue::from(limit),
            JsValue::from_f64(LEASE_MS),
        ])?,
    );
    // Read as a plain value: one derived row type less in the module (docs/performance.md).
    let next = batch.read::<serde_json::Value>(
        db.prepare("SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status = 'pending'"),
    );
    let done = batch.run(db).await?;
    Ok(Claim {
        jobs: done.rows(&jobs)?,
        next_due_ms: done
            .first(&next)?
            .and_then(|row| row.get("at").and_then(serde_json::Value::as_f64)),
    })
}

/// Queues one job on its own (deduplicated by `dedupe_key`).
pub async fn enqueue(
    db: &D1Database,
    job: &Job,
    dedupe_key: &str,
    now_ms: f64,
) -> Result<(), StoreError> {
    enqueue_if(db, job, dedupe_key, &When::Always, dedupe_key, now_ms)?
        .run()
        .counted()
        .await?;
    Ok(())
}

/// A job delivered. If it was re-armed while being delivered (`rearmed` moved since the
/// claim), what it showed may already be old: it stays pending, due again after
/// [`EMBED_EVERY_MS`], instead of being done; then that due time is returned.
pub async fn finish(
    db: &D1Database,
    claim: &Claimed,
    now_ms: f64,
) -> Result<Option<f64>, StoreError> {
    let left = db.prepare(format!(
        "UPDATE outbox SET
           status = CASE WHEN rearmed = ?3 THEN 'done' ELSE 'pending' END,
           attempts = CASE WHEN rearmed = ?3 THEN attempts ELSE 0 END,
           next_attempt_at = CASE WHEN rearmed = ?3 THEN next_attempt_at ELSE ?2 + {EMBED_EVERY_MS} END,
           last_error = NULL, updated_at = ?2
         WHERE id = ?1 RETURNING status"
    ))
    .bind(&[
        JsValue::from_f64(claim.id),
        JsValue::from_f64(now_ms),
        JsValue::from_f64(claim.rearmed as f64),
    ])?
    .first::<String>(Some("status"))
    .counted()
    .await?;
    Ok((left.as_deref() == Some("pending")).then_some(now_ms + f64::from(EMBED_EVERY_MS)))
}

/// Schedules another attempt at `retry_at_ms`, or gives up (`dead`), keeping the error.
pub async fn retry(
    db: &D1Database,
    id: f64,
    retry_at_ms: f64,
    dead: bool,
    error: &str,
    now_ms: f64,
) -> Result<(), StoreError> {
    db.prepare(
        "UPDATE outbox SET status = ?3, next_attempt_at = ?2, last_error = ?4, updated_at = ?5 WHERE id = ?1",
    )
    .bind(&[
        JsValue::from_f64(id),
        JsValue::from_f64(retry_at_ms),
        if dead { "dead" } else { "pending" }.into(),
        error.into(),
        JsValue::from_f64(now_ms),
    ])?
    .run()
    .counted().await?;
    Ok(())
}

/// Hands claimed jobs back untried (Discord asked us to slow down): attempts unchanged.
pub async fn postpone(db: &D1Database, ids: &[f64], until_ms: f64) -> Result<(), StoreError> {
    for id in ids {
        db.prepare(
            "UPDATE outbox SET attempts = MAX(attempts - 1, 0), next_attempt_at = ?2 WHERE id = ?1 AND status = 'pending'",
        )
        .bind(&[JsValue::from_f64(*id), JsValue::from_f64(until_ms)])?
        .run()
        .counted().await?;
    }
    Ok(())
}

/// An order with what its messages show.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub status_token: String,
    pub status: crate::domain::order::OrderStatus,
    pub escrow: crate::domain::escrow::Escrow,
    pub kind: crate::domain::listing::Kind,
    pub buyer_id: String,
    pub seller_id: String,
    pub guild_id: Option<String>,
    pub listing_id: String,
    pub title: String,
    pub image_url: Option<String>,
    pub item_cents: i64,
    pub shipping_cents: i64,
    pub gross_cents: i64,
    pub fee_cents: i64,
    pub payout_cents: i64,
    pub paid_at: f64,
    pub promised_by: Option<f64>,
    pub orders_channel_id: Option<String>,
    pub carrier: Option<String>,
    pub tracking: Option<String>,
    pub stream_url: Option<String>,
}

const ORDER_VIEW: &str = concat!("SELECT o.id, o.status_token, o.status, o.escrow, o.kind, o.buyer_id, o.seller_id, o.guild_id,
    o.listing_id, l.title, ", super::listings::image_sql!(), " AS image_url, o.item_cents, o.shipping_cents, o.gross_cents, o.fee_cents, o.payout_cents,
    o.paid_at, o.promised_by, g.orders_channel_id, o.carrier, o.tracking, o.stream_url
  FROM orders o JOIN listings l ON l.id = o.listing_id LEFT JOIN guild_settings g ON g.guild_id = o.guild_id");

pub async fn order_view(db: &D1Database, order_id: &str) -> Result<Option<OrderView>, StoreError> {
    Ok(db
        .prepare(format!("{ORDER_VIEW} WHERE o.id = ?1"))
        .bind(&[order_id.into()])?
        .first::<OrderView>(None)
        .counted()
        .await?)
}

/// A payment C500 refused (store::buying's REFUSED_SQL): what Stripe charged against what
/// the hold asked for.
#[derive(Debug, Clone, Deserialize)]
pub struct RefusedPayment {
    pub id: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub title: String,
    /// `amount` or `currency`.
    pub refused: String,
    pub currency: String,
    pub charged_cents: i64,
    /// The held unit's price plus shipping, in US cents.
    pub asked_cents: i64,
    pub checkout_session_id: Option<String>,
    pub escrow: crate::domain::escrow::Escrow,
}

pub async fn refused_payment(
    db: &D1Database,
    order_id: &str,
) -> Result<Option<RefusedPayment>, StoreError> {
    Ok(db
        .prepare(
            "SELECT o.id, o.buyer_id, o.seller_id, l.title, o.refused, o.currency, o.gross_cents AS charged_cents,
               r.item_cents + r.shipping_cents AS asked_cents, o.checkout_session_id, o.escrow
             FROM orders o JOIN listings l ON l.id = o.listing_id JOIN reservations r ON r.id = o.id
             WHERE o.id = ?1 AND o.refused IS NOT NULL",
        )
        .bind(&[order_id.into()])?
        .first::<RefusedPayment>(None)
        .counted()
        .await?)
}

pub async fn order_view_by_payment_intent(
    db: &D1Database,
    payment_intent: &str,
) -> Result<Option<OrderView>, StoreError> {
    Ok(db
        .prepare(format!("{ORDER_VIEW} WHERE o.payment_intent_id = ?1"))
        .bind(&[payment_intent.into()])?
        .first::<OrderView>(None)
        .counted()
        .await?)
}

/// A drop as its public embed shows it, with the units now in someone's checkout.
#[derive(Debug, Clone, Deserialize)]
pub struct ListingCard {
    pub id: String,
    pub seller_id: String,
    pub channel_id: Option<String>,
    pub message_id: Option<String>,
    pub kind: crate::domain::listing::Kind,
    pub title: String,
    pub description: String,
    pub specs: Option<String>,
    pub image_url: Option<String>,
    pub guild_tag: String,
    pub price_cents: i64,
    pub shipping_cents: i64,
    pub lead_time_weeks: Option<i64>,
    pub quantity: i64,
    pub stock: i64,
    pub held: i64,
    pub status: crate::domain::listing::ListingStatus,
    pub release_at: Option<f64>,
    /// Buyers waiting in the drop's line.
    pub waiting: i64,
    /// Most units one buyer may take (None: no limit).
    pub per_buyer: Option<i64>,
    /// A raffle (None: sold first come): when entries close, whether drawn, the seed's
    /// commitment, the seed once drawn, and the entries.
    pub raffle_closes_at: Option<f64>,
    pub raffle_drawn_at: Option<f64>,
    pub raffle_commitment: Option<String>,
    pub raffle_seed: Option<String>,
    pub raffle_entries: i64,
    /// Who may enter the raffle (domain::raffle::Gates).
    pub raffle_min_age_days: Option<i64>,
    pub raffle_role_id: Option<String>,
    pub raffle_min_tier: Option<String>,
}

pub const LISTING_CARD: &str = concat!("SELECT l.id, l.seller_id, l.channel_id, l.message_id, l.kind, l.title, l.description,
    l.specs, ", super::listings::image_sql!(), " AS image_url, l.guild_tag, l.price_cents, l.shipping_cents, l.lead_time_weeks, l.quantity, l.stock,
    (SELECT COUNT(*) FROM reservations r WHERE r.listing_id = l.id AND r.status = 'held') AS held,
    CASE WHEN l.status = 'live' AND NOT ", super::buying::seller_can_sell!(), " THEN 'paused' ELSE l.status END AS status, l.release_at,
    (SELECT COUNT(*) FROM waitlist w WHERE w.listing_id = l.id AND w.status = 'waiting') AS waiting,
    l.per_buyer, l.raffle_closes_at, l.raffle_drawn_at, l.raffle_commitment,
    CASE WHEN l.raffle_drawn_at IS NOT NULL THEN l.raffle_seed END AS raffle_seed,
    (SELECT COUNT(*) FROM raffle_entries e WHERE e.listing_id = l.id) AS raffle_entries,
    l.raffle_min_age_days, l.raffle_role_id, l.raffle_min_tier
  FROM listings l");

pub async fn listing_card(db: &D1Database, id: &str) -> Result<Option<ListingCard>, StoreError> {
    Ok(db
        .prepare(format!("{LISTING_CARD} WHERE l.id = ?1"))
        .bind(&[id.into()])?
        .first::<ListingCard>(None)
        .counted()
        .await?)
}

/// A seller's listings for `/c500 inventory`: live first, newest first, at most 25 (one
/// select menu).
pub async fn seller_listings(
    db: &D1Database,
    seller: &str,
) -> Result<Vec<ListingCard>, StoreError> {
    let result = db
        .prepare(format!(
            "{LISTING_CARD} WHERE l.seller_id = ?1 ORDER BY l.status = 'live' DESC, l.created_at DESC LIMIT 25"
        ))
        .bind(&[seller.into()])?
        .all()
        .counted()
        .await?;
    Ok(result.results()?)
}
