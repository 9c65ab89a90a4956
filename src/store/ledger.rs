//! The SQL of money: the ledger (one row per Stripe money object), escrow claims and their
//! answers. A claim is a compare-and-set on `orders.money_seq` (and the status it saw): of
//! two racing movements exactly one batch wins, and everything it claims is written in that
//! batch. Facts Stripe reports (refunds, disputes) are written as they come, commutatively,
//! and mark the order `money_dirty` until the escrow state is settled from them.

use super::outbox::{enqueue_if, refresh_embed_if, Check, Table, When};
use super::timeline::Entry;
use super::{cents, num, Batch, Counted, StoreError};
use crate::domain::escrow::{Escrow, Facts, MoveKind, MoveStatus, Movement, Step};
use crate::domain::jobs::Job;
use crate::domain::money::Cents;
use crate::domain::order::OrderStatus;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

/// An order's money with what Stripe calls need.
#[derive(Debug, Clone)]
pub struct Money {
    pub facts: Facts,
    pub seq: i64,
    /// A fact was recorded and the escrow state not yet settled from it.
    pub dirty: bool,
    /// When the order last changed (a claim unanswered since then is stale).
    pub updated_at_ms: f64,
    pub payment_intent: Option<String>,
    pub charge_id: Option<String>,
    pub seller_account: Option<String>,
    pub seller_id: String,
    pub listing_id: String,
}

#[derive(Deserialize)]
struct OrderRow {
    id: String,
    status: String,
    escrow: String,
    gross_cents: i64,
    money_seq: i64,
    money_dirty: i64,
    updated_at: f64,
    loss_absorbed_by: Option<String>,
    payouts_allowed: i64,
    payment_intent_id: Option<String>,
    charge_id: Option<String>,
    seller_account: Option<String>,
    seller_id: String,
    listing_id: String,
}

#[derive(Deserialize)]
struct LedgerRow {
    id: String,
    kind: String,
    status: String,
    amount_cents: i64,
    stripe_id: Option<String>,
    target: Option<String>,
    updated_at: f64,
}

fn unknown(what: &str, value: &str) -> StoreError {
    StoreError::Unexpected(format!("unknown {what} {value:?} in D1"))
}

fn movement(r: LedgerRow) -> Result<Movement, StoreError> {
    Ok(Movement {
        kind: MoveKind::parse(&r.kind).ok_or_else(|| unknown("ledger kind", &r.kind))?,
        status: MoveStatus::parse(&r.status).ok_or_else(|| unknown("ledger status", &r.status))?,
        amount: Cents::new(r.amount_cents),
        stripe_id: r.stripe_id,
        target: r.target,
        at_ms: r.updated_at,
        id: r.id,
    })
}

/// The order's money and its ledger, oldest first: one round trip.
pub async fn money(db: &D1Database, order_id: &str) -> Result<Option<Money>, StoreError> {
    let order = db
        .prepare(
            "SELECT o.id, o.status, o.escrow, o.gross_cents, o.money_seq, o.money_dirty, o.updated_at, o.loss_absorbed_by,
               (b.stripe_account_id IS NOT NULL AND b.payouts_enabled = 1 AND u.is_banned = 0) AS payouts_allowed,
               o.payment_intent_id, o.charge_id, b.stripe_account_id AS seller_account, o.seller_id, o.listing_id
             FROM orders o JOIN builders b ON b.discord_id = o.seller_id JOIN users u ON u.discord_id = o.seller_id
             WHERE o.id = ?1",
        )
        .bind(&[order_id.into()])?;
    let ledger = db
        .prepare(
            "SELECT id, kind, status, amount_cents, stripe_id, target, updated_at FROM ledger
             WHERE order_id = ?1 ORDER BY created_at, rowid",
        )
        .bind(&[order_id.into()])?;
    let mut batch = Batch::new();
    let order_rows = batch.read::<OrderRow>(order);
    let ledger_rows = batch.read::<LedgerRow>(ledger);
    let done = batch.run(db).await?;
    let Some(o) = done.first(&order_rows)? else {
        return Ok(None);
    };
    let moves = done
        .rows(&ledger_rows)?
        .into_iter()
        .map(movement)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Money {
        facts: Facts {
            status: OrderStatus::parse(&o.status)
                .ok_or_else(|| unknown("order status", &o.status))?,
            escrow: Escrow::parse(&o.escrow).ok_or_else(|| unknown("escrow", &o.escrow))?,
            gross: Cents::new(o.gross_cents),
            payouts_allowed: o.payouts_allowed == 1,
            absorbed: o.loss_absorbed_by.is_some(),
            moves,
            order_id: o.id,
        },
        seq: o.money_seq,
        dirty: o.money_dirty == 1,
        updated_at_ms: o.updated_at,
        payment_intent: o.payment_intent_id,
        charge_id: o.charge_id,
        seller_account: o.seller_account,
        seller_id: o.seller_id,
        listing_id: o.listing_id,
    }))
}

/// Applies `step` if nothing changed the order's money or status since `m` was read.
/// `true`: this batch won (its claims are taken); `false`: re-read and decide again.
pub async fn apply(
    db: &D1Database,
    m: &Money,
    step: &Step,
    actor: &str,
    why: Option<&str>,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let f = &m.facts;
    let now = num(now_ms);
    let id = || JsValue::from(f.order_id.as_str());
    let next = m.seq + 1;
    // The outbox's jobs are written only if the compare-and-set below won.
    let won_job = When::row(
        Table::Orders,
        vec![Check::Int("money_seq", next), Check::Now("updated_at")],
    );
    let mut batch = Batch::new();
    let cas = batch.read::<serde_json::Value>(db
        .prepare(
            "UPDATE orders SET escrow = ?2, status = ?3,
               loss_absorbed_by = CASE WHEN ?4 = 1 THEN COALESCE(loss_absorbed_by, ?7) ELSE loss_absorbed_by END,
               money_seq = money_seq + 1, money_dirty = 0, updated_at = ?5
             WHERE id = ?1 AND money_seq = ?6 AND status = ?8 RETURNING id",
        )
        .bind(&[
            id(),
            step.escrow.as_str().into(),
            step.status.as_str().into(),
            JsValue::from(u8::from(step.absorbed)),
            now.clone(),
            num(m.seq as f64),
            actor.into(),
            f.status.as_str().into(),
        ])?);
    // A statement of this batch that applies only if the compare-and-set above won: `{won}`
    // in its SQL becomes that condition, bound after the statement's own parameters.
    let guarded = |sql: &str, mut binds: Vec<JsValue>| -> Result<D1PreparedStatement, StoreError> {
        let k = binds.len();
        let cond = format!(
            "EXISTS (SELECT 1 FROM orders WHERE id = ?{} AND money_seq = {next} AND updated_at = ?{})",
            k + 1,
            k + 2
        );
        binds.push(id());
        binds.push(now.clone());
        Ok(db.prepare(sql.replace("{won}", &cond)).bind(&binds)?)
    };
    for c in &step.claims {
        batch.add(guarded(
            "INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, target, actor, created_at, updated_at)
             SELECT ?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?8 WHERE {won}",
            vec![
                c.id.as_str().into(),
                id(),
                c.kind.as_str().into(),
                c.kind.direction().as_str().into(),
                cents(c.amount),
                c.target.as_deref().map_or(JsValue::NULL, JsValue::from),
                actor.into(),
                now.clone(),
            ],
        )?);
    }
    if step.escrow != f.escrow || step.status != f.status {
        let detail = match why {
            Some(why) => format!("{}: {why}", timeline_note(f, step)),
            None => timeline_note(f, step),
        };
        let entry = Entry {
            at: "?2",
            from: "?3",
            to: "?4",
            actor: "?5",
            detail: "?6",
        };
        batch.add(guarded(
            &entry.sql("id = ?1 AND {won}"),
            vec![
                id(),
                now.clone(),
                f.status.as_str().into(),
                step.status.as_str().into(),
                actor.into(),
                detail.into(),
            ],
        )?);
    }
    if step.status == OrderStatus::Refunded && f.status != OrderStatus::Refunded {
        if matches!(f.status, OrderStatus::Paid | OrderStatus::Building) {
            // Never shipped: the unit goes back on sale.
            batch.add(guarded(
                "UPDATE listings SET stock = MIN(quantity, stock + 1), updated_at = ?2 WHERE id = ?1 AND {won}",
                vec![m.listing_id.as_str().into(), now.clone()],
            )?);
        }
        if let Some(pi) = &m.payment_intent {
            batch.add(enqueue_if(
                db,
                &Job::RefundedByPaymentIntent {
                    payment_intent: pi.clone(),
                },
                &format!("refunded:{pi}"),
                &won_job,
                &f.order_id,
                now_ms,
            )?);
        }
        // Stock came back (or the sold count changed): the drop's embed shows it.
        batch.add(refresh_embed_if(
            db,
            &m.listing_id,
            &won_job,
            &f.order_id,
            now_ms,
        )?);
    }
    if let Some(owed) = step.newly_owed {
        batch.add(enqueue_if(
            db,
            &Job::HqOwed {
                order: f.order_id.clone(),
                cents: owed.get(),
            },
            &format!("owed:{}:{next}", f.order_id),
            &won_job,
            &f.order_id,
            now_ms,
        )?);
    }
    batch.run(db).await?.changed(&cas)
}

/// What the timeline (the buyer's order page) says of a money change.
fn timeline_note(f: &Facts, step: &Step) -> String {
    let claimed: i64 = step.claims.iter().map(|c| c.amount.get()).sum();
    match step.escrow {
        Escrow::Releasing => format!("C500 is paying the builder {}", Cents::new(claimed)),
        Escrow::Released if f.absorbed != step.absorbed => {
            "C500 HQ took this order's loss on C500".to_owned()
        }
        Escrow::Released => format!(
            "Payment released to the builder ({})",
            Cents::new(f.net_transfer().get())
        ),
        Escrow::Refunding => format!("Refund of {} on its way", Cents::new(claimed)),
        Escrow::Reversing => {
            "Refund on its way; the builder's payout is being taken back".to_owned()
        }
        Escrow::Refunded | Escrow::Reversed => {
            format!("Refunded: {} back to the buyer", f.refunded())
        }
        Escrow::Owed => "Refunded; the builder owes C500 their share".to_owned(),
        Escrow::Held => format!("Payment held by C500 ({} kept)", f.kept()),
    }
}

/// How Stripe answered a claimed movement.
pub enum Answer<'a> {
    Moved(&'a str),
    Refused(&'a str),
}

/// Records Stripe's answer to a claimed movement (once: only a pending row changes) and
/// marks the order's money to be settled.
pub async fn record(
    db: &D1Database,
    order_id: &str,
    movement: &Movement,
    answer: Answer<'_>,
    now_ms: f64,
) -> Result<(), StoreError> {
    let (status, stripe_id, error) = match answer {
        Answer::Moved(id) => (MoveStatus::Succeeded, JsValue::from(id), JsValue::NULL),
        Answer::Refused(why) => (MoveStatus::Failed, JsValue::NULL, JsValue::from(why)),
    };
    let now = num(now_ms);
    let update = db
        .prepare(
            "UPDATE ledger SET status = ?3, stripe_id = COALESCE(stripe_id, ?4), error = ?5, updated_at = ?6
             WHERE id = ?1 AND order_id = ?2 AND status = 'pending'",
        )
        .bind(&[
            movement.id.as_str().into(),
            order_id.into(),
            status.as_str().into(),
            stripe_id.clone(),
            error,
            now.clone(),
        ])?;
    let column = match movement.kind {
        MoveKind::Transfer => "transfer_id",
        MoveKind::Refund => "refund_id",
        _ => "NULL",
    };
    let mut statements = vec![update, dirty(db, order_id, now_ms)?];
    if column != "NULL" && status == MoveStatus::Succeeded {
        statements.push(
            db.prepare(format!(
                "UPDATE orders SET {column} = COALESCE({column}, ?2) WHERE id = ?1"
            ))
            .bind(&[order_id.into(), stripe_id])?,
        );
    }
    db.batch(statements).counted().await?;
    Ok(())
}

/// Marks an order's money as changed (for a statement in the batch that changes it).
fn dirty(db: &D1Database, order_id: &str, now_ms: f64) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "UPDATE orders SET money_seq = money_seq + 1, money_dirty = 1, updated_at = ?2 WHERE id = ?1",
        )
        .bind(&[order_id.into(), num(now_ms)])?)
}

/// The same, for the order of a payment (webhooks know the PaymentIntent), returning its id.
pub fn dirty_by_payment_intent(
    db: &D1Database,
    payment_intent: &str,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "UPDATE orders SET money_seq = money_seq + 1, money_dirty = 1, updated_at = ?2
             WHERE payment_intent_id = ?1 RETURNING id",
        )
        .bind(&[payment_intent.into(), num(now_ms)])?)
}

/// A refund as Stripe lists it for a charge.
pub struct StripeRefund<'a> {
    pub id: &'a str,
    pub amount: i64,
    /// The ledger row C500 claimed it under (our refunds carry it in their metadata).
    pub ledger_id: Option<&'a str>,
    /// Not failed or canceled: the money is leaving or has left.
    pub live: bool,
}

/// Statements recording every refund of a payment that Stripe lists: C500's own claims are
/// settled, the others (the Dashboard's) become rows of their own. Commutative, so events
/// in any order, twice, or racing C500's own record end in the same ledger.
pub fn refund_statements(
    db: &D1Database,
    payment_intent: &str,
    refunds: &[StripeRefund<'_>],
    now_ms: f64,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    let now = num(now_ms);
    let mut statements = Vec::new();
    for r in refunds {
        let status = if r.live {
            MoveStatus::Succeeded
        } else {
            MoveStatus::Failed
        };
        if r.live {
            // The buyer's timeline says so once, whoever refunded (before the row is written).
            statements.push(
                db.prepare(
                    Entry {
                        at: "?3",
                        from: "status",
                        to: "status",
                        actor: "'stripe'",
                        detail: "?2",
                    }
                    .sql(
                        "payment_intent_id = ?4
                         AND NOT EXISTS (SELECT 1 FROM ledger WHERE stripe_id = ?1 AND status = 'succeeded')",
                    ),
                )
                .bind(&[
                    r.id.into(),
                    format!("Refund of {} to the buyer", Cents::new(r.amount)).into(),
                    now.clone(),
                    payment_intent.into(),
                ])?,
            );
        }
        match r.ledger_id.filter(|id| id.starts_with("refund-")) {
            Some(ours) => statements.push(
                db.prepare(
                    "UPDATE ledger SET status = ?3, stripe_id = ?2, updated_at = ?4
                     WHERE id = ?1 AND kind = 'refund' AND (status = 'pending' OR (status <> ?3 AND stripe_id = ?2))
                       AND order_id = (SELECT id FROM orders WHERE payment_intent_id = ?5)",
                )
                .bind(&[
                    ours.into(),
                    r.id.into(),
                    status.as_str().into(),
                    now.clone(),
                    payment_intent.into(),
                ])?,
            ),
            None => statements.push(
                db.prepare(
                    "INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
                     SELECT 'stripe-' || ?1, o.id, 'refund', 'out', ?2, ?3, ?1, 'stripe', ?4, ?4
                     FROM orders o WHERE o.payment_intent_id = ?5
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
                       WHERE ledger.status <> excluded.status",
                )
                .bind(&[
                    r.id.into(),
                    num(r.amount as f64),
                    status.as_str().into(),
                    now.clone(),
                    payment_intent.into(),
                ])?,
            ),
        }
    }
    statements.push(dirty_by_payment_intent(db, payment_intent, now_ms)?);
    Ok(statements)
}

/// A dispute as Stripe reports it: open (pending), lost (succeeded: the bank took the
/// money) or won (failed). A late "opened" never reopens a closed one.
pub fn dispute_statements(
    db: &D1Database,
    payment_intent: &str,
    dispute_id: &str,
    amount: i64,
    status: MoveStatus,
    now_ms: f64,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    Ok(vec![
        db.prepare(
            "INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
             SELECT 'stripe-' || ?1, o.id, 'dispute', 'out', ?2, ?3, ?1, 'stripe', ?4, ?4
             FROM orders o WHERE o.payment_intent_id = ?5
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
               WHERE ledger.status = 'pending' AND excluded.status <> 'pending'",
        )
        .bind(&[
            dispute_id.into(),
            num(amount as f64),
            status.as_str().into(),
            num(now_ms),
            payment_intent.into(),
        ])?,
        dirty_by_payment_intent(db, payment_intent, now_ms)?,
    ])
}

/// The ledger's charge row, for the batch that makes the order (`?1` order, `?2` now).
pub fn charge_statement(
    db: &D1Database,
    order_id: &str,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "INSERT INTO ledger (id, order_id, kind, direction, amount_cents, status, stripe_id, actor, created_at, updated_at)
             SELECT 'charge-' || id, id, 'charge', 'in', gross_cents, 'succeeded', payment_intent_id, 'stripe', ?2, ?2
             FROM orders WHERE id = ?1 AND created_at = ?2
             ON CONFLICT DO NOTHING",
        )
        .bind(&[order_id.into(), num(now_ms)])?)
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

async fn ids(db: &D1Database, sql: &str, binds: &[JsValue]) -> Result<Vec<String>, StoreError> {
    let result = db.prepare(sql).bind(binds)?.all().counted().await?;
    Ok(result.results::<Id>()?.into_iter().map(|i| i.id).collect())
}

/// Orders whose money needs finishing: a claim unanswered since `before_ms` (a crash or a
/// Stripe outage between claim and record), or a fact recorded and not yet settled.
pub async fn unfinished(
    db: &D1Database,
    before_ms: f64,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    ids(
        db,
        "SELECT DISTINCT order_id AS id FROM ledger
           WHERE status = 'pending' AND kind <> 'dispute' AND updated_at <= ?1
         UNION SELECT id FROM orders WHERE money_dirty = 1 AND updated_at <= ?1
         LIMIT ?2",
        &[num(before_ms), JsValue::from(limit)],
    )
    .await
}

/// Orders whose money should move and hasn't: shipped and unpaid builders whose account can
/// take it (a payout that failed or waited), and payments owed back in full (cancelled).
pub async fn due(db: &D1Database, limit: u32) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let payouts = ids(
        db,
        "SELECT o.id FROM orders o JOIN builders b ON b.discord_id = o.seller_id JOIN users u ON u.discord_id = o.seller_id
         WHERE o.status IN ('shipped', 'completed') AND o.escrow = 'held' AND b.payouts_enabled = 1 AND u.is_banned = 0
           AND b.stripe_account_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.order_id = o.id AND l.kind = 'dispute' AND l.status = 'pending')
         LIMIT ?1",
        &[JsValue::from(limit)],
    )
    .await?;
    let refunds = ids(
        db,
        "SELECT id FROM orders WHERE status = 'cancelled' AND escrow = 'held' AND payment_intent_id IS NOT NULL LIMIT ?1",
        &[JsValue::from(limit)],
    )
    .await?;
    Ok((payouts, refunds))
}

/// Orders whose builder owes C500 (a refused reversal), for the daily collection.
pub async fn owed(db: &D1Database, limit: u32) -> Result<Vec<String>, StoreError> {
    ids(
        db,
        "SELECT id FROM orders WHERE escrow = 'owed' LIMIT ?1",
        &[JsValue::from(limit)],
    )
    .await
}

/// An order to compare with Stripe.
#[derive(Debug, Deserialize)]
pub struct ToReconcile {
    pub id: String,
    pub payment_intent_id: Option<String>,
}

/// Orders with money activity since `since_ms` (and every unfinished one), newest first.
pub async fn to_reconcile(
    db: &D1Database,
    since_ms: f64,
    limit: u32,
) -> Result<Vec<ToReconcile>, StoreError> {
    let result = db
        .prepare(
            "SELECT o.id, o.payment_intent_id FROM orders o
             WHERE o.payment_intent_id IS NOT NULL AND (o.updated_at >= ?1 OR o.escrow IN ('releasing', 'refunding', 'reversing', 'owed')
               OR EXISTS (SELECT 1 FROM ledger l WHERE l.order_id = o.id AND l.updated_at >= ?1))
             ORDER BY o.updated_at DESC LIMIT ?2",
        )
        .bind(&[num(since_ms), JsValue::from(limit)])?
        .all()
        .counted()
        .await?;
    Ok(result.results()?)
}

/// A builder's orders whose reversal Stripe refused (their debt to C500, until settled).
pub async fn owed_by(db: &D1Database, seller: &str) -> Result<Vec<String>, StoreError> {
    ids(
        db,
        "SELECT id FROM orders WHERE seller_id = ?1 AND escrow = 'owed' LIMIT 100",
        &[seller.into()],
    )
    .await
}
