//! The builder dashboard on the site (issue 12.4): everything on the page in ONE batch, and
//! the CSV exports (orders, payouts) in one read each. Money is exact integer cents; a
//! payment C500 refused (another currency or amount) and a cancelled order count nowhere.

use super::fulfilment::QueueRow;
use super::sessions::{self, Check, Viewer};
use super::{num, Batch, Counted, Row, StoreError};
use crate::domain::listing::Kind;
use serde_json::Value;
use worker::D1Database;

/// The shop's sums: what is held, released, charged and kept as fees.
#[derive(Debug)]
pub struct Sums {
    pub approved: i64,
    pub handle: String,
    pub invite_url: Option<String>,
    /// Buyers' payments on orders that stand (not refunded, not cancelled).
    pub sales_cents: i64,
    /// C500's 10% on those.
    pub fees_cents: i64,
    /// Payouts still held by C500.
    pub held_cents: i64,
    /// Transfers − reversals, from the ledger.
    pub released_cents: i64,
    /// Refunds Stripe made on the builder's orders (the ledger).
    pub refunded_cents: i64,
    pub orders: i64,
}

/// A live drop, which the builder can still change.
#[derive(Debug)]
pub struct MyDrop {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub price_cents: i64,
    pub stock: i64,
    pub quantity: i64,
    pub sold: i64,
}

#[derive(Debug)]
pub struct DaySum {
    pub day: i64,
    pub cents: i64,
}

#[derive(Debug)]
pub struct DropUnits {
    pub title: String,
    pub units: i64,
}

#[derive(Debug)]
pub struct ShipTime {
    pub hours: f64,
}

/// The dashboard page's facts.
pub struct DashboardPage {
    pub sums: Sums,
    pub drops: Vec<MyDrop>,
    pub waiting: Vec<QueueRow>,
    pub days: Vec<DaySum>,
    pub units: Vec<DropUnits>,
    pub ship_times: Vec<ShipTime>,
}

/// Orders that stand: not cancelled, not refused.
const STANDING: &str = "o.status <> 'cancelled' AND o.refused IS NULL";

/// ONE batch: whether the session `check` names is alive (its user), and the dashboard of
/// that account (None: not a builder), which the caller shows only to a live session.
pub async fn page(
    db: &D1Database,
    check: Check<'_>,
    since_ms: f64,
) -> Result<(Option<Viewer>, Option<DashboardPage>), StoreError> {
    let seller = check.discord_id;
    let sums = db
        .prepare(format!(
            "SELECT b.approved, b.handle, b.invite_url,
               (SELECT COALESCE(SUM(o.gross_cents), 0) FROM orders o WHERE o.seller_id = ?1 AND {STANDING} AND o.status <> 'refunded') AS sales_cents,
               (SELECT COALESCE(SUM(o.fee_cents), 0) FROM orders o WHERE o.seller_id = ?1 AND {STANDING} AND o.status <> 'refunded') AS fees_cents,
               (SELECT COALESCE(SUM(o.payout_cents), 0) FROM orders o WHERE o.seller_id = ?1 AND o.escrow = 'held' AND {STANDING}) AS held_cents,
               (SELECT COALESCE(SUM(CASE l.kind WHEN 'transfer' THEN l.amount_cents ELSE -l.amount_cents END), 0)
                  FROM ledger l JOIN orders o ON o.id = l.order_id
                  WHERE o.seller_id = ?1 AND l.status = 'succeeded' AND l.kind IN ('transfer', 'reversal')) AS released_cents,
               (SELECT COALESCE(SUM(l.amount_cents), 0) FROM ledger l JOIN orders o ON o.id = l.order_id
                  WHERE o.seller_id = ?1 AND l.status = 'succeeded' AND l.kind = 'refund') AS refunded_cents,
               (SELECT COUNT(*) FROM orders o WHERE o.seller_id = ?1 AND {STANDING}) AS orders
             FROM builders b WHERE b.discord_id = ?1"
        ))
        .bind(&[seller.into()])?;
    let drops = db
        .prepare(format!(
            "SELECT l.id, l.title, l.status, l.kind, l.price_cents, l.stock, l.quantity,
               (SELECT COUNT(*) FROM orders o WHERE o.listing_id = l.id AND {STANDING}) AS sold
             FROM listings l WHERE l.seller_id = ?1 AND l.status = 'live'
             ORDER BY l.created_at DESC LIMIT 50"
        ))
        .bind(&[seller.into()])?;
    let waiting = db
        .prepare(
            "SELECT o.id, l.title, o.status, o.kind, o.stream_url, o.proof_waived_by, o.escrow, o.paid_at,
               o.promised_by, o.buyer_id
             FROM orders o JOIN listings l ON l.id = o.listing_id
             WHERE o.seller_id = ?1 AND (o.status IN ('paid', 'building') OR (o.status = 'shipped' AND o.escrow = 'held'))
             ORDER BY o.paid_at, o.id LIMIT 50",
        )
        .bind(&[seller.into()])?;
    let days = db
        .prepare(format!(
            "SELECT CAST(o.paid_at / 86400000 AS INTEGER) AS day, SUM(o.gross_cents) AS cents
             FROM orders o WHERE o.seller_id = ?1 AND {STANDING} AND o.status <> 'refunded' AND o.paid_at >= ?2
             GROUP BY day ORDER BY day"
        ))
        .bind(&[seller.into(), num(since_ms)])?;
    let units = db
        .prepare(format!(
            "SELECT l.title, COUNT(*) AS units FROM orders o JOIN listings l ON l.id = o.listing_id
             WHERE o.seller_id = ?1 AND {STANDING} GROUP BY o.listing_id ORDER BY units DESC, l.title LIMIT 8"
        ))
        .bind(&[seller.into()])?;
    let ship_times = db
        .prepare(
            "SELECT (o.shipped_at - o.paid_at) / 3600000.0 AS hours FROM orders o
             WHERE o.seller_id = ?1 AND o.shipped_at IS NOT NULL ORDER BY o.shipped_at DESC LIMIT 500",
        )
        .bind(&[seller.into()])?;
    let mut batch = Batch::new();
    let viewer_rows = batch.read::<Viewer>(sessions::alive(db, &check)?);
    let sums_rows = batch.read::<Value>(sums);
    let drop_rows = batch.read::<Value>(drops);
    let waiting_rows = batch.read::<QueueRow>(waiting);
    let day_rows = batch.read::<Value>(days);
    let unit_rows = batch.read::<Value>(units);
    let ship_rows = batch.read::<Value>(ship_times);
    let done = batch.run(db).await?;
    let viewer = done.first(&viewer_rows)?;
    let Some(sums) = done.first(&sums_rows)? else {
        return Ok((viewer, None));
    };
    let s = Row(&sums);
    let page = DashboardPage {
        sums: Sums {
            approved: s.int("approved"),
            handle: s.text("handle"),
            invite_url: s.opt_text("invite_url"),
            sales_cents: s.int("sales_cents"),
            fees_cents: s.int("fees_cents"),
            held_cents: s.int("held_cents"),
            released_cents: s.int("released_cents"),
            refunded_cents: s.int("refunded_cents"),
            orders: s.int("orders"),
        },
        drops: done
            .rows(&drop_rows)?
            .iter()
            .map(|v| {
                let r = Row(v);
                MyDrop {
                    id: r.text("id"),
                    title: r.text("title"),
                    kind: Kind::parse(&r.text("kind")).unwrap_or(Kind::ReadyToShip),
                    price_cents: r.int("price_cents"),
                    stock: r.int("stock"),
                    quantity: r.int("quantity"),
                    sold: r.int("sold"),
                }
            })
            .collect(),
        waiting: done.rows(&waiting_rows)?,
        days: done
            .rows(&day_rows)?
            .iter()
            .map(|v| DaySum {
                day: Row(v).int("day"),
                cents: Row(v).int("cents"),
            })
            .collect(),
        units: done
            .rows(&unit_rows)?
            .iter()
            .map(|v| DropUnits {
                title: Row(v).text("title"),
                units: Row(v).int("units"),
            })
            .collect(),
        ship_times: done
            .rows(&ship_rows)?
            .iter()
            .map(|v| ShipTime {
                hours: Row(v).num("hours"),
            })
            .collect(),
    };
    Ok((viewer, Some(page)))
}

/// One order in the orders export.
#[derive(Debug)]
pub struct OrderLine {
    pub id: String,
    pub created_at: f64,
    pub paid_at: f64,
    pub shipped_at: Option<f64>,
    pub title: String,
    pub status: String,
    pub escrow: String,
    pub item_cents: i64,
    pub shipping_cents: i64,
    pub gross_cents: i64,
    pub fee_cents: i64,
    pub payout_cents: i64,
    pub refunded_cents: i64,
    pub released_cents: i64,
}

/// Every order of the builder's (refused payments excluded: they were never sales), oldest
/// first, with what was refunded and released on each (the ledger). At most `limit`.
pub async fn order_lines(
    db: &D1Database,
    seller: &str,
    limit: u32,
) -> Result<Vec<OrderLine>, StoreError> {
    let result = db
        .prepare(
            "SELECT o.id, o.created_at, o.paid_at, o.shipped_at, l.title, o.status, o.escrow, o.item_cents,
               o.shipping_cents, o.gross_cents, o.fee_cents, o.payout_cents,
               (SELECT COALESCE(SUM(g.amount_cents), 0) FROM ledger g WHERE g.order_id = o.id AND g.kind = 'refund' AND g.status = 'succeeded') AS refunded_cents,
               (SELECT COALESCE(SUM(CASE g.kind WHEN 'transfer' THEN g.amount_cents ELSE -g.amount_cents END), 0) FROM ledger g
                  WHERE g.order_id = o.id AND g.kind IN ('transfer', 'reversal') AND g.status = 'succeeded') AS released_cents
             FROM orders o JOIN listings l ON l.id = o.listing_id
             WHERE o.seller_id = ?1 AND o.refused IS NULL ORDER BY o.created_at, o.id LIMIT ?2",
        )
        .bind(&[seller.into(), wasm_bindgen::JsValue::from(limit)])?
        .all()
        .counted()
        .await?;
    Ok(result
        .results::<Value>()?
        .iter()
        .map(|v| {
            let r = Row(v);
            OrderLine {
                id: r.text("id"),
                created_at: r.num("created_at"),
                paid_at: r.num("paid_at"),
                shipped_at: r.opt_num("shipped_at"),
                title: r.text("title"),
                status: r.text("status"),
                escrow: r.text("escrow"),
                item_cents: r.int("item_cents"),
                shipping_cents: r.int("shipping_cents"),
                gross_cents: r.int("gross_cents"),
                fee_cents: r.int("fee_cents"),
                payout_cents: r.int("payout_cents"),
                refunded_cents: r.int("refunded_cents"),
                released_cents: r.int("released_cents"),
            }
        })
        .collect())
}

/// One payout (a transfer to the builder) or its reversal, in the payouts export.
#[derive(Debug)]
pub struct PayoutLine {
    pub at: f64,
    pub order_id: String,
    pub kind: String,
    pub amount_cents: i64,
    pub stripe_id: Option<String>,
}

/// The builder's succeeded transfers and reversals, oldest first. At most `limit`.
pub async fn payout_lines(
    db: &D1Database,
    seller: &str,
    limit: u32,
) -> Result<Vec<PayoutLine>, StoreError> {
    let result = db
        .prepare(
            "SELECT g.updated_at AS at, g.order_id, g.kind, g.amount_cents, g.stripe_id
             FROM ledger g JOIN orders o ON o.id = g.order_id
             WHERE o.seller_id = ?1 AND g.kind IN ('transfer', 'reversal') AND g.status = 'succeeded'
             ORDER BY g.updated_at, g.id LIMIT ?2",
        )
        .bind(&[seller.into(), wasm_bindgen::JsValue::from(limit)])?
        .all()
        .counted()
        .await?;
    Ok(result
        .results::<Value>()?
        .iter()
        .map(|v| {
            let r = Row(v);
            PayoutLine {
                at: r.num("at"),
                order_id: r.text("order_id"),
                kind: r.text("kind"),
                amount_cents: r.int("amount_cents"),
                stripe_id: r.opt_text("stripe_id"),
            }
        })
        .collect())
}

/// Sets (or, with None, clears) the builder's server invite; false: not a builder.
pub async fn set_invite(
    db: &D1Database,
    seller: &str,
    invite: Option<&str>,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let result = db
        .prepare("UPDATE builders SET invite_url = ?2, updated_at = ?3 WHERE discord_id = ?1 RETURNING discord_id")
        .bind(&[
            seller.into(),
            invite.map_or(wasm_bindgen::JsValue::NULL, Into::into),
            num(now_ms),
        ])?
        .all()
        .counted()
        .await?;
    Ok(!result.results::<Value>()?.is_empty())
}

/// Whether `seller` has a shop, certified or not (a revoked builder still exports their
/// history, for taxes).
pub async fn has_shop(db: &D1Database, seller: &str) -> Result<bool, StoreError> {
    Ok(db
        .prepare("SELECT 1 AS yes FROM builders WHERE discord_id = ?1")
        .bind(&[seller.into()])?
        .first::<Value>(None)
        .counted()
        .await?
        .is_some())
}
