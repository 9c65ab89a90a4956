//! `POST /webhooks/stripe`: verify the signature over the raw body, then apply the event
//! exactly once (its id is recorded in the same D1 batch as its effects). What each event
//! means for orders is in `payments`; the Discord side effects go to the outbox.

mod payments;
pub mod twitch;

use crate::clients::stripe::Stripe;
use crate::context::Cx;
use crate::flows::escrow as money;
use crate::stripe::account::Account;
use crate::stripe::{event::Event, signature};
use crate::{config, http, log, outbox, store};
use serde_json::json;
use worker::{Context, Request, Response};

/// Stripe's events are small; anything bigger is not one.
const MAX_BODY: usize = 256 * 1024;

/// Every way a webhook delivery can fail, and the status Stripe is told.
#[derive(Debug)]
pub enum WebhookError {
    /// Bad, stale or missing signature: 400, Stripe will retry (and alert on repeats).
    Signature(signature::SignatureError),
    /// Signed, but not an event we can read: 400.
    Malformed,
    TooLarge,
    /// Ours: 500, so Stripe retries later.
    Internal(String),
}

impl WebhookError {
    fn into_response(self) -> Response {
        match self {
            WebhookError::Signature(e) => {
                log::event(
                    "stripe_webhook_rejected",
                    json!({ "reason": format!("{e:?}") }),
                );
                http::json(400, json!({ "error": "invalid signature" }).to_string())
            }
            WebhookError::Malformed => {
                http::json(400, json!({ "error": "malformed event" }).to_string())
            }
            WebhookError::TooLarge => {
                http::json(413, json!({ "error": "payload too large" }).to_string())
            }
            WebhookError::Internal(detail) => {
                log::error("stripe_webhook_failed", &detail);
                http::json(500, json!({ "error": "internal error" }).to_string())
            }
        }
    }
}

fn internal(e: impl std::fmt::Display) -> WebhookError {
    WebhookError::Internal(e.to_string())
}

pub async fn stripe(req: Request, cx: &Cx, ctx: &Context) -> Response {
    match apply_stripe(req, cx, ctx).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn apply_stripe(mut req: Request, cx: &Cx, ctx: &Context) -> Result<Response, WebhookError> {
    let env = &cx.env;
    let secret = config::secret(env, "STRIPE_WEBHOOK_SECRET").map_err(internal)?;
    let header = req.headers().get("stripe-signature").ok().flatten();
    let body = http::request_body(&mut req, MAX_BODY)
        .await
        .map_err(|e| match e {
            http::BodyError::TooLarge => WebhookError::TooLarge,
            http::BodyError::Unreadable => WebhookError::Malformed,
        })?;
    let now_ms = cx.now_ms;
    let now_secs = (now_ms / 1000.0) as i64;
    signature::verify_any(&secret, header.as_deref(), &body, now_secs)
        .map_err(WebhookError::Signature)?;
    let event = Event::parse(&body).ok_or(WebhookError::Malformed)?;
    if let Some(why) = event.foreign(config::stripe_live(env)) {
        // Signed with our secret, so acknowledged (no retries for three days), but nothing
        // of ours changes and no order is ever made from it.
        log::event(
            "stripe_event_ignored",
            json!({ "id": event.id, "type": event.kind, "livemode": event.livemode, "why": why }),
        );
        return Ok(http::json(
            200,
            json!({ "received": true, "ignored": why }).to_string(),
        ));
    }

    let db = cx.db().map_err(internal)?;
    store::take_round_trips();
    // Each handled type contributes statements applied in the same batch as the event's
    // record; every other type is acknowledged and recorded so a redelivery is recognised.
    let plan = match event.kind.as_str() {
        "account.updated" => {
            let account: Account = serde_json::from_value(event.data.object.clone())
                .map_err(|_| WebhookError::Malformed)?;
            // Events arrive in any order and carry Stripe's clock, not ours: what counts is
            // the account as Stripe says it is now.
            let stripe = Stripe::from_env(env).map_err(internal)?;
            match stripe.account(&account.id).await {
                Ok(fresh) => payments::Plan::effects(
                    store::builders::sync_account_statements(&db, &fresh, now_ms)
                        .map_err(internal)?,
                ),
                // Not an account this platform can read: nothing of ours to update.
                Err(crate::clients::stripe::StripeError::Api { status: 404, .. }) => {
                    payments::Plan::effects(Vec::new())
                }
                Err(e) => return Err(internal(e)),
            }
        }
        _ => payments::plan(cx, &db, &event, now_ms).await?,
    };
    let handled = !plan.batch.is_empty();
    let applied =
        store::apply_event_once(&db, "stripe", &event.id, &event.kind, now_ms, plan.batch)
            .await
            .map_err(internal)?;
    let duplicate = matches!(applied, store::Applied::Before);
    log::event(
        "stripe_webhook",
        json!({ "id": event.id, "type": event.kind, "livemode": event.livemode,
        "handled": handled, "duplicate": duplicate, "d1_round_trips": store::take_round_trips() }),
    );
    if let store::Applied::Now(done) = applied {
        let order = match &plan.order {
            Some(read) => done.first(read).map_err(internal)?.map(|r| r.id),
            None => None,
        };
        if handled {
            let cx = cx.clone();
            let unit_back = plan.unit_back;
            // After the response: Stripe only needs to know the event is safely applied.
            ctx.wait_until(async move {
                if let Some(order) = order {
                    if let Err(e) = money::settle(&cx, &order).await {
                        log::error("escrow_settle_failed", &e);
                    }
                }
                // A unit that came back goes to the first in its drop's line now.
                if let Some(line) = unit_back {
                    let now = Cx::new(&cx.env);
                    if let Err(e) = crate::flows::waitlist::serve(&now, line.listing()).await {
                        log::error("waitlist_serve_failed", &e);
                    }
                }
                if let Err(e) = outbox::drain_soon(&cx, 10).await {
                    log::error("outbox_drain_failed", &e);
                }
            });
        }
    }
    Ok(http::json(
        200,
        json!({ "received": true, "duplicate": duplicate }).to_string(),
    ))
}
