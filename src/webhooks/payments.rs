//! What Stripe's payment events mean for holds and orders. Each event becomes statements for
//! the one batch that also records the event, so it applies exactly once, and each statement
//! is conditional on the state it expects, so late and out-of-order events are harmless.

use super::{internal, WebhookError};
use crate::clients::stripe::Stripe;
use crate::domain::buying::ASYNC_PAYMENT_HOLD_MS;
use crate::domain::ids::token_from_random;
use crate::domain::money::{split, Cents};
use crate::store::buying::{self, OrderAfterPayment, Payment};
use crate::stripe::event::{Charge, CheckoutSession, Dispute, Event};
use crate::{config, log};
use serde_json::json;
use worker::{D1Database, D1PreparedStatement, Date, Env};

/// An event's statements, and where (if anywhere) the batch reads the resulting order.
pub struct Plan {
    pub statements: Vec<D1PreparedStatement>,
    /// Index in `statements` of the read of the order after a payment.
    pub read_order_at: Option<usize>,
    pub order_id: Option<String>,
}

impl Plan {
    pub fn effects(statements: Vec<D1PreparedStatement>) -> Plan {
        Plan {
            statements,
            read_order_at: None,
            order_id: None,
        }
    }

    fn none() -> Plan {
        Plan::effects(Vec::new())
    }
}

fn object<T: for<'de> serde::Deserialize<'de>>(event: &Event) -> Result<T, WebhookError> {
    serde_json::from_value(event.data.object.clone()).map_err(|_| WebhookError::Malformed)
}

pub fn plan(db: &D1Database, event: &Event, now_ms: f64) -> Result<Plan, WebhookError> {
    match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            let session: CheckoutSession = object(event)?;
            let (Some(order), Some(listing)) = (
                session.metadata.order_id.clone(),
                session.metadata.listing_id.clone(),
            ) else {
                // Not a C500 checkout (no order in its metadata): nothing to do.
                return Ok(Plan::none());
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
            Ok(Plan::effects(
                buying::hold_ended_statements(db, &order, &listing, now_ms).map_err(internal)?,
            ))
        }
        "charge.refunded" => {
            let charge: Charge = object(event)?;
            let Some(pi) = charge.payment_intent else {
                return Ok(Plan::none());
            };
            Ok(Plan::effects(
                buying::refunded_statements(
                    db,
                    &pi,
                    charge.refunded,
                    charge.amount_refunded,
                    now_ms,
                )
                .map_err(internal)?,
            ))
        }
        "charge.dispute.created" | "charge.dispute.closed" => {
            let dispute: Dispute = object(event)?;
            let Some(pi) = dispute.payment_intent else {
                return Ok(Plan::none());
            };
            let statements = if event.kind.ends_with("created") {
                buying::dispute_opened_statements(db, &pi, &dispute.id, now_ms)
            } else {
                buying::dispute_closed_statements(
                    db,
                    &pi,
                    &dispute.id,
                    dispute.status == "lost",
                    now_ms,
                )
            };
            Ok(Plan::effects(statements.map_err(internal)?))
        }
        _ => Ok(Plan::none()),
    }
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
        status_token: &token,
        now_ms,
    };
    let statements = buying::paid_statements(db, &payment).map_err(internal)?;
    Ok(Plan {
        read_order_at: statements.len().checked_sub(1),
        statements,
        order_id: Some(order.to_owned()),
    })
}

/// A payment that arrived after its hold lapsed, with nothing left to sell, is refunded in
/// full at once (and by cron, should this attempt fail).
pub async fn refund_if_unfulfillable(env: &Env, order_id: &str, order: &OrderAfterPayment) {
    if order.status != "cancelled" || order.escrow != "held" || order.refund_id.is_some() {
        return;
    }
    let Some(pi) = order.payment_intent_id.as_deref() else {
        return;
    };
    if let Err(e) = refund(env, order_id, pi).await {
        log::error("late_payment_refund_failed", &e);
    }
}

/// Refunds an order in full and records it (one Idempotency-Key per order).
pub async fn refund(env: &Env, order_id: &str, payment_intent: &str) -> Result<(), String> {
    let stripe = Stripe::from_env(env).map_err(|e| e.to_string())?;
    let refund_id = stripe
        .refund_in_full(payment_intent, order_id)
        .await
        .map_err(|e| e.to_string())?;
    let db = config::db(env).map_err(|e| e.to_string())?;
    buying::record_refund(&db, order_id, &refund_id, Date::now().as_millis() as f64)
        .await
        .map_err(|e| e.to_string())?;
    log::event(
        "order_refunded",
        json!({ "order": order_id, "refund": refund_id, "why": "paid after the hold lapsed, sold out" }),
    );
    Ok(())
}
