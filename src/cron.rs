//! The scheduled handler (every minute, wrangler.toml `[triggers]`): the backstops that
//! make buying safe when a webhook or a Discord call goes missing.
//!   1. Lapsed holds: expire the Stripe session first (so it can't be paid), then return
//!      the unit. A session that completed meanwhile is left to its payment webhook.
//!   2. Orders owed a refund whose automatic refund failed: refund again (same key).
//!   3. Escrow timers: payouts that failed at shipping are retried; shipped orders with no
//!      open report complete after `AUTO_COMPLETE_DAYS` (default 14); commissions with no
//!      live proof 7 days past their promised date are flagged to HQ and the buyer.
//!   4. LIVE roles given more than 12 hours ago (no stream.offline came) are taken back.
//!   5. The outbox: deliver what is due, with backoff.

use crate::clients::stripe::Stripe;
use crate::store::{buying, fulfilment};
use crate::webhooks::refund;
use crate::{config, escrow, log, outbox};
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
    if let Err(e) = escrow_timers(env).await {
        log::error("cron_timers_failed", &e);
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

const DAY_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// Days after shipping before an order completes (the buyer's window to report a problem).
fn auto_complete_days(env: &Env) -> f64 {
    env.var("AUTO_COMPLETE_DAYS")
        .ok()
        .and_then(|v| v.to_string().parse::<f64>().ok())
        .filter(|d| *d >= 0.0)
        .unwrap_or(14.0)
}

async fn escrow_timers(env: &Env) -> Result<(), String> {
    let db = config::db(env).map_err(|e| e.to_string())?;
    for id in fulfilment::unreleased(&db, BATCH)
        .await
        .map_err(|e| e.to_string())?
    {
        let order = fulfilment::action_order(&db, &id)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(order) = order {
            if let Err(e) = escrow::release(env, &db, &order).await {
                log::error("cron_release_failed", &e);
            }
        }
    }
    let now = Date::now().as_millis() as f64;
    let completed = fulfilment::complete_due(&db, now - auto_complete_days(env) * DAY_MS, now)
        .await
        .map_err(|e| e.to_string())?;
    let flagged = fulfilment::flag_overdue(&db, now - 7.0 * DAY_MS, now)
        .await
        .map_err(|e| e.to_string())?;
    let roles = crate::store::twitch::expire_live_roles(&db, now - 12.0 * 3600.0 * 1000.0, now)
        .await
        .map_err(|e| e.to_string())?;
    if completed + flagged + roles > 0 {
        log::event(
            "cron_timers",
            json!({ "completed": completed, "flagged_overdue": flagged, "live_roles_expired": roles }),
        );
    }
    Ok(())
}
