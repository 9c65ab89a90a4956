//! `POST /interactions`: verify the raw bytes, parse the interaction, dispatch, reply.

pub mod admin;
pub mod buy;
pub mod commands;
pub mod dashboard;
pub mod drop;
pub mod fulfilment;
pub mod help;
pub mod hq;
pub mod inventory;
pub mod live;
pub mod orders;
pub mod raffle;
pub mod server_settings;
pub mod setup;
pub mod trust;
pub mod waitlist;

use crate::clients::discord::Discord;
use crate::context::Cx;
use crate::discord::model::{kind, Interaction};
use crate::discord::response::{InteractionResponse, Message};
use crate::domain::custom_id::{CustomId, CustomIdError};
pub use crate::error::Failure;
use crate::flows::buying::First;
use crate::http::Reply;
use crate::{config, log};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use wasm_bindgen::JsCast;
use worker::worker_sys::Context;

/// Discord never sends more than this; a larger body is refused before parsing.
const MAX_BODY: usize = 64 * 1024;
const UNAUTHORIZED: &str = "invalid request signature";

/// What a Discord user can get wrong; each becomes a friendly ephemeral reply.
/// This enum is the contract between the handlers and what people see.
#[derive(Debug)]
pub enum UserError {
    UnknownCommand,
    OutdatedButton,
    UnknownButton,
    UnknownForm,
    NeedsServer,
    NeedsManageServer,
    NeedsManageRoles,
    NothingToSet,
    Internal,
    AdminsOnly,
    /// `/c500 admin …` from a registration made before HQ's tools moved to `/c500-hq`.
    MovedToHq,
    UnknownGuild(String),
    NotABuilder,
    StripeUnavailable,
    NoShop,
}

impl UserError {
    pub fn message(&self) -> Message {
        match self {
            UserError::UnknownCommand => Message::oops(
                "Unknown command",
                "I don't know that command. Try `/c500 help` for the full list.",
            ),
            UserError::OutdatedButton => Message::oops(
                "This button is out of date",
                "It belongs to an older version of C500. Look for a newer post of this drop.",
            ),
            UserError::UnknownButton => Message::oops(
                "Oops!",
                "I couldn't tell what that button does. Try `/c500 help`.",
            ),
            UserError::UnknownForm => Message::oops(
                "Oops!",
                "I couldn't read that form. Please run the command again.",
            ),
            UserError::NeedsServer => Message::oops(
                "Run this in a server",
                "Server settings belong to a server: use this command in the server itself.",
            ),
            UserError::NeedsManageServer => Message::oops(
                "Manage Server needed",
                "Only members who can manage this server can change C500's settings here.",
            ),
            UserError::NeedsManageRoles => Message::oops(
                "Manage Roles needed",
                "C500 hands out the drop and LIVE roles for you, so only members who can manage roles themselves may choose them.",
            ),
            UserError::NothingToSet => Message::oops(
                "Nothing to set",
                "Pick at least one channel or role, e.g. `/c500 config set shop_channel:#shop`.",
            ),
            UserError::AdminsOnly => Message::oops(
                "C500 HQ only",
                "Only C500 HQ admins can use `/c500-hq`, in the HQ server.",
            ),
            UserError::MovedToHq => Message::oops(
                "Moved to the HQ server",
                "HQ's tools are now `/c500-hq`, in the C500 HQ server only.",
            ),
            UserError::UnknownGuild(name) => Message::oops(
                "Unknown guild",
                format!(
                    "There is no \"{name}\" guild. Use any of: builder, artisan, modder, vintage, merch."
                ),
            ),
            UserError::NotABuilder => Message::oops(
                "Not a builder",
                "That member isn't a builder, so there is nothing to revoke.",
            ),
            UserError::StripeUnavailable => Message::oops(
                "Stripe didn't answer",
                "We couldn't reach Stripe just now and nothing was created twice. Please try again in a moment.",
            ),
            UserError::NoShop => Message::oops(
                "No shop yet",
                "You don't have a C500 shop yet. Run `/c500 setup stripe` to start; C500 HQ certifies builders.",
            ),
            UserError::Internal => Message::oops(
                "Oh no, a hiccup",
                "Something went wrong on our side and nothing was changed. Please try again in a moment.",
            ),
        }
    }
}

/// Verify → parse → dispatch → reply, synchronously. `src/entry.js` calls this (through
/// `crate::interaction`) for every `POST /interactions` with the body it read and the
/// runtime's verdict on the signature (`signed`), so the common replies cost no futures at
/// all; an interaction that needs I/O hands back its remaining work instead.
pub fn respond(
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    signed: bool,
    cx: &Cx,
    ctx: &Context,
) -> Outcome {
    let env = &cx.env;
    let key = match config::discord_public_key(env) {
        Ok(key) => key,
        Err(e) => {
            log::error("config", &e);
            return Outcome::Now(Reply::text(500, "server misconfigured"));
        }
    };
    if body.len() > MAX_BODY {
        return Outcome::Now(Reply::text(413, "payload too large"));
    }
    if let Err(e) = key.check(signature, timestamp, signed, (cx.now_ms / 1000.0) as i64) {
        log::event(
            "interaction_rejected",
            json!({ "reason": format!("{e:?}") }),
        );
        return Outcome::Now(Reply::text(401, UNAUTHORIZED));
    }
    let Some(interaction) = crate::domain::json::decode::<Interaction>(body) else {
        return Outcome::Now(Reply::text(400, "malformed interaction"));
    };
    match dispatch(interaction, cx, ctx) {
        Answer::Static(json) => Outcome::Now(Reply::json(200, json.to_owned())),
        Answer::Built(response) => Outcome::Now(Reply::json(200, response.to_json())),
        Answer::Later(work) => {
            Outcome::Later(Box::pin(
                async move { Reply::json(200, work.await.to_json()) },
            ))
        }
    }
}

/// An interaction's answer: ready now, or after I/O (D1, KV, Stripe, Discord).
pub enum Outcome {
    Now(Reply),
    Later(Pin<Box<dyn Future<Output = Reply>>>),
}

/// The answer after `work` (I/O) is done: `reply` shapes a success; a failure is logged as
/// `event` and shown as `failure`, since it is ours and not the user's.
fn later<T: 'static>(
    event: &'static str,
    failure: UserError,
    work: impl Future<Output = Result<T, Failure>> + 'static,
    reply: impl FnOnce(T) -> InteractionResponse + 'static,
) -> Answer {
    Answer::Later(Box::pin(async move {
        match work.await {
            Ok(value) => reply(value),
            Err(e) => {
                log::error(event, &e);
                InteractionResponse::message(failure_message(&e, failure))
            }
        }
    }))
}

/// A button that acts for the one who clicked it (Join the waitlist, Enter the raffle):
/// `flow` gets the clicker's id and name, `reply` words what it returned.
fn for_clicker<T: 'static, Fut>(
    interaction: &Interaction,
    cx: &Cx,
    event: &'static str,
    flow: impl FnOnce(Cx, String, String) -> Fut,
    reply: impl FnOnce(T) -> InteractionResponse + 'static,
) -> Answer
where
    Fut: Future<Output = Result<T, Failure>> + 'static,
{
    let Some(user) = interaction.invoker() else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownButton.message(),
        ));
    };
    let work = flow(cx.clone(), user.id.clone(), user.username.clone());
    later(event, UserError::Internal, work, reply)
}

/// What a user sees when our side failed: the setting the deployment lacks, named (never
/// its value), or else `fallback` ("try again in a moment").
fn failure_message(e: &Failure, fallback: UserError) -> Message {
    match e.config() {
        Some(missing) => Message::oops("Not set up yet", missing.user_message()),
        None => fallback.message(),
    }
}

/// A reply to send: built for this interaction, static and serialised once, or built
/// after I/O.
enum Answer {
    Built(InteractionResponse),
    Static(&'static str),
    Later(Pin<Box<dyn Future<Output = InteractionResponse>>>),
}

/// Another handle on the request's JS context object (wasm-bindgen's extern type has no
/// Clone), for work that outlives the reply.
fn share_context(ctx: &Context) -> Context {
    AsRef::<wasm_bindgen::JsValue>::as_ref(ctx)
        .clone()
        .unchecked_into()
}

/// Delivers queued outbox messages after the reply (cron retries whatever fails now).
fn deliver_soon(cx: &Cx, ctx: &Context) {
    let cx = cx.clone();
    worker::Context::new(share_context(ctx)).wait_until(async move {
        if let Err(e) = crate::outbox::drain_soon(&cx, 10).await {
            log::error("outbox_drain_failed", &e);
        }
    });
}

/// How long an interaction may work before it answers "thinking…" and edits its reply in
/// later: Discord drops an interaction that gets no answer within 3 seconds.
const DEFER_AFTER: Duration = Duration::from_millis(2_000);

/// Runs `work` (whose result is an ephemeral reply): answered directly when it is quick,
/// otherwise deferred, with the reply edited in when the work is done (waitUntil keeps the
/// isolate alive for it).
fn deferred(
    interaction: &Interaction,
    cx: &Cx,
    ctx: &Context,
    work: impl Future<Output = Message> + 'static,
) -> Answer {
    answered_early(interaction, cx, ctx, work, None)
}

/// An interim answer a piece of work may ask for before it is done: `message` words the
/// wait `progress` was told of (a Buy whose unit is held while its Checkout waits a turn).
struct Early {
    progress: crate::flows::buying::Progress,
    message: fn(f64) -> Message,
}

/// As [`deferred`], and answered at once with `early`'s interim reply when the work asks
/// for one; the work's own reply is then edited in over it.
fn answered_early(
    interaction: &Interaction,
    cx: &Cx,
    ctx: &Context,
    work: impl Future<Output = Message> + 'static,
    early: Option<Early>,
) -> Answer {
    let token = interaction.token.clone();
    let cx = cx.clone();
    let env = cx.env.clone();
    let ctx = share_context(ctx);
    Answer::Later(Box::pin(async move {
        let mut work = Box::pin(work);
        let mut timer = Box::pin(crate::sleep::sleep_ms(DEFER_AFTER.as_millis() as f64));
        // The work's end, its early notice, or (None) the deferral's timer, whichever is first.
        let first = std::future::poll_fn(|cx| {
            let step = match &early {
                Some(early) => early.progress.poll_first(work.as_mut(), cx),
                None => work.as_mut().poll(cx).map(First::Done),
            };
            if step.is_ready() {
                return step.map(Some);
            }
            timer.as_mut().poll(cx).map(|()| None)
        })
        .await;
        let response = match (first, &early) {
            (Some(First::Done(message)), _) => return InteractionResponse::message(message),
            (Some(First::Held(wait_ms)), Some(early)) => {
                InteractionResponse::message((early.message)(wait_ms))
            }
            _ => InteractionResponse::deferred_ephemeral(),
        };
        let finish = async move {
            let mut message = work.await;
            // The first answer already made the reply ephemeral; an edit carries no flags.
            message.flags = None;
            let application = env
                .var("DISCORD_APPLICATION_ID")
                .map(|v| v.to_string())
                .unwrap_or_default();
            let sent = async {
                Discord::from_env(&env)?
                    .edit_original(&application, &token, &message)
                    .await
            }
            .await;
            match sent {
                Ok(()) => log::event("deferred_reply_sent", json!({})),
                Err(e) => log::error("deferred_reply_failed", &e),
            }
        };
        worker::Context::new(ctx).wait_until(finish);
        response
    }))
}

/// Routes the interaction; whatever needs I/O first checks the global ban (except the Buy
/// button, whose one hold batch checks it, and autocomplete suggestions).
fn dispatch(interaction: Interaction, cx: &Cx, ctx: &Context) -> Answer {
    let user = interaction.invoker().map(|u| u.id.clone());
    let exempt = interaction.kind == kind::AUTOCOMPLETE
        || interaction
            .data
            .as_ref()
            .and_then(|d| d.custom_id.as_deref())
            .is_some_and(|id| matches!(CustomId::parse(id), Ok(CustomId::Buy(_))));
    match (route(interaction, cx, ctx), user) {
        (Answer::Later(work), Some(user)) if !exempt => hq::unless_banned(user, cx, work),
        (answer, _) => answer,
    }
}

fn route(interaction: Interaction, cx: &Cx, ctx: &Context) -> Answer {
    let data = interaction.data.as_ref();
    let response = match interaction.kind {
        kind::PING => return Answer::Static(InteractionResponse::PONG_JSON),
        kind::APPLICATION_COMMAND => {
            let (path, options) = data.map(|d| d.subcommand_path()).unwrap_or_default();
            let name = data.and_then(|d| d.name.as_deref()).unwrap_or_default();
            log::event(
                "command",
                json!({ "name": name, "path": path.join(" "),
                "guild": interaction.guild_id, "user": interaction.invoker().map(|u| &u.id) }),
            );
            if name == commands::HQ
                && !config::in_hq_guild(&cx.env, interaction.guild_id.as_deref())
            {
                // Registered in the HQ guild only; anywhere else it is a stale registration.
                return Answer::Built(InteractionResponse::message(
                    UserError::AdminsOnly.message(),
                ));
            }
            let message = match (name, path.as_slice()) {
                (commands::ROOT, ["help"]) => return Answer::Static(help::reply_json()),
                (commands::ROOT, ["setup", "stripe"]) => return setup::stripe(&interaction, cx),
                (commands::ROOT, ["drop"]) => return drop::start(&interaction, options, cx),
                (commands::ROOT, ["dashboard"]) => return dashboard::show(&interaction, cx),
                (commands::ROOT, ["orders"]) => return orders::show(&interaction, 0, false, cx),
                (commands::ROOT, ["ship"]) => {
                    return fulfilment::ship(&interaction, options, cx, ctx)
                }
                (commands::ROOT, ["refund"]) => {
                    return fulfilment::refund(&interaction, options, cx, ctx)
                }
                (commands::ROOT, ["queue"]) => return fulfilment::queue(&interaction, cx),
                (commands::ROOT, ["setup", "twitch"]) => return live::setup(&interaction, cx),
                (commands::ROOT, ["profile"]) => return trust::profile(&interaction, options, cx),
                (commands::ROOT, ["vouch"]) => return trust::vouch(&interaction, options, cx),
                (commands::ROOT, ["report"]) => return hq::report(&interaction, options, cx, ctx),
                (commands::HQ, ["resolve"]) => return hq::resolve(&interaction, options, cx, ctx),
                (commands::HQ, ["ban"]) => return hq::ban(&interaction, options, cx, ctx, true),
                (commands::HQ, ["unban"]) => return hq::ban(&interaction, options, cx, ctx, false),
                (commands::ROOT, ["live", mode @ ("order" | "orders" | "chat" | "drop")]) => {
                    return live::live(&interaction, mode, options, cx, ctx)
                }
                (commands::HQ, ["waive"]) => return fulfilment::waive(&interaction, options, cx),
                (commands::HQ, ["absorb"]) => {
                    return fulfilment::absorb(&interaction, options, cx, ctx)
                }
                (commands::HQ, ["reconcile"]) => {
                    return fulfilment::reconcile(&interaction, cx, ctx)
                }
                (commands::ROOT, ["inventory"]) => return inventory::show(&interaction, false, cx),
                (commands::ROOT, ["config", "set"]) => {
                    return server_settings::set(&interaction, options, cx)
                }
                (commands::ROOT, ["config", "show"]) => {
                    return server_settings::show(&interaction, cx)
                }
                (commands::HQ, ["approve"]) => return admin::approve(&interaction, options, cx),
                (commands::HQ, ["revoke"]) => return admin::revoke(&interaction, options, cx),
                (commands::ROOT, ["admin", ..]) => UserError::MovedToHq.message(),
                _ => UserError::UnknownCommand.message(),
            };
            InteractionResponse::message(message)
        }
        kind::MESSAGE_COMPONENT => {
            let custom_id = data
                .and_then(|d| d.custom_id.as_deref())
                .unwrap_or_default();
            let error = match CustomId::parse(custom_id) {
                Ok(CustomId::Buy(listing)) => return buy::click(&interaction, listing, cx, ctx),
                Ok(CustomId::Enter(listing)) => return raffle::enter(&interaction, listing, cx),
                Ok(CustomId::Waitlist(listing)) => {
                    return waitlist::join(&interaction, listing, cx)
                }
                Ok(CustomId::OrdersPage(page)) => {
                    return orders::show(&interaction, page, true, cx)
                }
                Ok(CustomId::InventoryList) => return inventory::show(&interaction, true, cx),
                Ok(CustomId::InventoryPick) => return inventory::pick(&interaction, cx),
                Ok(CustomId::InventoryEdit(listing)) => {
                    return inventory::edit(&interaction, listing, cx)
                }
                Ok(CustomId::InventoryDelist(listing)) => {
                    return inventory::delist(&interaction, listing, cx, ctx)
                }
                Ok(CustomId::DropForm(_) | CustomId::InventorySave(_)) => UserError::UnknownButton,
                Err(CustomIdError::Outdated) => UserError::OutdatedButton,
                Err(CustomIdError::Unknown) => UserError::UnknownButton,
            };
            InteractionResponse::message(error.message())
        }
        kind::AUTOCOMPLETE => {
            let (path, options) = data.map(|d| d.subcommand_path()).unwrap_or_default();
            if options.iter().any(|o| o.focused && o.name == "order") {
                return fulfilment::autocomplete(&interaction, &path, options, cx);
            }
            InteractionResponse::autocomplete(Vec::new())
        }
        kind::MODAL_SUBMIT => {
            let custom_id = data
                .and_then(|d| d.custom_id.as_deref())
                .unwrap_or_default();
            match CustomId::parse(custom_id) {
                Ok(CustomId::DropForm(options)) => return drop::submit(&interaction, options, cx),
                Ok(CustomId::InventorySave(listing)) => {
                    return inventory::save(&interaction, listing, cx, ctx)
                }
                Err(CustomIdError::Outdated) => {
                    InteractionResponse::message(UserError::OutdatedButton.message())
                }
                _ => InteractionResponse::message(UserError::UnknownForm.message()),
            }
        }
        _ => InteractionResponse::message(UserError::UnknownCommand.message()),
    };
    Answer::Built(response)
}
