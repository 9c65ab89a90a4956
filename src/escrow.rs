//! Moving the money held in escrow: releasing it to the builder (a Stripe Transfer from the
//! buyer's charge) and refunding it (a Refund, plus a transfer reversal once released).
//! Every call is keyed by the order, so a retry or a double click does it once.

use crate::clients::stripe::Stripe;
use crate::domain::fulfilment::RefundPlan;
use crate::log;
use crate::store::fulfilment::{self as rows, ActionOrder};
use serde_json::json;
use worker::{D1Database, Date, Env};

fn now() -> f64 {
    Date::now().as_millis() as f64
}

/// Pays the builder: gross − C500's fee, to their connected account.
pub async fn release(env: &Env, db: &D1Database, order: &ActionOrder) -> Result<String, String> {
    let account = order
        .seller_account
        .as_deref()
        .ok_or("the builder has no Stripe account")?;
    let stripe = Stripe::from_env(env).map_err(|e| e.to_string())?;
    let charge = match &order.charge_id {
        Some(charge) => charge.clone(),
        None => {
            let pi = order
                .payment_intent_id
                .as_deref()
                .ok_or("the order has no payment")?;
            stripe.payment_charge(pi).await.map_err(|e| e.to_string())?
        }
    };
    let transfer = stripe
        .transfer_payout(&order.id, order.payout_cents, account, &charge)
        .await
        .map_err(|e| e.to_string())?;
    rows::record_release(db, &order.id, &transfer, &charge, now())
        .await
        .map_err(|e| e.to_string())?;
    log::event(
        "escrow_released",
        json!({ "order": order.id, "transfer": transfer, "amount": order.payout_cents }),
    );
    Ok(transfer)
}

/// Refunds the buyer in full (and takes back a released payout), then records it.
pub async fn refund(
    env: &Env,
    db: &D1Database,
    order: &ActionOrder,
    plan: &RefundPlan,
    actor: &str,
    reason: &str,
) -> Result<(), String> {
    let pi = order
        .payment_intent_id
        .as_deref()
        .ok_or("the order has no payment")?;
    let stripe = Stripe::from_env(env).map_err(|e| e.to_string())?;
    let refund = stripe
        .refund_in_full(pi, &order.id)
        .await
        .map_err(|e| e.to_string())?;
    let reversed = match plan {
        RefundPlan::Refund => false,
        RefundPlan::RefundAndReverse { transfer } => {
            stripe
                .reverse_transfer(transfer, &order.id)
                .await
                .map_err(|e| e.to_string())?;
            true
        }
    };
    rows::record_manual_refund(db, &order.id, actor, reason, &refund, reversed, pi, now())
        .await
        .map_err(|e| e.to_string())?;
    log::event(
        "order_refunded",
        json!({ "order": order.id, "refund": refund, "reversed": reversed, "by": actor }),
    );
    Ok(())
}
