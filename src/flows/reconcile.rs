//! Reconciliation: the ledger against Stripe. For each recent order, Stripe's refunds (by
//! payment) and transfers (by transfer group, with what was reversed of each) are listed and
//! compared with the ledger's rows; every mismatch is reported to the HQ channel. Daily by
//! cron, and on demand with `/c500-hq reconcile`.

use crate::clients::stripe::Stripe;
use crate::context::Cx;
use crate::domain::escrow::{within_charge, MoveKind, MoveStatus};
use crate::domain::jobs::Job;
use crate::domain::money::Cents;
use crate::error::Failure;
use crate::log;
use crate::store::{self, ledger};
use serde_json::json;
use worker::D1Database;

/// How far back a daily run looks: Stripe retries webhooks for up to 3 days.
pub const WINDOW_MS: f64 = 4.0 * 24.0 * 3600.0 * 1000.0;
/// A claim unanswered this long is reported (cron retries it every minute).
const STALE_CLAIM_MS: f64 = 10.0 * 60.0 * 1000.0;

#[derive(Debug, Default)]
pub struct Report {
    pub orders: usize,
    pub mismatches: Vec<String>,
}

pub async fn run(cx: &Cx, db: &D1Database, now_ms: f64, limit: u32) -> Result<Report, Failure> {
    let env = &cx.env;
    let stripe = Stripe::from_env(env)?;
    let orders = ledger::to_reconcile(db, now_ms - WINDOW_MS, limit).await?;
    let mut report = Report {
        orders: orders.len(),
        ..Report::default()
    };
    for order in &orders {
        let Some(pi) = &order.payment_intent_id else {
            continue;
        };
        let Some(money) = ledger::money(db, &order.id).await? else {
            continue;
        };
        let (refunds, transfers) = match (
            stripe.refunds_of(pi).await,
            stripe.transfers_of(&order.id).await,
        ) {
            (Ok(r), Ok(t)) => (r, t),
            (Err(e), _) | (_, Err(e)) => {
                report
                    .mismatches
                    .push(format!("`{}`: Stripe could not be read ({e})", order.id));
                continue;
            }
        };
        let id = &order.id;
        let rows = &money.facts.moves;
        let ledger_has = |kind: MoveKind, stripe_id: &str, amount: i64| {
            rows.iter().any(|m| {
                m.kind == kind
                    && m.status == MoveStatus::Succeeded
                    && m.stripe_id.as_deref() == Some(stripe_id)
                    && m.amount.get() == amount
            })
        };
        for r in refunds
            .iter()
            .filter(|r| !matches!(r.status.as_deref(), Some("failed" | "canceled")))
        {
            if !ledger_has(MoveKind::Refund, &r.id, r.amount) {
                report.mismatches.push(format!(
                    "`{id}`: refund `{}` of {} at Stripe is not in the ledger",
                    r.id,
                    Cents::new(r.amount)
                ));
            }
        }
        for t in &transfers {
            if !ledger_has(MoveKind::Transfer, &t.id, t.amount) {
                report.mismatches.push(format!(
                    "`{id}`: transfer `{}` of {} at Stripe is not in the ledger",
                    t.id,
                    Cents::new(t.amount)
                ));
            }
            let reversed: i64 = rows
                .iter()
                .filter(|m| {
                    m.kind == MoveKind::Reversal
                        && m.status == MoveStatus::Succeeded
                        && m.target.as_deref() == Some(t.id.as_str())
                })
                .map(|m| m.amount.get())
                .sum();
            if reversed != t.amount_reversed {
                report.mismatches.push(format!(
                    "`{id}`: Stripe reversed {} of transfer `{}`, the ledger {}",
                    Cents::new(t.amount_reversed),
                    t.id,
                    Cents::new(reversed)
                ));
            }
        }
        for m in rows.iter().filter(|m| m.status == MoveStatus::Succeeded) {
            let Some(stripe_id) = m.stripe_id.as_deref() else {
                continue;
            };
            let at_stripe = match m.kind {
                MoveKind::Refund => refunds.iter().any(|r| r.id == stripe_id),
                MoveKind::Transfer => transfers.iter().any(|t| t.id == stripe_id),
                _ => true,
            };
            if !at_stripe {
                report.mismatches.push(format!(
                    "`{id}`: the ledger's {} `{stripe_id}` is not at Stripe",
                    m.kind.as_str()
                ));
            }
        }
        if money.facts.in_flight().is_some() && money_is_stale(&money, now_ms) {
            report.mismatches.push(format!(
                "`{id}`: a claimed movement has had no answer from Stripe for 10 minutes"
            ));
        }
        if !within_charge(&money.facts) {
            report.mismatches.push(format!(
                "`{id}`: refunds and payouts exceed the charge of {}",
                money.facts.gross
            ));
        }
    }
    log::event(
        "reconciled",
        json!({ "orders": report.orders, "mismatches": report.mismatches.len() }),
    );
    if !report.mismatches.is_empty() {
        let body = report.mismatches.join("\n");
        let job = Job::HqNotice {
            title: format!(
                "🧮 Reconciliation: {} mismatch(es) with Stripe",
                report.mismatches.len()
            ),
            body,
        };
        store::outbox::enqueue(db, &job, &format!("reconcile:{}", now_ms as i64), now_ms).await?;
    }
    Ok(report)
}

fn money_is_stale(money: &ledger::Money, now_ms: f64) -> bool {
    money.updated_at_ms <= now_ms - STALE_CLAIM_MS
}
