//! The SQL of buying: the atomic hold, its Checkout, and what each payment event changes.
//! Every change that belongs together is one D1 batch (a transaction): a hold and its stock
//! decrement, an order and its hold, stock, timeline and outbox jobs.

use super::listings::image_sql;
use super::outbox::{enqueue_if, refresh_embed_if, Check, Table, When};
use super::timeline::Entry;
use super::{cents, num, upsert_user, Batch, Counted, StoreError};
use crate::domain::buying::{BuyFacts, HoldFacts, ListingFacts};
use crate::domain::jobs::Job;
use crate::domain::money::{Cents, Split};
use crate::domain::trust::Tier;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// A buyer's tier from their reputation, for a `users` row aliased `u` (domain::trust
/// holds what each tier may do; this is the one place that says who is in which).
pub const TIER_SQL: &str = "CASE
    WHEN u.completed_orders >= 3 AND u.lost_disputes = 0 THEN 'vip'
    WHEN u.completed_orders >= 1 OR u.twitch_user_id IS NOT NULL
      OR EXISTS (SELECT 1 FROM vouches v WHERE v.buyer_id = u.discord_id) THEN 'member'
    ELSE 'guest' END";

/// Whether the seller of a listing aliased `l` may sell now: a Certified Builder, not
/// banned, whose Stripe account takes charges and payouts. Checked in the hold's own batch,
/// and by every page and embed that offers the drop.
macro_rules! seller_can_sell {
    () => {
        "EXISTS (SELECT 1 FROM builders sb JOIN users su ON su.discord_id = sb.discord_id
    WHERE sb.discord_id = l.seller_id AND sb.approved = 1 AND sb.charges_enabled = 1 AND sb.payouts_enabled = 1
      AND su.is_banned = 0)"
    };
}
pub(crate) use seller_can_sell;
pub const SELLER_CAN_SELL: &str = seller_can_sell!();

/// How many units buyer ?2 already has of the listing aliased `l`, toward its per-buyer
/// limit: their orders not cancelled or refunded (the open hold is the unique index's).
macro_rules! bought_sql {
    () => {
        "(SELECT COUNT(*) FROM orders o WHERE o.listing_id = l.id AND o.buyer_id = ?2
           AND o.status NOT IN ('cancelled', 'refunded'))"
    };
}

/// How many buyers wait ahead of buyer ?2 in the line of the listing aliased `l` (everyone
/// waiting, if ?2 is not): while this is not 0 a free unit is theirs, not ?2's (the cron
/// offers it, store::waitlist). Ties in `joined_at` go by Discord id, as the offers do.
macro_rules! ahead_sql {
    () => {
        "(SELECT COUNT(*) FROM waitlist w WHERE w.listing_id = l.id AND w.status = 'waiting' AND w.buyer_id <> ?2
           AND (w.joined_at, w.buyer_id) < (COALESCE((SELECT me.joined_at FROM waitlist me
             WHERE me.listing_id = l.id AND me.buyer_id = ?2 AND me.status = 'waiting'), 1e300), ?2))"
    };
}

/// Whether buyer ?2 has a place in the line of the listing aliased `l`.
macro_rules! waiting_sql {
    () => {
        "EXISTS (SELECT 1 FROM waitlist me WHERE me.listing_id = l.id AND me.buyer_id = ?2 AND me.status = 'waiting')"
    };
}
pub(crate) use {ahead_sql, bought_sql};

/// A Buy click's attempt at a hold.
pub struct HoldRequest<'a> {
    pub listing: &'a str,
    pub buyer: &'a str,
    pub username: &'a str,
    /// The id the hold (and its order) gets if it is taken.
    pub new_id: &'a str,
    pub now_ms: f64,
    pub expires_at_ms: f64,
}

/// What Checkout needs about the hold and its drop.
#[derive(Debug, Clone, Deserialize)]
pub struct HoldCheckout {
    pub hold_id: String,
    pub listing_id: String,
    pub seller_id: String,
    pub title: String,
    pub image_url: Option<String>,
    pub hold_item_cents: i64,
    pub hold_shipping_cents: i64,
    pub hold_expires_at: f64,
}

#[derive(Debug, Deserialize)]
pub(super) struct FactsRow {
    /// 0: the buyer has no `users` row yet (they have never clicked).
    known: i64,
    banned: i64,
    tier: String,
    listing_id: Option<String>,
    status: Option<String>,
    stock: Option<i64>,
    seller_id: Option<String>,
    seller_ok: Option<i64>,
    price_cents: Option<i64>,
    release_at: Option<f64>,
    title: Option<String>,
    image_url: Option<String>,
    hold_id: Option<String>,
    checkout_url: Option<String>,
    hold_item_cents: Option<i64>,
    hold_shipping_cents: Option<i64>,
    hold_expires_at: Option<f64>,
    per_buyer: Option<i64>,
    bought: Option<i64>,
    ahead: Option<i64>,
    waiting: Option<i64>,
    raffle_closes_at: Option<f64>,
    raffle_drawn_at: Option<f64>,
    offered: Option<i64>,
}

/// ONE round trip: returns the buyer's own lapsed hold, takes a unit if every rule allows
/// (live, released for this buyer's tier, in stock, within the tier's cap, not the seller,
/// not banned, no open hold already), and reads back the facts that explain the outcome.
/// D1 runs a batch as one transaction, one at a time, so 50 simultaneous clicks on the last
/// unit see it one after another: exactly one takes it.
pub async fn reserve(
    db: &D1Database,
    h: &HoldRequest<'_>,
) -> Result<(BuyFacts, Option<HoldCheckout>), StoreError> {
    let now = num(h.now_ms);
    let user = upsert_user(db, h.buyer, h.username, &now)?;
    let return_lapsed = db
        .prepare(
            "UPDATE listings SET stock = stock + 1, updated_at = ?3 WHERE id = ?1 AND EXISTS (
               SELECT 1 FROM reservations WHERE listing_id = ?1 AND buyer_id = ?2 AND status = 'held' AND expires_at <= ?3)",
        )
        .bind(&[h.listing.into(), h.buyer.into(), now.clone()])?;
    let release_lapsed = db
        .prepare(
            "UPDATE reservations SET status = 'released', updated_at = ?3
             WHERE listing_id = ?1 AND buyer_id = ?2 AND status = 'held' AND expires_at <= ?3",
        )
        .bind(&[h.listing.into(), h.buyer.into(), now.clone()])?;
    let cap = |t: Tier| t.cap().map_or(num(f64::MAX), cents);
    let take = db
        .prepare(format!(
            "INSERT INTO reservations (id, listing_id, buyer_id, status, expires_at, created_at, updated_at, item_cents, shipping_cents)
             SELECT ?3, l.id, b.discord_id, 'held', ?5, ?4, ?4, l.price_cents, l.shipping_cents
             FROM listings l, (SELECT u.discord_id, u.is_banned, {TIER_SQL} AS tier FROM users u WHERE u.discord_id = ?2) b
             WHERE l.id = ?1 AND l.status = 'live' AND l.stock > 0 AND l.seller_id <> ?2 AND b.is_banned = 0
               AND {SELLER_CAN_SELL}
               AND (l.release_at IS NULL OR l.release_at <= ?4 + CASE b.tier WHEN 'vip' THEN ?6 ELSE 0 END)
               AND l.price_cents <= CASE b.tier WHEN 'guest' THEN ?7 WHEN 'member' THEN ?8 ELSE l.price_cents END
               AND (l.per_buyer IS NULL OR {bought} < l.per_buyer)
               AND {ahead} = 0 AND (l.raffle_closes_at IS NULL OR l.raffle_drawn_at IS NOT NULL)
             ON CONFLICT DO NOTHING",
            bought = bought_sql!(),
            ahead = ahead_sql!(),
        ))
        .bind(&[
            h.listing.into(),
            h.buyer.into(),
            h.new_id.into(),
            now.clone(),
            num(h.expires_at_ms),
            num(Tier::Vip.early_access_ms() as f64),
            cap(Tier::Guest),
            cap(Tier::Member),
        ])?;
    let decrement = db
        .prepare(
            // Only for the hold THIS click inserted: an older reservation that happens to
            // have the same id (a collision) must never cost a unit.
            "UPDATE listings SET stock = stock - 1, updated_at = ?3
             WHERE id = ?1 AND EXISTS (SELECT 1 FROM reservations
               WHERE id = ?2 AND listing_id = ?1 AND buyer_id = ?4 AND created_at = ?3 AND status = 'held')",
        )
        .bind(&[h.listing.into(), h.new_id.into(), now.clone(), h.buyer.into()])?;
    // A buyer first in line who took a free unit themselves has had their turn.
    let served = db
        .prepare(
            "UPDATE waitlist SET status = 'offered', hold_id = ?3, updated_at = ?4
             WHERE listing_id = ?1 AND buyer_id = ?2 AND status = 'waiting'
               AND EXISTS (SELECT 1 FROM reservations WHERE id = ?3 AND created_at = ?4 AND status = 'held')",
        )
        .bind(&[h.listing.into(), h.buyer.into(), h.new_id.into(), now.clone()])?;
    // A hold with no Checkout yet (a unit the waitlist offered, waiting for its buyer's
    // click) gets its full time from now: the 30 minutes start when the buyer has the link,
    // and Checkout's `expires_at` must be at least 30 minutes away.
    let extend = db
        .prepare(
            "UPDATE reservations SET expires_at = MAX(expires_at, ?3), updated_at = ?4
             WHERE listing_id = ?1 AND buyer_id = ?2 AND status = 'held'
               AND checkout_session_id IS NULL AND expires_at > ?4",
        )
        .bind(&[
            h.listing.into(),
            h.buyer.into(),
            num(h.expires_at_ms),
            now.clone(),
        ])?;
    // Lapsed holds were released above, so every 'held' row is open.
    let facts = db
        .prepare(facts_sql())
        .bind(&[h.listing.into(), h.buyer.into(), num(f64::MIN)])?;
    let mut batch = Batch::new();
    batch.add(user);
    batch.add(return_lapsed);
    batch.add(release_lapsed);
    batch.add(take);
    batch.add(decrement);
    batch.add(served);
    batch.add(extend);
    let facts_rows = batch.read::<FactsRow>(facts);
    let done = batch.run(db).await?;
    let row = done
        .first(&facts_rows)?
        .ok_or_else(|| StoreError::Unexpected("buyer row missing after upsert".to_owned()))?;
    Ok(facts_from(row, h.buyer, Some(h.new_id), h.expires_at_ms))
}

/// What a click would find, without taking anything (one read): for a repeated click
/// (clients::clicks), answered from what is already held. None if the buyer has never
/// clicked (their first click has not written yet).
pub async fn current(
    db: &D1Database,
    listing: &str,
    buyer: &str,
    now_ms: f64,
) -> Result<Option<(BuyFacts, Option<HoldCheckout>)>, StoreError> {
    Ok(facts_row(db, listing, buyer, now_ms)
        .await?
        .filter(|row| row.known == 1)
        .map(|row| facts_from(row, buyer, None, now_ms)))
}

/// What a click would find, read without writing anything, for a buyer who may never have
/// clicked (one read, no `users` row made): flows::buying asks this first on a drop it saw
/// sold out, so the many clicks that get nothing do not queue write batches on the one
/// database (docs/scale.md). Every held row counts as held, even a lapsed one: returning
/// that unit is the hold batch's work, so such a click goes on to write.
pub async fn peek(db: &D1Database, listing: &str, buyer: &str) -> Result<BuyFacts, StoreError> {
    let row = facts_row(db, listing, buyer, f64::MIN)
        .await?
        .ok_or_else(|| StoreError::Unexpected("the facts query returned no row".to_owned()))?;
    Ok(facts_from(row, buyer, None, 0.0).0)
}

/// The facts row, with holds open at `since` (ms).
async fn facts_row(
    db: &D1Database,
    listing: &str,
    buyer: &str,
    since: f64,
) -> Result<Option<FactsRow>, StoreError> {
    Ok(db
        .prepare(facts_sql())
        .bind(&[listing.into(), buyer.into(), num(since)])?
        .first::<FactsRow>(None)
        .counted()
        .await?)
}

/// The facts a Buy decision needs (?1 listing, ?2 buyer): the buyer, the listing, and the
/// buyer's hold on it if it is still open at ?3.
pub(super) fn facts_sql() -> String {
    // From the buyer's id, not their row: a buyer who has never clicked reads as a guest
    // who is not banned, which is what their row would say once made.
    format!(
        "SELECT u.discord_id IS NOT NULL AS known, COALESCE(u.is_banned, 0) AS banned, {TIER_SQL} AS tier,
           l.id AS listing_id, l.status, l.stock, l.seller_id, {SELLER_CAN_SELL} AS seller_ok, l.price_cents, l.release_at, l.title, {} AS image_url,
           r.id AS hold_id, r.checkout_url, r.item_cents AS hold_item_cents,
           r.shipping_cents AS hold_shipping_cents, r.expires_at AS hold_expires_at,
           l.per_buyer, {} AS bought, {} AS ahead, {} AS waiting, l.raffle_closes_at, l.raffle_drawn_at,
           EXISTS (SELECT 1 FROM waitlist wo WHERE wo.listing_id = ?1 AND wo.buyer_id = me.id
             AND wo.status = 'offered' AND wo.hold_id = r.id) AS offered
         FROM (SELECT ?2 AS id) me
         LEFT JOIN users u ON u.discord_id = me.id
         LEFT JOIN listings l ON l.id = ?1
         LEFT JOIN reservations r ON r.listing_id = ?1 AND r.buyer_id = me.id AND r.status = 'held' AND r.expires_at > ?3",
        image_sql!(),
        bought_sql!(),
        ahead_sql!(),
        waiting_sql!(),
    )
}

/// `new_id`: the hold this click tried to take, if it tried.
pub(super) fn facts_from(
    row: FactsRow,
    buyer: &str,
    new_id: Option<&str>,
    default_expires_ms: f64,
) -> (BuyFacts, Option<HoldCheckout>) {
    let listing = match (&row.listing_id, &row.seller_id) {
        (Some(_), Some(seller)) => Some(ListingFacts {
            live: row.status.as_deref() == Some("live"),
            stock: row.stock.unwrap_or(0),
            seller_id: seller.clone(),
            seller_can_sell: row.seller_ok == Some(1),
            price: Cents::new(row.price_cents.unwrap_or(0)),
            release_at_ms: row.release_at,
            per_buyer: row.per_buyer,
            bought: row.bought.unwrap_or(0),
            ahead: row.ahead.unwrap_or(0),
            waiting: row.waiting == Some(1),
            raffle_closes_at_ms: row
                .raffle_closes_at
                .filter(|_| row.raffle_drawn_at.is_none()),
        }),
        _ => None,
    };
    let checkout = match (&row.hold_id, &row.listing_id, &row.seller_id) {
        (Some(hold), Some(listing_id), Some(seller)) => Some(HoldCheckout {
            hold_id: hold.clone(),
            listing_id: listing_id.clone(),
            seller_id: seller.clone(),
            title: row.title.clone().unwrap_or_default(),
            image_url: row.image_url.clone(),
            hold_item_cents: row.hold_item_cents.unwrap_or(0),
            hold_shipping_cents: row.hold_shipping_cents.unwrap_or(0),
            hold_expires_at: row.hold_expires_at.unwrap_or(default_expires_ms),
        }),
        _ => None,
    };
    let facts = BuyFacts {
        buyer_id: buyer.to_owned(),
        banned: row.banned == 1,
        tier: Tier::parse(&row.tier).unwrap_or(Tier::Guest),
        listing,
        hold: row.hold_id.map(|id| HoldFacts {
            is_new: Some(id.as_str()) == new_id,
            id,
            checkout_url: row.checkout_url,
            offered: row.offered == Some(1),
        }),
    };
    (facts, checkout)
}

/// Records the hold's Checkout Session (the second and last round trip of a click).
pub async fn attach_session(
    db: &D1Database,
    hold_id: &str,
    session_id: &str,
    url: &str,
    now_ms: f64,
) -> Result<(), StoreError> {
    db.prepare(
        "UPDATE reservations SET checkout_session_id = ?2, checkout_url = ?3, updated_at = ?4 WHERE id = ?1",
    )
    .bind(&[hold_id.into(), session_id.into(), url.into(), num(now_ms)])?
    .run()
    .counted().await?;
    Ok(())
}

/// Statements that end an open hold and return its unit to stock (in this order: the
/// stock update reads the hold before it is released). `without_session`: only a hold
/// whose Checkout was never created (a failed click), so a live session is never orphaned.
pub fn release_statements(
    db: &D1Database,
    hold_id: &str,
    without_session: bool,
    now_ms: f64,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let guard = if without_session {
        " AND checkout_session_id IS NULL"
    } else {
        ""
    };
    let now = num(now_ms);
    Ok(vec![
        db.prepare(format!(
            "UPDATE listings SET stock = stock + 1, updated_at = ?2
             WHERE id = (SELECT listing_id FROM reservations WHERE id = ?1 AND status = 'held'{guard})"
        ))
        .bind(&[hold_id.into(), now.clone()])?,
        db.prepare(format!(
            "UPDATE reservations SET status = 'released', updated_at = ?2 WHERE id = ?1 AND status = 'held'{guard}"
        ))
        .bind(&[hold_id.into(), now])?,
    ])
}

/// Undoes a click whose Checkout could not be created: no orphan hold.
pub async fn release_unstarted_hold(
    db: &D1Database,
    hold_id: &str,
    now_ms: f64,
) -> Result<(), StoreError> {
    db.batch(release_statements(db, hold_id, true, now_ms)?)
        .counted()
        .await?;
    Ok(())
}

/// A dispute's jobs are written only for a payment C500 knows.
fn order_by_payment_intent() -> When {
    When::Row {
        table: Table::Orders,
        key: "payment_intent_id",
        checks: vec![],
    }
}

/// A Checkout payment as the webhook reports it.
pub struct Payment<'a> {
    pub order_id: &'a str,
    pub listing_id: &'a str,
    pub session_id: &'a str,
    pub payment_intent: Option<&'a str>,
    pub shipping_address: Option<String>,
    /// What Stripe charged, split by domain::money.
    pub split: Split,
    /// The currency Stripe charged in (lowercase ISO code; empty if the event had none).
    pub currency: &'a str,
    pub status_token: &'a str,
    pub now_ms: f64,
}

/// Why a payment cannot be for its hold, in SQL over the reservation `r` (?3 the amount
/// charged, ?10 its currency): C500 asks Stripe for the held price plus shipping in US
/// dollars, so anything else was not caused by C500 (a tampered or edited Checkout, a
/// Dashboard change) and is refunded, never made an order. NULL when the payment is right.
const REFUSED_SQL: &str = "CASE WHEN ?10 <> 'usd' THEN 'currency'
    WHEN ?3 <> r.item_cents + r.shipping_cents THEN 'amount' END";

/// A paid Checkout becomes an order: from a held unit, or (paid after the hold lapsed)
/// from stock if any is left; otherwise the order is cancelled and the caller refunds.
/// A payment that is not the held price in dollars ([`REFUSED_SQL`]) is cancelled too, with
/// the reason, its hold released at once and HQ told. Hold, stock, timeline and outbox
/// change together; the last statement reads the result.
pub fn paid_statements(
    db: &D1Database,
    p: &Payment<'_>,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let now = num(p.now_ms);
    let order = || JsValue::from(p.order_id);
    let text = |s: Option<&str>| s.map_or(JsValue::NULL, JsValue::from);
    let insert = db
        .prepare(format!(
            "INSERT INTO orders (id, status_token, listing_id, buyer_id, seller_id, guild_id, kind, status, escrow,
               item_cents, shipping_cents, gross_cents, fee_cents, payout_cents, checkout_session_id,
               payment_intent_id, shipping_address, promised_by, paid_at, created_at, updated_at,
               currency, refused)
             SELECT r.id, ?2, r.listing_id, r.buyer_id, l.seller_id, l.guild_id, l.kind,
               CASE WHEN {REFUSED_SQL} IS NOT NULL THEN 'cancelled'
                    WHEN r.status = 'held' OR (r.status = 'released' AND l.stock > 0) THEN 'paid'
                    ELSE 'cancelled' END,
               'held', MIN(r.item_cents, ?3), ?3 - MIN(r.item_cents, ?3), ?3, ?4, ?5, ?6, ?7, ?8,
               CASE WHEN l.kind = 'commission' THEN ?9 + COALESCE(l.lead_time_weeks, 0) * 604800000.0 END,
               ?9, ?9, ?9, ?10, {REFUSED_SQL}
             FROM reservations r JOIN listings l ON l.id = r.listing_id
             WHERE r.id = ?1 AND r.status IN ('held', 'released')
             ON CONFLICT DO NOTHING"
        ))
        .bind(&[
            order(),
            p.status_token.into(),
            cents(p.split.gross),
            cents(p.split.fee),
            cents(p.split.payout),
            p.session_id.into(),
            text(p.payment_intent),
            text(p.shipping_address.as_deref()),
            now.clone(),
            p.currency.into(),
        ])?;
    // Paid after the hold lapsed and stock was left: that unit is taken now.
    let late_unit = db
        .prepare(
            "UPDATE listings SET stock = stock - 1, updated_at = ?2
             WHERE id = (SELECT listing_id FROM reservations WHERE id = ?1 AND status = 'released')
               AND EXISTS (SELECT 1 FROM orders WHERE id = ?1 AND status = 'paid' AND created_at = ?2)",
        )
        .bind(&[order(), now.clone()])?;
    let consume = db
        .prepare(
            "UPDATE reservations SET status = 'consumed', updated_at = ?2
             WHERE id = ?1 AND status IN ('held', 'released')
               AND EXISTS (SELECT 1 FROM orders WHERE id = ?1 AND status = 'paid')",
        )
        .bind(&[order(), now.clone()])?;
    let timeline = db
        .prepare(
            Entry {
                at: "?2",
                from: "NULL",
                to: "status",
                actor: "'stripe'",
                detail: "CASE WHEN status = 'paid' THEN 'Payment received; C500 holds it until the build is proven or shipped'
                           WHEN refused = 'currency' THEN 'Paid in a currency other than US dollars: refunding in full'
                           WHEN refused = 'amount' THEN 'Paid an amount other than the drop''s price: refunding in full'
                           ELSE 'Paid after the hold lapsed and the drop sold out: refunding in full' END",
            }
            .sql("id = ?1 AND created_at = ?2"),
        )
        .bind(&[order(), now.clone()])?;
    let paid = &When::row(
        Table::Orders,
        vec![Check::Is("status", "paid"), Check::Now("created_at")],
    );
    let late = &When::row(
        Table::Orders,
        vec![
            Check::Is("status", "cancelled"),
            Check::Null("refused"),
            Check::Now("created_at"),
        ],
    );
    let refused = &When::row(
        Table::Orders,
        vec![Check::Set("refused"), Check::Now("created_at")],
    );
    // A refused payment's hold ends now: its unit goes back on sale.
    let release_refused = db
        .prepare(
            "UPDATE listings SET stock = stock + 1, updated_at = ?2
             WHERE id = (SELECT listing_id FROM reservations WHERE id = ?1 AND status = 'held')
               AND EXISTS (SELECT 1 FROM orders WHERE id = ?1 AND refused IS NOT NULL AND created_at = ?2)",
        )
        .bind(&[order(), now.clone()])?;
    let end_refused_hold = db
        .prepare(
            "UPDATE reservations SET status = 'released', updated_at = ?2
             WHERE id = ?1 AND status = 'held'
               AND EXISTS (SELECT 1 FROM orders WHERE id = ?1 AND refused IS NOT NULL AND created_at = ?2)",
        )
        .bind(&[order(), now.clone()])?;
    let id = p.order_id;
    let mut statements = vec![
        insert,
        late_unit,
        consume,
        release_refused,
        end_refused_hold,
        timeline,
        enqueue_if(
            db,
            &Job::OrderPaid {
                order: id.to_owned(),
            },
            &format!("order_paid:{id}"),
            paid,
            id,
            p.now_ms,
        )?,
        enqueue_if(
            db,
            &Job::SellerSale {
                order: id.to_owned(),
            },
            &format!("seller_sale:{id}"),
            paid,
            id,
            p.now_ms,
        )?,
        refresh_embed_if(db, p.listing_id, paid, id, p.now_ms)?,
        enqueue_if(
            db,
            &Job::LateRefund {
                order: id.to_owned(),
            },
            &format!("late_refund:{id}"),
            late,
            id,
            p.now_ms,
        )?,
        enqueue_if(
            db,
            &Job::RefusedRefund {
                order: id.to_owned(),
            },
            &format!("refused_refund:{id}"),
            refused,
            id,
            p.now_ms,
        )?,
        enqueue_if(
            db,
            &Job::HqRefusedPayment {
                order: id.to_owned(),
            },
            &format!("hq_refused_payment:{id}"),
            refused,
            id,
            p.now_ms,
        )?,
        refresh_embed_if(db, p.listing_id, refused, id, p.now_ms)?,
    ];
    // The ledger's first row: the charge (one per order, whatever redelivers the event).
    statements.push(super::ledger::charge_statement(db, p.order_id, p.now_ms)?);
    Ok(statements)
}

/// Returns the order's id if this batch (`now_ms`) made it cancelled: paid after its hold
/// lapsed with nothing left to sell, so it must be refunded.
pub fn cancelled_now_statement(
    db: &D1Database,
    order_id: &str,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare("SELECT id FROM orders WHERE id = ?1 AND status = 'cancelled' AND created_at = ?2")
        .bind(&[order_id.into(), num(now_ms)])?)
}

/// A completed Checkout whose payment is still on its way (a delayed method): the unit
/// stays held until Stripe reports the outcome.
pub fn awaiting_payment_statement(
    db: &D1Database,
    order_id: &str,
    session_id: &str,
    until_ms: f64,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "UPDATE reservations SET expires_at = MAX(expires_at, ?3), checkout_session_id = COALESCE(checkout_session_id, ?2), updated_at = ?4
             WHERE id = ?1 AND status = 'held'",
        )
        .bind(&[order_id.into(), session_id.into(), num(until_ms), num(now_ms)])?)
}

/// The hold ended (Checkout expired, payment failed, swept): its unit returns and the
/// drop's embed is refreshed.
pub fn hold_ended_statements(
    db: &D1Database,
    hold_id: &str,
    listing_id: &str,
    now_ms: f64,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let mut statements = release_statements(db, hold_id, false, now_ms)?;
    statements.push(refresh_embed_if(
        db,
        listing_id,
        &When::Always,
        hold_id,
        now_ms,
    )?);
    Ok(statements)
}

/// A dispute opened: the order is frozen (escrow stays held, nothing can be released) and
/// HQ is alerted. A dispute already closed (events out of order) is not reopened.
pub fn dispute_opened_statements(
    db: &D1Database,
    payment_intent: &str,
    dispute_id: &str,
    now_ms: f64,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let now = num(now_ms);
    // Exactly-once keys on ids, never on prose: the dispute's ledger row says it closed.
    let not_closed = "NOT EXISTS (SELECT 1 FROM ledger d WHERE d.id = 'stripe-' || ?3 AND d.status <> 'pending')";
    Ok(vec![
        db.prepare(
            Entry {
                at: "?2",
                from: "status",
                to: "'disputed'",
                actor: "'stripe'",
                detail: "'Dispute ' || ?3 || ' opened'",
            }
            .sql(&format!(
                "payment_intent_id = ?1 AND status NOT IN ('disputed', 'refunded', 'cancelled') AND {not_closed}"
            )),
        )
        .bind(&[payment_intent.into(), now.clone(), dispute_id.into()])?,
        enqueue_if(
            db,
            &Job::HqDispute {
                payment_intent: payment_intent.to_owned(),
                dispute: dispute_id.to_owned(),
                opened: true,
            },
            &format!("hq_dispute:{dispute_id}:opened"),
            &order_by_payment_intent(),
            payment_intent,
            now_ms,
        )?,
        db.prepare(format!(
            "UPDATE orders SET status = 'disputed', updated_at = ?2
             WHERE payment_intent_id = ?1 AND status NOT IN ('disputed', 'refunded', 'cancelled') AND {not_closed}"
        ))
        .bind(&[payment_intent.into(), now, dispute_id.into()])?,
    ])
}

/// A dispute closed. Won: the order goes back to where it was. Lost: the money went back
/// to the buyer through their bank, and a lost dispute bans the buyer (the brief's rule).
pub fn dispute_closed_statements(
    db: &D1Database,
    payment_intent: &str,
    dispute_id: &str,
    lost: bool,
    now_ms: f64,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let now = num(now_ms);
    let outcome = if lost { "lost" } else { "won" };
    let detail = format!("Dispute {dispute_id} closed: {outcome}");
    let mut statements = vec![
        db.prepare(
            Entry {
                at: "?2",
                from: "status",
                // Back to what it was before the dispute, unless lost.
                to: "CASE WHEN ?4 = 1 THEN 'refunded' ELSE COALESCE((SELECT e.from_status FROM order_events e
                       WHERE e.order_id = orders.id AND e.to_status = 'disputed' ORDER BY e.id DESC LIMIT 1), status) END",
                actor: "'stripe'",
                detail: "?3",
            }
            .sql(
                "payment_intent_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM ledger d WHERE d.id = 'stripe-' || ?5 AND d.status <> 'pending')",
            ),
        )
        .bind(&[payment_intent.into(), now.clone(), detail.as_str().into(), JsValue::from(u8::from(lost)), dispute_id.into()])?,
        enqueue_if(
            db,
            &Job::HqDispute {
                payment_intent: payment_intent.to_owned(),
                dispute: dispute_id.to_owned(),
                opened: false,
            },
            &format!("hq_dispute:{dispute_id}:closed"),
            &order_by_payment_intent(),
            payment_intent,
            now_ms,
        )?,
    ];
    if lost {
        statements.push(
            db.prepare(
                "UPDATE users SET lost_disputes = lost_disputes + 1, is_banned = 1,
                   ban_reason = 'Lost a payment dispute', updated_at = ?2
                 WHERE discord_id = (SELECT buyer_id FROM orders WHERE payment_intent_id = ?1)
                   AND NOT EXISTS (SELECT 1 FROM ledger d WHERE d.id = 'stripe-' || ?3 AND d.status <> 'pending')",
            )
            .bind(&[payment_intent.into(), now.clone(), dispute_id.into()])?,
        );
        statements.push(
            db.prepare(
                "UPDATE orders SET status = 'refunded', updated_at = ?2
                 WHERE payment_intent_id = ?1 AND status NOT IN ('refunded', 'cancelled')",
            )
            .bind(&[payment_intent.into(), now])?,
        );
    } else {
        statements.push(
            db.prepare(
                "UPDATE orders SET status = COALESCE((SELECT e.from_status FROM order_events e
                   WHERE e.order_id = orders.id AND e.to_status = 'disputed' ORDER BY e.id DESC LIMIT 1), 'paid'),
                   updated_at = ?2
                 WHERE payment_intent_id = ?1 AND status = 'disputed'",
            )
            .bind(&[payment_intent.into(), now])?,
        );
    }
    Ok(statements)
}

/// A hold past its expiry, for the cron sweep.
#[derive(Debug, Deserialize)]
pub struct LapsedHold {
    pub id: String,
    pub listing_id: String,
    pub checkout_session_id: Option<String>,
}

pub async fn lapsed_holds(
    db: &D1Database,
    now_ms: f64,
    limit: u32,
) -> Result<Vec<LapsedHold>, StoreError> {
    let result = db
        .prepare(
            "SELECT id, listing_id, checkout_session_id FROM reservations
             WHERE status = 'held' AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2",
        )
        .bind(&[num(now_ms), JsValue::from(limit)])?
        .all()
        .counted()
        .await?;
    Ok(result.results()?)
}

pub async fn end_hold(
    db: &D1Database,
    hold_id: &str,
    listing_id: &str,
    now_ms: f64,
) -> Result<(), StoreError> {
    db.batch(hold_ended_statements(db, hold_id, listing_id, now_ms)?)
        .counted()
        .await?;
    Ok(())
}
