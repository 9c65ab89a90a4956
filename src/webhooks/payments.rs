//! What Stripe's payment events mean for holds and orders. Each event becomes statements for
//! the one batch that also records the event, so it applies exactly once, and each statement
//! is conditional on the state it expects, so late and out-of-order events are harmless.

use super::{internal, WebhookError};
use crate::clients::stripe::Stripe;
use crate::context::Cx;
use crate::domain::buying::ASYNC_PAYMENT_HOLD_MS;
use crate::domain::escrow::MoveStatus;
use crate::domain::ids::token_from_random;
use crate::domain::jobs::Job;
use crate::domain::money::{self, split, Cents};
use crate::store::buying::{self, Payment};
use crate::store::ledger::{self, StripeRefund};
use crate::store::outbox::{enqueue_if, When};
use crate::store::{Batch, Read, ReturnedId};
use crate::stripe::event::{Charge, CheckoutSession, Dispute, Event};
use worker::{D1Database, D1PreparedStatement};

/// An event's statements, the order whose money must be settled after the batch, and the
/// drop whose line to serve.
pub struct Plan {
    pub batch: Batch,
    /// The statement that returns the id of that order (if it has one).
    pub order: Option<Read<ReturnedId>>,
    /// A unit may have come back: the line to serve after the response (flows::waitlist),
    /// rather than at the next cron minute.
    pub unit_back: Option<Line>,
}

/// Which waitlist a returned unit belongs to.
pub enum Line {
    Of(String),
    /// A drop not known here (a refund, whose order is settled after the batch): every line.
    Any,
}

impl Line {
    pub fn listing(&self) -> Option<&str> {
        match self {
            Line::Of(listing) => Some(listing),
            Line::Any => None,
        }
    }
}

impl Plan {
    pub fn effects(statements: Vec<D1PreparedStatement>) -> Plan {
        Plan {
            batch: Batch::of(statements),
            order: None,
            unit_back: None,
        }
    }

    /// Statements whose last one returns the id of the order to settle.
    fn money(statements: Vec<D1PreparedStatement>) -> Plan {
        let (batch, order) = Batch::ending_with_read(statements);
        Plan {
            batch,
            order,
            unit_back: None,
        }
    }

    fn none() -> Plan {
        Plan::effects(Vec::new())
    }
}

fn object<T: for<'de> serde::Deserialize<'de>>(event: &Event) -> Result<T, WebhookError> {
    serde_json::from_value(event.data.object.clone()).map_err(|_| WebhookError::Malformed)
}

/// `env` is for the reads some events need first (a charge's refunds, as Stripe lists them).
pub async fn plan(
    cx: &Cx,
    db: &D1Database,
    event: &Event,
    now_ms: f64,
) -> Result<Plan, WebhookError> {
    let env = &cx.env;
    match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            let session: CheckoutSession = object(event)?;
            let (Some(order), Some(listing)) = (
                session.metadata.order_id.clone(),
                session.metadata.listing_id.clone(),
            ) else {
                // Not a checkout C500 created (no order in its metadata): never an order. It
                // is not refunded either, since it may be HQ's own (a Payment Link on the same
                // account); HQ is told, once per session.
                return not_ours(db, &session, now_ms);
            };
            if session.payment_status == "unpaid" {
                // A delayed method: keep the unit until Stripe reports the outcome.
                return Ok(Plan::effects(vec![buying::awaiting_payment_statement(
                    db,
                    &order,
                    &session.id,
                    now_ms + ASYNC_PAYMENT_HOLD_MS,
                    now_ms,
                )
                .map_err(internal)?]));
            }
            paid(db, &session, &order, &listing, now_ms)
        }
        "checkout.session.expired" | "checkout.session.async_payment_failed" => {
            let session: CheckoutSession = object(event)?;
            let (Some(order), Some(listing)) =
                (session.metadata.order_id, session.metadata.listing_id)
            else {
                return Ok(Plan::none());
            };
            let statements =
                buying::hold_ended_statements(db, &order, &listing, now_ms).map_err(internal)?;
            Ok(Plan {
                unit_back: Some(Line::Of(listing)),
                ..Plan::effects(statements)
            })
        }
        "charge.refunded" => {
            let charge: Charge = object(event)?;
            let Some(pi) = charge.payment_intent else {
                return Ok(Plan::none());
            };
            // The event says how much; the ledger keeps one row per refund, so ask Stripe
            // which refunds there are (a failure here is a 500: Stripe delivers again).
            let stripe = Stripe::from_env(env).map_err(internal)?;
            let refunds = stripe.refunds_of(&pi).await.map_err(internal)?;
            let listed: Vec<StripeRefund<'_>> = refunds
                .iter()
                .map(|r| StripeRefund {
                    id: &r.id,
                    amount: r.amount,
                    ledger_id: r.metadata.get("c500_ledger").map(String::as_str),
                    live: !matches!(r.status.as_deref(), Some("failed" | "canceled")),
                })
                .collect();
            Ok(Plan {
                // A refund before shipping gives the unit back once it is settled.
                unit_back: Some(Line::Any),
                ..Plan::money(
                    ledger::refund_statements(db, &pi, &listed, now_ms).map_err(internal)?,
                )
            })
        }
        "charge.dispute.created" | "charge.dispute.closed" => {
            let dispute: Dispute = object(event)?;
            let Some(pi) = dispute.payment_intent.clone() else {
                return Ok(Plan::none());
            };
            let lost = dispute.status == "lost";
            let (statements, status) = if event.kind.ends_with("created") {
                (
                    buying::dispute_opened_statements(db, &pi, &dispute.id, now_ms),
                    MoveStatus::Pending,
                )
            } else {
                (
                    buying::dispute_closed_statements(db, &pi, &dispute.id, lost, now_ms),
                    if lost {
                        MoveStatus::Succeeded
                    } else {
                        MoveStatus::Failed
                    },
                )
            };
            let mut statements = statements.map_err(internal)?;
            statements.extend(
                ledger::dispute_statements(db, &pi, &dispute.id, dispute.amount, status, now_ms)
                    .map_err(internal)?,
            );
            Ok(Plan::money(statements))
        }
        _ => Ok(Plan::none()),
    }
}

fn not_ours(db: &D1Database, session: &CheckoutSession, now_ms: f64) -> Result<Plan, WebhookError> {
    if session.payment_status == "unpaid" {
        return Ok(Plan::none());
    }
    let charged = money::charged(
        session.amount_total.unwrap_or(0),
        session.currency.as_deref().unwrap_or_default(),
    );
    let job = Job::HqNotice {
        title: "Payment without a C500 order".to_owned(),
        body: format!(
            "Checkout `{}` on C500's Stripe account was paid {charged}, but it carries no C500 order id, so C500 made no order from it. If nobody at C500 created it, refund it in the Stripe Dashboard.",
            session.id
        ),
    };
    let key = format!("hq_not_ours:{}", session.id);
    Ok(Plan::effects(vec![enqueue_if(
        db,
        &job,
        &key,
        &When::Always,
        &session.id,
        now_ms,
    )
    .map_err(internal)?]))
}

fn paid(
    db: &D1Database,
    session: &CheckoutSession,
    order: &str,
    listing: &str,
    now_ms: f64,
) -> Result<Plan, WebhookError> {
    let mut random = [0u8; 20];
    getrandom::fill(&mut random).map_err(internal)?;
    let token = token_from_random(&random);
    let payment = Payment {
        order_id: order,
        listing_id: listing,
        session_id: &session.id,
        payment_intent: session.payment_intent.as_deref(),
        shipping_address: session.shipping_address(),
        split: split(Cents::new(session.amount_total.unwrap_or(0))),
        currency: session.currency.as_deref().unwrap_or_default(),
        status_token: &token,
        now_ms,
    };
    let mut statements = buying::paid_statements(db, &payment).map_err(internal)?;
    // Only a payment that came too late for its unit has money to move now (its refund).
    statements.push(buying::cancelled_now_statement(db, order, now_ms).map_err(internal)?);
    Ok(Plan::money(statements))
}
