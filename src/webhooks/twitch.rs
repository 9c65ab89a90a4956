//! `POST /webhooks/twitch`: EventSub. The signature (HMAC over id + timestamp + body) and
//! the message's age are checked before anything is read (403 otherwise); each message id
//! is applied once. A `webhook_callback_verification` is answered with its challenge; a
//! `stream.offline` notification takes back the builder's LIVE roles.

use crate::context::Cx;
use crate::error::Failure;
use crate::store::twitch as rows;
use crate::twitch::eventsub;
use crate::{config, http, log, outbox, store};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Context, Request, Response};

#[derive(Deserialize)]
struct Message {
    subscription: Subscription,
    challenge: Option<String>,
    event: Option<Value>,
}

#[derive(Deserialize)]
struct Subscription {
    #[serde(rename = "type")]
    kind: String,
}

/// EventSub notifications are a few hundred bytes (Twitch caps a message well below this).
const MAX_BODY: usize = 64 * 1024;

pub async fn eventsub(mut req: Request, cx: &Cx, ctx: &Context) -> Response {
    let env = &cx.env;
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let (id, timestamp, signature, kind) = (
        header("twitch-eventsub-message-id"),
        header("twitch-eventsub-message-timestamp"),
        header("twitch-eventsub-message-signature"),
        header("twitch-eventsub-message-type"),
    );
    let Ok(secret) = config::secret(env, "TWITCH_EVENTSUB_SECRET") else {
        log::error(
            "twitch_webhook_failed",
            &"TWITCH_EVENTSUB_SECRET is not set",
        );
        return http::text(500, "server misconfigured");
    };
    let body = match http::request_body(&mut req, MAX_BODY).await {
        Ok(body) => body,
        Err(http::BodyError::TooLarge) => return http::text(413, "payload too large"),
        Err(http::BodyError::Unreadable) => return http::text(400, "unreadable body"),
    };
    let now_secs = (cx.now_ms / 1000.0) as i64;
    if let Err(e) = eventsub::verify(
        &secret,
        id.as_deref(),
        timestamp.as_deref(),
        signature.as_deref(),
        &body,
        now_secs,
    ) {
        log::event(
            "twitch_webhook_rejected",
            json!({ "reason": format!("{e:?}") }),
        );
        return http::text(403, "invalid signature");
    }
    let Some(message) = crate::domain::json::decode::<Message>(&body) else {
        return http::text(400, "malformed message");
    };
    let id = id.unwrap_or_default();
    match kind.as_deref() {
        Some("webhook_callback_verification") => {
            log::event(
                "twitch_subscription_verified",
                json!({ "type": message.subscription.kind }),
            );
            http::text(200, message.challenge.as_deref().unwrap_or_default())
        }
        Some("notification") if message.subscription.kind == "stream.offline" => {
            offline(cx, ctx, &id, message.event.as_ref()).await
        }
        Some("revocation") => {
            log::event(
                "twitch_subscription_revoked",
                json!({ "type": message.subscription.kind }),
            );
            http::text(204, "")
        }
        _ => http::text(204, ""),
    }
}

async fn offline(cx: &Cx, ctx: &Context, id: &str, event: Option<&Value>) -> Response {
    let Some(broadcaster) = event
        .and_then(|e| e.get("broadcaster_user_id"))
        .and_then(Value::as_str)
    else {
        return http::text(400, "no broadcaster");
    };
    let now = cx.now_ms;
    let result = async {
        let db = cx.db()?;
        // The message id is recorded in the same batch as its effects: a replay changes nothing.
        let effects = rows::stream_ended_statements(&db, broadcaster, now)?;
        let (effects, roles) = store::Batch::ending_with_read::<Value>(effects);
        match store::apply_event_once(&db, "twitch", id, "stream.offline", now, effects).await? {
            store::Applied::Before => Ok::<_, Failure>(None),
            // The effects' last statement lists the roles taken.
            store::Applied::Now(done) => Ok(Some(match &roles {
                Some(roles) => done.rows(roles)?.len(),
                None => 0,
            })),
        }
    };
    match result.await {
        Ok(taken) => {
            log::event(
                "stream_offline",
                json!({ "twitch": broadcaster, "roles_taken": taken, "duplicate": taken.is_none() }),
            );
            let cx = cx.clone();
            ctx.wait_until(async move {
                if let Err(e) = outbox::drain_soon(&cx, 10).await {
                    log::error("outbox_drain_failed", &e);
                }
            });
            http::text(204, "")
        }
        Err(e) => {
            log::error("twitch_webhook_failed", &e);
            http::text(500, "internal error")
        }
    }
}
