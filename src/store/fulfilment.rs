//! The SQL of fulfilment: shipping, HQ's waiver, the builder's queue and the cron timers
//! (the money itself is store::ledger's). Each change is conditional on the state it expects.

use super::outbox::{enqueue_if, Check, Table, When};
use super::timeline::Entry;
use super::{num, Batch, Counted, StoreError};
use crate::domain::escrow::Escrow;
use crate::domain::jobs::Job;
use crate::domain::listing::Kind;
use crate::domain::order::OrderStatus;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

/// An order with what the shipping and refund rules read (its money is store::ledger's).
#[derive(Debug, Clone, Deserialize)]
pub struct ActionOrder {
    pub id: String,
    pub seller_id: String,
    pub title: String,
    pub status: OrderStatus,
    pub escrow: Escrow,
    pub kind: Kind,
    pub stream_url: Option<String>,
    pub proof_waived_by: Option<String>,
}

pub async fn action_order(db: &D1Database, id: &str) -> Result<Option<ActionOrder>, StoreError> {
    Ok(db
        .prepare(
            "SELECT o.id, o.seller_id, l.title, o.status, o.escrow, o.kind, o.stream_url, o.proof_waived_by
             FROM orders o JOIN listings l ON l.id = o.listing_id WHERE o.id = ?1",
        )
        .bind(&[id.into()])?
        .first::<ActionOrder>(None)
        .counted()
        .await?)
}

/// paid|building → shipped, with the buyer's DM queued. `false`: it was not shippable
/// any more (a double click, a refund meanwhile).
pub async fn mark_shipped(
    db: &D1Database,
    id: &str,
    seller: &str,
    carrier: &str,
    tracking: &str,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let now = num(now_ms);
    let shippable =
        "id = ?1 AND seller_id = ?2 AND status IN ('paid', 'building') AND escrow = 'held'";
    let event = db
        .prepare(
            Entry {
                at: "?3",
                from: "status",
                to: "'shipped'",
                actor: "?2",
                detail: "'Shipped with ' || ?4 || ' ' || ?5",
            }
            .sql(shippable),
        )
        .bind(&[
            id.into(),
            seller.into(),
            now.clone(),
            carrier.into(),
            tracking.into(),
        ])?;
    let update = db
        .prepare(format!(
            "UPDATE orders SET status = 'shipped', carrier = ?4, tracking = ?5, shipped_at = ?3, updated_at = ?3
             WHERE {shippable} RETURNING id"
        ))
        .bind(&[id.into(), seller.into(), now, carrier.into(), tracking.into()])?;
    let dm = enqueue_if(
        db,
        &Job::Shipped {
            order: id.to_owned(),
        },
        &format!("shipped:{id}"),
        &When::row(
            Table::Orders,
            vec![Check::Is("status", "shipped"), Check::Now("shipped_at")],
        ),
        id,
        now_ms,
    )?;
    let mut batch = Batch::new();
    batch.add(event);
    let update_rows = batch.read::<serde_json::Value>(update);
    batch.add(dm);
    let done = batch.run(db).await?;
    done.changed(&update_rows)
}

/// HQ waives the live proof of a commission. `false`: no such open commission.
pub async fn waive_proof(
    db: &D1Database,
    id: &str,
    admin: &str,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let now = num(now_ms);
    let open = "id = ?1 AND kind = 'commission' AND status IN ('paid', 'building') AND proof_waived_by IS NULL";
    let event = db
        .prepare(
            Entry {
                at: "?3",
                from: "status",
                to: "status",
                actor: "?2",
                detail: "'Live proof waived by C500 HQ'",
            }
            .sql(open),
        )
        .bind(&[id.into(), admin.into(), now.clone()])?;
    let update = db
        .prepare(format!(
            "UPDATE orders SET proof_waived_by = ?2, updated_at = ?3 WHERE {open} RETURNING id"
        ))
        .bind(&[id.into(), admin.into(), now.clone()])?;
    let audit = db
        .prepare(
            "INSERT INTO admin_actions (admin_id, action, subject, at)
             SELECT ?2, 'waive_proof', ?1, ?3 WHERE EXISTS (SELECT 1 FROM orders WHERE id = ?1 AND proof_waived_by = ?2 AND updated_at = ?3)",
        )
        .bind(&[id.into(), admin.into(), now])?;
    let mut batch = Batch::new();
    batch.add(event);
    let update_rows = batch.read::<serde_json::Value>(update);
    batch.add(audit);
    let done = batch.run(db).await?;
    done.changed(&update_rows)
}

/// An order waiting on its builder.
#[derive(Debug, Clone, Deserialize)]
pub struct QueueRow {
    pub id: String,
    pub title: String,
    pub status: OrderStatus,
    pub kind: Kind,
    pub stream_url: Option<String>,
    pub proof_waived_by: Option<String>,
    pub escrow: Escrow,
    pub paid_at: f64,
    pub promised_by: Option<f64>,
    pub buyer_id: String,
}

/// The builder's open orders, oldest first (what `/c500 queue` and the order autocomplete show).
pub async fn queue(db: &D1Database, seller: &str, limit: u32) -> Result<Vec<QueueRow>, StoreError> {
    let result = db
        .prepare(
            "SELECT o.id, l.title, o.status, o.kind, o.stream_url, o.proof_waived_by, o.escrow, o.paid_at,
               o.promised_by, o.buyer_id
             FROM orders o JOIN listings l ON l.id = o.listing_id
             WHERE o.seller_id = ?1 AND (o.status IN ('paid', 'building') OR (o.status = 'shipped' AND o.escrow = 'held'))
             ORDER BY o.paid_at, o.id LIMIT ?2",
        )
        .bind(&[seller.into(), JsValue::from(limit)])?
        .all()
        .counted()
        .await?;
    Ok(result.results()?)
}

/// Orders whose id starts with what was typed, for an admin's autocomplete (any order).
pub async fn orders_like(
    db: &D1Database,
    typed: &str,
    limit: u32,
) -> Result<Vec<QueueRow>, StoreError> {
    let result = db
        .prepare(
            "SELECT o.id, l.title, o.status, o.kind, o.stream_url, o.proof_waived_by, o.escrow, o.paid_at,
               o.promised_by, o.buyer_id
             FROM orders o JOIN listings l ON l.id = o.listing_id
             WHERE o.id LIKE ?1 || '%' ORDER BY o.paid_at DESC LIMIT ?2",
        )
        .bind(&[typed.into(), JsValue::from(limit)])?
        .all()
        .counted()
        .await?;
    Ok(result.results()?)
}

/// Shipped orders past the buyer's window with no open report: completed, and each counts
/// toward the buyer's tier. Returns how many.
pub async fn complete_due(
    db: &D1Database,
    shipped_before_ms: f64,
    now_ms: f64,
) -> Result<usize, StoreError> {
    let due = "status = 'shipped' AND escrow = 'released' AND shipped_at <= ?1
       AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.order_id = orders.id AND r.status = 'open')";
    let now = num(now_ms);
    let event = db
        .prepare(
            Entry {
                at: "?2",
                from: "status",
                to: "'completed'",
                actor: "'cron'",
                detail: "'No report within the window: completed'",
            }
            .sql(due),
        )
        .bind(&[num(shipped_before_ms), now.clone()])?;
    let buyers = db
        .prepare(format!(
            "UPDATE users SET completed_orders = completed_orders + (
               SELECT COUNT(*) FROM orders WHERE orders.buyer_id = users.discord_id AND {due}), updated_at = ?2
             WHERE discord_id IN (SELECT buyer_id FROM orders WHERE {due})"
        ))
        .bind(&[num(shipped_before_ms), now.clone()])?;
    let update = db
        .prepare(format!(
            "UPDATE orders SET status = 'completed', completed_at = ?2, updated_at = ?2 WHERE {due} RETURNING id"
        ))
        .bind(&[num(shipped_before_ms), now])?;
    let mut batch = Batch::new();
    batch.add(event);
    batch.add(buyers);
    let update_rows = batch.read::<serde_json::Value>(update);
    let done = batch.run(db).await?;
    Ok(done.rows(&update_rows)?.len())
}

/// Commissions with no live proof 7 days past their promised date: flagged once, HQ and the
/// buyer told. Returns how many.
pub async fn flag_overdue(
    db: &D1Database,
    promised_before_ms: f64,
    now_ms: f64,
) -> Result<usize, StoreError> {
    let overdue =
        "kind = 'commission' AND status = 'paid' AND stream_url IS NULL AND proof_waived_by IS NULL
       AND flagged_overdue_at IS NULL AND promised_by <= ?1";
    let ids = db
        .prepare(format!("SELECT id FROM orders WHERE {overdue} LIMIT 50"))
        .bind(&[num(promised_before_ms)])?
        .all()
        .counted()
        .await?;
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let ids: Vec<Id> = ids.results()?;
    if ids.is_empty() {
        return Ok(0);
    }
    let mut statements = Vec::new();
    for Id { id } in &ids {
        for (job, key) in [
            (Job::Overdue { order: id.clone() }, format!("overdue:{id}")),
            (
                Job::OverdueHq { order: id.clone() },
                format!("overdue-hq:{id}"),
            ),
        ] {
            statements.push(enqueue_if(db, &job, &key, &When::Always, id, now_ms)?);
        }
        statements.push(
            db.prepare(
                Entry {
                    at: "?2",
                    from: "status",
                    to: "status",
                    actor: "'cron'",
                    detail: "'No live proof 7 days past the promised date: flagged to HQ'",
                }
                .sql("id = ?1 AND flagged_overdue_at IS NULL"),
            )
            .bind(&[id.as_str().into(), num(now_ms)])?,
        );
        statements.push(
            db.prepare("UPDATE orders SET flagged_overdue_at = ?2, updated_at = ?2 WHERE id = ?1 AND flagged_overdue_at IS NULL")
                .bind(&[id.as_str().into(), num(now_ms)])?,
        );
    }
    db.batch(statements).counted().await?;
    Ok(ids.len())
}
