//! The scheduled handler (every minute, wrangler.toml `[triggers]`): the backstops that
//! make buying safe when a webhook or a Discord call goes missing.
//!   1. Lapsed holds: expire the Stripe session first (so it can't be paid), then return
//!      the unit. A session that completed meanwhile is left to its payment webhook.
//!   2. Orders owed a refund whose automatic refund failed: refund again (same key).
//!   3. The outbox: deliver what is due, with backoff.

use crate::clients::stripe::Stripe;
use crate::store::buying;
use crate::webhooks::refund;
use crate::{config, log, outbox};
use serde_json::json;
use worker::{Date, Env};

const BATCH: u32 = 50;

pub async fn run(env: &Env) {
    if let Err(e) = sweep_holds(env).await {
        log::error("cron_sweep_failed", &e);
    }
    if let Err(e) = retry_refunds(env).await {
        log::error("cron_refunds_failed", &e);
    }
    match outbox::drain(env, BATCH).await {
        Ok(n) if n > 0 => log::event("cron_outbox", json!({ "delivered": n })),
        Ok(_) => {}
        Err(e) => log::error("cron_outbox_failed", &e),
    }
}

async fn sweep_holds(env: &Env) -> Result<(), String> {
    let db = config::db(env).map_err(|e| e.to_string())?;
    let now = Date::now().as_millis() as f64;
    let lapsed = buying::lapsed_holds(&db, now, BATCH)
        .await
        .map_err(|e| e.to_string())?;
    if lapsed.is_empty() {
        return Ok(());
    }
    let stripe = Stripe::from_env(env).map_err(|e| e.to_string())?;
    let mut released = 0;
    for hold in &lapsed {
        if let Some(session) = &hold.checkout_session_id {
            let expired = match stripe.expire_checkout_session(session).await {
                Ok(true) => true,
                // Not open: expired already (release) or completed (its webhook decides).
                Ok(false) => stripe
                    .checkout_session_status(session)
                    .await
                    .map(|status| status != "complete")
                    .unwrap_or(false),
                Err(e) => {
                    log::error("cron_expire_failed", &e);
                    false
                }
            };
            if !expired {
                continue;
            }
        }
        buying::end_hold(
            &db,
            &hold.id,
            &hold.listing_id,
            Date::now().as_millis() as f64,
        )
        .await
        .map_err(|e| e.to_string())?;
        released += 1;
    }
    log::event(
        "cron_sweep",
        json!({ "lapsed": lapsed.len(), "released": released }),
    );
    Ok(())
}

async fn retry_refunds(env: &Env) -> Result<(), String> {
    let db = config::db(env).map_err(|e| e.to_string())?;
    for order in buying::unrefunded_orders(&db, BATCH)
        .await
        .map_err(|e| e.to_string())?
    {
        if let Err(e) = refund(env, &order.id, &order.payment_intent_id).await {
            log::error("cron_refund_failed", &e);
        }
    }
    Ok(())
}
