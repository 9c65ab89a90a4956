//! The scheduled handler (every minute, wrangler.toml `[triggers]`): the backstops that
//! make buying safe when a webhook or a Discord call goes missing.
//!   1. Lapsed holds: expire the Stripe session first (so it can't be paid), then return
//!      the unit. A session that completed meanwhile is left to its payment webhook.
//!   2. Raffles whose entries closed are drawn into their drop's line; then waitlists: each
//!      free unit is held for the first buyer in its drop's line, who is DMed a Buy button
//!      (store::raffle, store::waitlist).
//!   3. Money (flows::escrow): claims Stripe never answered are called again with the same
//!      key; recorded facts are settled; payouts that failed or waited (a disabled account)
//!      and refunds owed in full (a late payment) are claimed and carried out.
//!   4. Escrow timers: shipped orders with no open report complete after
//!      `AUTO_COMPLETE_DAYS` (default 14); commissions with no live proof 7 days past their
//!      promised date are flagged to HQ and the buyer.
//!   5. LIVE roles given more than 12 hours ago (no stream.offline came) are taken back.
//!   6. The outbox: deliver what is due, with backoff.
//!
//! Daily (`DAILY_CRON`): builders who owe C500 are asked again, and the ledger is reconciled
//! with Stripe (flows::reconcile), mismatches reported to HQ.

use crate::clients::stripe::Stripe;
use crate::context::Cx;
use crate::domain::escrow::{Actor, Event};
use crate::error::Failure;
use crate::flows::{escrow as money, reconcile, waitlist as waitlists};
use crate::store::{buying, fulfilment, ledger, raffle};
use crate::{log, outbox};
use serde_json::json;

const BATCH: u32 = 50;

/// The daily trigger in wrangler.toml (the other one runs every minute).
pub const DAILY_CRON: &str = "17 4 * * *";

pub async fn run(cx: &Cx, cron: &str) {
    if cron == DAILY_CRON {
        if let Err(e) = daily(cx).await {
            log::error("cron_daily_failed", &e);
        }
        return;
    }
    if let Err(e) = sweep_holds(cx).await {
        log::error("cron_sweep_failed", &e);
    }
    if let Err(e) = draw_raffles(cx).await {
        log::error("cron_raffle_failed", &e);
    }
    if let Err(e) = waitlists::serve(cx, None).await {
        log::error("cron_waitlist_failed", &e);
    }
    if let Err(e) = finish_money(cx).await {
        log::error("cron_money_failed", &e);
    }
    if let Err(e) = escrow_timers(cx).await {
        log::error("cron_timers_failed", &e);
    }
    // In rounds while whole rounds are delivered (a drawn raffle's hundreds of DMs), for up
    // to 20 s of the tick; what is left, or throttled, waits for the next.
    let started = crate::sleep::now_ms();
    let mut delivered = 0;
    loop {
        match outbox::drain(cx, BATCH).await {
            Ok(n) => {
                delivered += n;
                if n < BATCH as usize || crate::sleep::now_ms() - started > 20_000.0 {
                    break;
                }
            }
            Err(e) => {
                log::error("cron_outbox_failed", &e);
                break;
            }
        }
    }
    if delivered > 0 {
        log::event("cron_outbox", json!({ "delivered": delivered }));
    }
}

async fn sweep_holds(cx: &Cx) -> Result<(), Failure> {
    let env = &cx.env;
    let db = cx.db()?;
    let now = cx.now_ms;
    let lapsed = buying::lapsed_holds(&db, now, BATCH).await?;
    if lapsed.is_empty() {
        return Ok(());
    }
    let stripe = Stripe::from_env(env)?;
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
        buying::end_hold(&db, &hold.id, &hold.listing_id, cx.now_ms).await?;
        released += 1;
    }
    log::event(
        "cron_sweep",
        json!({ "lapsed": lapsed.len(), "released": released }),
    );
    Ok(())
}

/// Raffles whose entries closed are drawn (domain::raffle: the order is a function of the
/// committed seed and the entries alone) and the order becomes the drop's line, exactly once
/// (store::raffle::record_draw); the waitlist step right after offers the units to the first
/// in line, the winners, and an unpaid winner's unit passes to the next drawn entry.
async fn draw_raffles(cx: &Cx) -> Result<(), Failure> {
    let db = cx.db()?;
    for due in raffle::due(&db, cx.now_ms, 10).await? {
        let entries = raffle::entries(&db, &due.listing).await?;
        let (keyed, count) = crate::domain::raffle::keyed(&due.seed, &entries);
        raffle::record_draw(&db, &due.listing, &keyed, count, cx.now_ms).await?;
        log::event(
            "raffle_drawn",
            json!({ "listing": due.listing, "entries": count }),
        );
        // The drop's page publishes the seed now (in this isolate at once; others' copies
        // age out within PAGE_CACHE_SECONDS).
        crate::pages::invalidate();
    }
    Ok(())
}

/// A claim older than this with no answer is called again (the request that claimed it has
/// certainly ended: a Worker's request can't outlive it).
const UNANSWERED_MS: f64 = 60_000.0;

async fn finish_money(cx: &Cx) -> Result<(), Failure> {
    let db = cx.db()?;
    let mut done = 0;
    for id in ledger::unfinished(&db, cx.now_ms - UNANSWERED_MS, BATCH).await? {
        if let Err(e) = money::settle(cx, &id).await {
            log::error("cron_settle_failed", &e);
        }
        done += 1;
    }
    let (payouts, refunds) = ledger::due(&db, BATCH).await?;
    let due = [
        (payouts, Event::Release),
        (refunds, Event::Refund(Actor::C500)),
    ];
    for (ids, event) in due {
        for id in ids {
            match money::run(cx, &db, &id, event, money::Who::CRON).await {
                Ok(Ok(_)) => done += 1,
                // Refused: not due after all (a refund or dispute meanwhile); nothing to do.
                Ok(Err(_)) => {}
                Err(e) => log::error("cron_money_failed", &e),
            }
        }
    }
    if done > 0 {
        log::event("cron_money", json!({ "orders": done }));
    }
    Ok(())
}

/// Builders who owe C500 are asked again; then the ledger is compared with Stripe.
async fn daily(cx: &Cx) -> Result<(), Failure> {
    let db = cx.db()?;
    for id in ledger::owed(&db, BATCH).await? {
        if let Err(e) = money::run(cx, &db, &id, Event::Collect, money::Who::CRON).await {
            log::error("cron_collect_failed", &e);
        }
    }
    let report = reconcile::run(cx, &db, cx.now_ms, 200).await?;
    log::event(
        "cron_reconciled",
        json!({ "orders": report.orders, "mismatches": report.mismatches.len() }),
    );
    if let Err(e) = outbox::drain(cx, BATCH).await {
        log::error("cron_outbox_failed", &e);
    }
    // Sign-ins that ended (expired or signed out) more than a day ago.
    let forgotten = crate::store::sessions::sweep(&db, cx.now_ms).await?;
    log::event("cron_sessions_swept", json!({ "sessions": forgotten }));
    Ok(())
}

const DAY_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// Days after shipping before an order completes (the buyer's window to report a problem).
fn auto_complete_days(cx: &Cx) -> f64 {
    let env = &cx.env;
    env.var("AUTO_COMPLETE_DAYS")
        .ok()
        .and_then(|v| v.to_string().parse::<f64>().ok())
        .filter(|d| *d >= 0.0)
        .unwrap_or(14.0)
}

async fn escrow_timers(cx: &Cx) -> Result<(), Failure> {
    let db = cx.db()?;
    let now = cx.now_ms;
    let completed =
        fulfilment::complete_due(&db, now - auto_complete_days(cx) * DAY_MS, now).await?;
    let flagged = fulfilment::flag_overdue(&db, now - 7.0 * DAY_MS, now).await?;
    let roles =
        crate::store::twitch::expire_live_roles(&db, now - 12.0 * 3600.0 * 1000.0, now).await?;
    if completed + flagged + roles > 0 {
        log::event(
            "cron_timers",
            json!({ "completed": completed, "flagged_overdue": flagged, "live_roles_expired": roles }),
        );
    }
    Ok(())
}
