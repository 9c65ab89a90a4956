//! Discord side effects that must not be lost: written to the outbox in the same D1 batch
//! as the change that causes them, delivered at once (after the response, with waitUntil)
//! and retried by cron with backoff, honouring Discord's 429 Retry-After.

use crate::clients::discord::{Discord, DiscordError};
use crate::context::Cx;
use crate::domain::jobs::Job;
use crate::error::Failure;
use crate::store::outbox as rows;
use crate::store::StoreError;
use crate::{config, log, messages};
use serde_json::json;
use worker::D1Database;

/// After this many attempts a job is left `dead` (kept, with its last error, for HQ).
pub const MAX_ATTEMPTS: i64 = 12;

/// Seconds before attempt `attempts + 1`: 30 s doubling to an hour.
pub fn backoff_ms(attempts: i64) -> f64 {
    let exp = attempts.clamp(1, 8) - 1;
    (30_000.0 * f64::from(1u32 << exp)).min(3_600_000.0)
}

/// Whether trying again later can succeed: Discord's own verdict, or any D1 failure (a D1
/// error stays a D1 error: it is logged as one, and retried, never blamed on Discord).
fn transient(e: &Failure) -> bool {
    match e {
        Failure::Discord(e) => e.is_transient(),
        Failure::Store(StoreError::D1(_)) => true,
        _ => false,
    }
}

/// How one delivery ended.
enum Delivery {
    Done,
    /// Not possible now or ever (the thing it refers to is gone): nothing to retry.
    Skipped(&'static str),
}

/// Delivers every due job (up to `limit`). Returns how many were delivered.
pub async fn drain(cx: &Cx, limit: u32) -> Result<usize, Failure> {
    Ok(drain_once(cx, limit).await?.0)
}

thread_local! {
    /// Whether a drain in this isolate is already waiting for a job about to fall due.
    static LINGERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// How long a drain after a response keeps waiting for jobs about to fall due (waitUntil
/// allows 30 s after the response).
const LINGER_BUDGET_MS: f64 = 20_000.0;

/// For after a response (waitUntil): delivers what is due, and while a job falls due within
/// [`rows::EMBED_EVERY_MS`] (a drop's coalesced embed edit, a bucket refilling, a short
/// Retry-After), waits for it and delivers that too, so the last sale of a burst shows in
/// Discord within seconds rather than at the next cron tick. One waiting drain per isolate:
/// a storm of requests does not become a storm of drains waking at the same instant.
pub async fn drain_soon(cx: &Cx, limit: u32) -> Result<usize, Failure> {
    let (mut delivered, mut next_due_ms) = drain_once(cx, limit).await?;
    let started = crate::sleep::now_ms();
    let mut lingering = false;
    let mut outcome = Ok(());
    while let Some(due) = next_due_ms {
        let now = crate::sleep::now_ms();
        if due - now > f64::from(rows::EMBED_EVERY_MS) || now - started > LINGER_BUDGET_MS {
            break;
        }
        if !lingering {
            if LINGERING.with(|l| l.replace(true)) {
                return Ok(delivered);
            }
            lingering = true;
        }
        if due > now {
            crate::sleep::sleep_ms(due - now + 1.0).await;
        }
        // A later drain, so a later clock.
        match drain_once(&Cx::new(&cx.env), limit).await {
            Ok((n, next)) => {
                delivered += n;
                next_due_ms = next;
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    if lingering {
        LINGERING.with(|l| l.set(false));
    }
    outcome.map(|()| delivered)
}

/// The earlier of two due times.
fn sooner(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Delivers every due job (up to `limit`): how many, and when the next pending job is due.
async fn drain_once(cx: &Cx, limit: u32) -> Result<(usize, Option<f64>), Failure> {
    let env = &cx.env;
    let db = cx.db()?;
    let discord = Discord::from_env(env)?;
    let base = config::public_base_url(env);
    let hq_channel = env.var("HQ_CHANNEL_ID").map(|v| v.to_string()).ok();
    let now = cx.now_ms;
    let claim = rows::claim_due(&db, now, limit).await?;
    // When the next job is due: as the claim saw it, or sooner for a job handed back below.
    let mut next_due = claim.next_due_ms;
    let mut delivered = 0;
    let mut iter = claim.jobs.iter();
    while let Some(claimed) = iter.next() {
        let job: Job = match crate::domain::json::decode_str(&claimed.job) {
            Ok(job) => job,
            Err(e) => {
                let _ = rows::retry(&db, claimed.id, now, true, &e.to_string(), now).await;
                continue;
            }
        };
        let result = deliver(&db, &discord, &base, hq_channel.as_deref(), &job).await;
        let now = cx.now_ms;
        match result {
            Ok(outcome) => {
                if let Delivery::Skipped(why) = outcome {
                    log::event("outbox_skipped", json!({ "job": job, "why": why }));
                }
                // A job re-armed while it was delivered stays pending, due again shortly.
                next_due = sooner(next_due, rows::finish(&db, claimed, now).await?);
                delivered += 1;
            }
            Err(e) => {
                let dead = !transient(&e) || claimed.attempts >= MAX_ATTEMPTS;
                let retry_after = match &e {
                    Failure::Discord(DiscordError::Api {
                        retry_after: Some(s),
                        ..
                    })
                    | Failure::Discord(DiscordError::Throttled { retry_after: s }) => {
                        Some(s * 1000.0)
                    }
                    _ => None,
                };
                // Held back before sending (Discord's headers said its route must wait):
                // nothing was tried, so the job waits with its attempt given back, and the
                // rest of the batch, on other routes, goes on.
                let unsent = matches!(e, Failure::Discord(DiscordError::Throttled { .. }));
                let at = now + retry_after.unwrap_or_else(|| backoff_ms(claimed.attempts));
                log::event(
                    "outbox_failed",
                    json!({ "job": job, "attempts": claimed.attempts, "dead": dead, "error": e.to_string() }),
                );
                if !dead {
                    next_due = sooner(next_due, Some(at));
                }
                if unsent {
                    rows::postpone(&db, &[claimed.id], at).await?;
                    continue;
                }
                rows::retry(&db, claimed.id, at, dead, &e.to_string(), now).await?;
                if retry_after.is_some() {
                    // Rate limited by Discord itself: the rest waits too, without spending an
                    // attempt (the client now also holds back that route, or all of them).
                    let rest: Vec<f64> = iter.map(|c| c.id).collect();
                    rows::postpone(&db, &rest, at).await?;
                    break;
                }
            }
        }
    }
    Ok((delivered, next_due))
}

async fn deliver(
    db: &D1Database,
    discord: &Discord,
    base: &str,
    hq_channel: Option<&str>,
    job: &Job,
) -> Result<Delivery, Failure> {
    match job {
        Job::OrderPaid { order }
        | Job::SellerSale { order }
        | Job::LateRefund { order }
        | Job::Shipped { order }
        | Job::LiveProof { order }
        | Job::Overdue { order }
        | Job::OverdueHq { order } => {
            let Some(view) = rows::order_view(db, order).await? else {
                return Ok(Delivery::Skipped("no such order"));
            };
            match job {
                Job::OrderPaid { .. } => {
                    discord
                        .direct_message(&view.buyer_id, &messages::order_confirmed(&view, base))
                        .await?;
                }
                Job::LateRefund { .. } => {
                    discord
                        .direct_message(&view.buyer_id, &messages::late_payment_refunded(&view))
                        .await?;
                }
                Job::LiveProof { .. } => {
                    discord
                        .direct_message(&view.buyer_id, &messages::live_proof(&view, base))
                        .await?;
                }
                Job::Shipped { .. } => {
                    discord
                        .direct_message(&view.buyer_id, &messages::shipped(&view, base))
                        .await?;
                }
                Job::Overdue { .. } => {
                    discord
                        .direct_message(&view.buyer_id, &messages::overdue_buyer(&view, base))
                        .await?;
                }
                Job::OverdueHq { .. } => {
                    let Some(channel) = hq_channel else {
                        return Ok(Delivery::Skipped("HQ_CHANNEL_ID is not set"));
                    };
                    discord
                        .post_message(channel, &messages::overdue_hq(&view))
                        .await?;
                }
                _ => match &view.orders_channel_id {
                    Some(channel) => {
                        discord
                            .post_message(channel, &messages::new_order(&view, true))
                            .await?;
                    }
                    None => {
                        discord
                            .direct_message(&view.seller_id, &messages::new_order(&view, false))
                            .await?;
                    }
                },
            }
            Ok(Delivery::Done)
        }
        Job::SetRole {
            guild,
            user,
            role,
            give,
        } => {
            discord.set_role(guild, user, role, *give).await?;
            Ok(Delivery::Done)
        }
        Job::HqReport { report } | Job::ReportResolved { report } => {
            let Some(view) = crate::store::hq::report_view(db, report).await? else {
                return Ok(Delivery::Skipped("no such report"));
            };
            if matches!(job, Job::HqReport { .. }) {
                let Some(channel) = hq_channel else {
                    return Ok(Delivery::Skipped("HQ_CHANNEL_ID is not set"));
                };
                discord
                    .post_message(channel, &messages::hq_report(&view))
                    .await?;
            } else {
                discord
                    .direct_message(&view.reporter_id, &messages::report_resolved(&view))
                    .await?;
            }
            Ok(Delivery::Done)
        }
        Job::BanNotice { user } => {
            let reason = crate::store::hq::ban_reason(db, user).await?;
            let Some(reason) = reason else {
                return Ok(Delivery::Skipped("no longer banned"));
            };
            discord
                .direct_message(user, &messages::ban_notice(&reason))
                .await?;
            Ok(Delivery::Done)
        }
        Job::RefreshEmbed { listing } => refresh_embed(db, discord, base, listing).await,
        Job::WaitlistOffer { hold, buyer } => {
            let Some(offer) = crate::store::waitlist::offer_view(db, hold, buyer).await? else {
                return Ok(Delivery::Skipped("the offered hold has ended"));
            };
            discord
                .direct_message(buyer, &messages::waitlist_offer(&offer))
                .await?;
            Ok(Delivery::Done)
        }
        Job::RefundedByPaymentIntent { payment_intent } => {
            let Some(view) = rows::order_view_by_payment_intent(db, payment_intent).await? else {
                return Ok(Delivery::Skipped("no such order"));
            };
            discord
                .direct_message(&view.buyer_id, &messages::order_refunded(&view, base))
                .await?;
            Ok(Delivery::Done)
        }
        Job::RefusedRefund { order } | Job::HqRefusedPayment { order } => {
            let Some(payment) = rows::refused_payment(db, order).await? else {
                return Ok(Delivery::Skipped("no such refused payment"));
            };
            if matches!(job, Job::RefusedRefund { .. }) {
                discord
                    .direct_message(
                        &payment.buyer_id,
                        &messages::refused_payment_refunded(&payment),
                    )
                    .await?;
            } else {
                let Some(channel) = hq_channel else {
                    return Ok(Delivery::Skipped("HQ_CHANNEL_ID is not set"));
                };
                discord
                    .post_message(channel, &messages::hq_refused_payment(&payment))
                    .await?;
            }
            Ok(Delivery::Done)
        }
        Job::HqOwed { order, cents } => {
            let Some(channel) = hq_channel else {
                return Ok(Delivery::Skipped("HQ_CHANNEL_ID is not set"));
            };
            let Some(view) = rows::order_view(db, order).await? else {
                return Ok(Delivery::Skipped("no such order"));
            };
            discord
                .post_message(channel, &messages::hq_owed(&view, *cents))
                .await?;
            Ok(Delivery::Done)
        }
        Job::HqNotice { title, body } => {
            let Some(channel) = hq_channel else {
                return Ok(Delivery::Skipped("HQ_CHANNEL_ID is not set"));
            };
            discord
                .post_message(channel, &messages::hq_notice(title, body))
                .await?;
            Ok(Delivery::Done)
        }
        Job::HqDispute {
            payment_intent,
            dispute,
            opened,
        } => {
            let Some(channel) = hq_channel else {
                return Ok(Delivery::Skipped("HQ_CHANNEL_ID is not set"));
            };
            let Some(view) = rows::order_view_by_payment_intent(db, payment_intent).await? else {
                return Ok(Delivery::Skipped("no such order"));
            };
            discord
                .post_message(channel, &messages::hq_dispute(&view, dispute, *opened))
                .await?;
            Ok(Delivery::Done)
        }
    }
}

async fn refresh_embed(
    db: &D1Database,
    discord: &Discord,
    base: &str,
    listing: &str,
) -> Result<Delivery, Failure> {
    let card = rows::listing_card(db, listing).await?;
    let Some(card) = card else {
        return Ok(Delivery::Skipped("no such listing"));
    };
    let (Some(channel), Some(message)) = (&card.channel_id, &card.message_id) else {
        return Ok(Delivery::Skipped("the drop has no public message"));
    };
    discord
        .edit_message(channel, message, &messages::drop_embed(&card, base))
        .await?;
    Ok(Delivery::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_job_sql_builds_is_a_job() {
        // store::twitch builds this JSON with json_object(); it must read back as the job.
        let from_sql = r#"{"set_role":{"guild":"1","user":"2","role":"3","give":false}}"#;
        assert_eq!(
            serde_json::from_str::<Job>(from_sql).unwrap(),
            Job::SetRole {
                guild: "1".into(),
                user: "2".into(),
                role: "3".into(),
                give: false
            }
        );
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(1), 30_000.0);
        assert_eq!(backoff_ms(2), 60_000.0);
        assert_eq!(backoff_ms(5), 480_000.0);
        assert_eq!(backoff_ms(8), 3_600_000.0);
        assert_eq!(backoff_ms(40), 3_600_000.0);
        assert_eq!(backoff_ms(0), 30_000.0);
    }
}
