//! The builder's side of an order: `/c500 ship` (releases escrow), `/c500 refund`,
//! `/c500 queue`, HQ's `/c500-hq waive`, and the order autocomplete they share.

use super::{deferred, later, Answer, Failure, UserError};
use crate::context::Cx;
use crate::discord::model::{option_str, CommandOption, Interaction};
use crate::discord::response::{colour, Choice, Embed, EmbedField, InteractionResponse, Message};
use crate::domain::escrow::{Escrow, Event, Refusal};
use crate::domain::fulfilment::{
    can_refund, can_ship, carrier_name, parse_tracking, OrderFacts, RefundRefusal, ShipRefusal,
};
use crate::domain::ids::OrderId;
use crate::domain::listing::Kind;
use crate::domain::markdown::escape as md;
use crate::domain::order::OrderStatus;
use crate::flows::escrow as money;
use crate::store::fulfilment::{self as rows, ActionOrder};
use crate::{config, log};
use serde_json::json;
use worker::worker_sys::Context;

fn facts(o: &ActionOrder) -> OrderFacts {
    OrderFacts {
        seller_id: o.seller_id.clone(),
        status: o.status,
        escrow: o.escrow,
        commission: o.kind == Kind::Commission,
        proven: o.stream_url.is_some() || o.proof_waived_by.is_some(),
    }
}

fn no_such_order(typed: &str) -> Message {
    Message::oops(
        "No such order",
        format!("There's no order `{typed}`. Order ids look like `C5-7K2M9Q`; pick one from the list as you type."),
    )
}

fn ok(title: &str, description: String) -> Message {
    Message::ephemeral_embed(Embed {
        title: Some(title.to_owned()),
        description: Some(description),
        color: Some(colour::MINT),
        ..Embed::default()
    })
}

/// The order a command names, with the facts its rules read (or the reply saying it isn't one).
async fn load(
    cx: &Cx,
    typed: &str,
) -> Result<Result<(worker::D1Database, ActionOrder, OrderFacts), Message>, Failure> {
    let Some(id) = OrderId::parse(typed) else {
        return Ok(Err(no_such_order(typed)));
    };
    let db = cx.db()?;
    let Some(order) = rows::action_order(&db, id.as_str()).await? else {
        return Ok(Err(no_such_order(typed)));
    };
    let f = facts(&order);
    Ok(Ok((db, order, f)))
}

/// `/c500 ship order carrier tracking`: shipped, the buyer told, escrow released.
pub(super) fn ship(
    interaction: &Interaction,
    o: &[CommandOption],
    cx: &Cx,
    ctx: &Context,
) -> Answer {
    let typed = option_str(o, "order").unwrap_or_default().to_owned();
    let carrier = option_str(o, "carrier").unwrap_or("other").to_owned();
    let tracking = match parse_tracking(option_str(o, "tracking").unwrap_or_default()) {
        Ok(t) => t,
        Err(e) => {
            return Answer::Built(InteractionResponse::message(Message::oops(
                "Check your tracking number",
                format!("**{}** {}. Nothing was changed.", e.field, e.message),
            )))
        }
    };
    let Some(seller) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let (cx2, ctx2) = (cx.clone(), super::share_context(ctx));
    let work = async move {
        let result = ship_order(&cx2, &ctx2, &typed, &seller, &carrier, &tracking).await;
        result.unwrap_or_else(|e| {
            log::error("ship_failed", &e);
            super::failure_message(&e, UserError::Internal)
        })
    };
    deferred(interaction, cx, ctx, work)
}

async fn ship_order(
    cx: &Cx,
    ctx: &Context,
    typed: &str,
    seller: &str,
    carrier: &str,
    tracking: &str,
) -> Result<Message, Failure> {
    let (db, order, f) = match load(cx, typed).await? {
        Ok(found) => found,
        Err(reply) => return Ok(reply),
    };
    if let Err(refusal) = can_ship(&f, seller) {
        return Ok(match refusal {
            ShipRefusal::NotYours => Message::oops("Not your order", "Only the order's builder can ship it."),
            ShipRefusal::AlreadyShipped => Message::oops(
                "Already shipped",
                format!("`{}` is already marked shipped; the payout went with it.", order.id),
            ),
            ShipRefusal::Disputed => Message::oops(
                "In dispute",
                "The buyer's bank is reviewing this payment; C500 HQ will be in touch. Hold the parcel for now.",
            ),
            ShipRefusal::NeedsProof => Message::oops(
                "Live proof first",
                format!(
                    "`{}` is a commission: show it on the workbench with `/c500 live order order:{}` before shipping (or ask HQ for a waiver).",
                    order.id, order.id
                ),
            ),
            ShipRefusal::Closed(status) => Message::oops(
                "Can't ship this order",
                format!("`{}` is {}; there is nothing to ship.", order.id, status.label()),
            ),
        });
    }
    let now = cx.now_ms;
    if !rows::mark_shipped(&db, &order.id, seller, carrier, tracking, now).await? {
        return Ok(Message::oops(
            "Already shipped",
            format!(
                "`{}` changed meanwhile; run `/c500 queue` to see where it stands.",
                order.id
            ),
        ));
    }
    super::deliver_soon(cx, ctx);
    let paid = match money::run(cx, &db, &order.id, Event::Release, money::Who::user(seller)).await {
        Ok(Ok(m)) if m.facts.escrow == Escrow::Released => format!(
            "Your payout of **{}** is on its way to your Stripe balance.",
            m.facts.net_transfer()
        ),
        Ok(Ok(m)) => format!(
            "Your payout of **{}** is queued: Stripe didn't answer just now and C500 retries every minute.",
            m.facts.payout_due()
        ),
        Ok(Err(Refusal::PayoutsPaused)) => "Your payout waits until Stripe enables payouts on your account again (`/c500 setup stripe`).".to_owned(),
        Ok(Err(Refusal::InFlight | Refusal::Disputed)) => "Your payout waits: this order's money is being moved or disputed; C500 retries every minute.".to_owned(),
        Ok(Err(_)) => "Nothing is left to pay out on this order (it was refunded).".to_owned(),
        Err(e) => {
            log::error("release_failed", &e);
            "Your payout is queued: C500 retries every minute.".to_owned()
        }
    };
    Ok(ok(
        "📦 Shipped!",
        format!(
            "`{}` ({}) is on its way with {}; the buyer has the tracking link. {paid}",
            order.id,
            md(&order.title),
            carrier_name(carrier)
        ),
    ))
}

/// `/c500 refund order reason`: the builder before release, HQ any time.
pub(super) fn refund(
    interaction: &Interaction,
    o: &[CommandOption],
    cx: &Cx,
    ctx: &Context,
) -> Answer {
    let env = &cx.env;
    let typed = option_str(o, "order").unwrap_or_default().to_owned();
    let reason = option_str(o, "reason")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let Some(user) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    if reason.is_empty() || reason.chars().count() > 200 {
        return Answer::Built(InteractionResponse::message(Message::oops(
            "Say why",
            "Give the buyer a short reason (up to 200 characters).",
        )));
    }
    let admin = config::is_admin(env, &user);
    let (cx2, ctx2) = (cx.clone(), super::share_context(ctx));
    let work = async move {
        refund_order(&cx2, &ctx2, &typed, &user, admin, &reason)
            .await
            .unwrap_or_else(|e| {
                log::error("refund_failed", &e);
                super::failure_message(&e, UserError::StripeUnavailable)
            })
    };
    deferred(interaction, cx, ctx, work)
}

async fn refund_order(
    cx: &Cx,
    ctx: &Context,
    typed: &str,
    user: &str,
    admin: bool,
    reason: &str,
) -> Result<Message, Failure> {
    let (db, order, f) = match load(cx, typed).await? {
        Ok(found) => found,
        Err(reply) => return Ok(reply),
    };
    let actor = match can_refund(&f, user, admin) {
        Ok(actor) => actor,
        Err(RefundRefusal::NotYours) => {
            return Ok(Message::oops(
                "Not your order",
                "Only the order's builder or C500 HQ can refund it.",
            ))
        }
        Err(RefundRefusal::AlreadyRefunded) => return Ok(already_refunded(&order.id)),
    };
    let result = money::run(
        cx,
        &db,
        &order.id,
        Event::Refund(actor),
        money::Who {
            id: user,
            why: Some(reason),
        },
    )
    .await?;
    super::deliver_soon(cx, ctx);
    let m = match result {
        Ok(m) => m,
        Err(refusal) => {
            return Ok(match refusal {
                Refusal::PaidOut => Message::oops(
                    "Your payout went out",
                    "C500 released this order's payment to you, so only C500 HQ can refund it now. Ask in the HQ help desk.",
                ),
                Refusal::Disputed => Message::oops(
                    "In dispute",
                    "The buyer's bank is deciding this payment; refunding now would pay them twice.",
                ),
                Refusal::InFlight => Message::oops(
                    "Money on the move",
                    format!("`{}` has a payout or refund on its way right now; nothing else was started. Run `/c500 queue` in a minute to see where it stands.", order.id),
                ),
                _ => already_refunded(&order.id),
            })
        }
    };
    log::event(
        "refund_requested",
        json!({ "order": order.id, "by": user, "reason": reason, "escrow": m.facts.escrow.as_str() }),
    );
    if m.facts.status == OrderStatus::Refunded {
        // Refunded before shipping, its unit is back on sale: the drop's line is served now.
        let ctx = worker::Context::new(super::share_context(ctx));
        crate::flows::waitlist::serve_soon(cx, &ctx, m.listing_id.clone());
    }
    Ok(match m.facts.escrow {
        Escrow::Refunded | Escrow::Reversed | Escrow::Owed => ok(
            "↩️ Refunded",
            format!(
                "`{}` ({}) is refunded ({} back to the buyer); the buyer has been told.",
                order.id,
                md(&order.title),
                m.facts.refunded()
            ),
        ),
        _ => ok(
            "↩️ Refund on its way",
            format!(
                "`{}` ({}): the refund is claimed and Stripe didn't confirm it just now; C500 finishes it within minutes and the buyer will be told.",
                order.id,
                md(&order.title)
            ),
        ),
    })
}

fn already_refunded(id: &str) -> Message {
    Message::oops(
        "Already refunded",
        format!("`{id}` has been refunded already."),
    )
}

/// `/c500 queue`: the builder's open orders, oldest first.
pub(super) fn queue(interaction: &Interaction, cx: &Cx) -> Answer {
    let Some(seller) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        Ok(rows::queue(&db, &seller, 25).await?)
    };
    later("queue_failed", UserError::Internal, work, |orders| {
        let fields = orders
            .iter()
            .map(|o| {
                let promised = o
                    .promised_by
                    .map(|p| format!(" · promised <t:{}:d>", (p / 1000.0) as i64))
                    .unwrap_or_default();
                EmbedField::new(
                    format!("{} · {}", o.id, md(&o.title)),
                    format!(
                        "{} · paid <t:{}:R>{promised}\n{}",
                        o.status.label(),
                        (o.paid_at / 1000.0) as i64,
                        crate::messages::next_step(o, crate::messages::Surface::Discord)
                    ),
                    false,
                )
            })
            .collect();
        InteractionResponse::message(Message::ephemeral_embed(Embed {
            title: Some("Your queue 🛠️".to_owned()),
            description: Some(if orders.is_empty() {
                "Nothing waiting on you. Stay cozy!".to_owned()
            } else {
                format!("{} order(s) waiting on you, oldest first.", orders.len())
            }),
            color: Some(colour::DREAMY),
            fields,
            ..Embed::default()
        }))
    })
}

/// The invoking HQ admin's id (None: not an admin, and `admins_only` says so).
fn hq_admin(interaction: &Interaction, cx: &Cx) -> Option<String> {
    let env = &cx.env;
    interaction
        .invoker()
        .map(|u| u.id.clone())
        .filter(|id| config::is_admin(env, id))
}

fn admins_only() -> Answer {
    Answer::Built(InteractionResponse::message(
        UserError::AdminsOnly.message(),
    ))
}

/// `/c500-hq waive order`: HQ lets a commission ship without live proof.
pub(super) fn waive(interaction: &Interaction, o: &[CommandOption], cx: &Cx) -> Answer {
    let Some(admin) = hq_admin(interaction, cx) else {
        return admins_only();
    };
    let typed = option_str(o, "order").unwrap_or_default().to_owned();
    let cx = cx.clone();
    let work = async move {
        let Some(id) = OrderId::parse(&typed) else {
            return Ok(Err(typed));
        };
        let db = cx.db()?;
        let now = cx.now_ms;
        let done = rows::waive_proof(&db, id.as_str(), &admin, now).await?;
        log::event(
            "proof_waived",
            json!({ "order": id.as_str(), "admin": admin, "done": done }),
        );
        Ok(if done { Ok(id) } else { Err(typed) })
    };
    later("waive_failed", UserError::Internal, work, |result| {
        InteractionResponse::message(match result {
            Ok(id) => ok(
                "Live proof waived",
                format!("`{id}` can ship without a stream."),
            ),
            Err(typed) => Message::oops(
                "Nothing to waive",
                format!("`{typed}` isn't an open commission still waiting for its proof."),
            ),
        })
    })
}

/// `/c500-hq absorb order`: C500 takes the order's loss instead of the builder (a debt
/// Stripe couldn't collect, or a dispute still open: losing it then costs the builder nothing).
pub(super) fn absorb(
    interaction: &Interaction,
    o: &[CommandOption],
    cx: &Cx,
    ctx: &Context,
) -> Answer {
    let Some(admin) = hq_admin(interaction, cx) else {
        return admins_only();
    };
    let typed = option_str(o, "order").unwrap_or_default().to_owned();
    let cx2 = cx.clone();
    let work = async move {
        let result = async {
            let Some(id) = OrderId::parse(&typed) else {
                return Ok(no_such_order(&typed));
            };
            let db = cx2.db()?;
            Ok(match money::run(&cx2, &db, id.as_str(), Event::Absorb, money::Who::user(&admin)).await {
                Ok(Ok(m)) => ok(
                    "C500 takes this one",
                    format!(
                        "`{id}`: C500 bears the loss; nothing more is asked of the builder. Escrow: {}.",
                        m.facts.escrow.label()
                    ),
                ),
                Ok(Err(Refusal::InFlight)) => Message::oops(
                    "Money on the move",
                    format!("`{id}` has a movement on its way; try again in a minute."),
                ),
                Ok(Err(_)) => Message::oops(
                    "Nothing to absorb",
                    format!("`{id}` has no debt and no open dispute."),
                ),
                Err(money::FlowError::NoSuchOrder) => no_such_order(&typed),
                Err(e) => return Err(e.into()),
            })
        }
        .await;
        result.unwrap_or_else(|e: Failure| {
            log::error("absorb_failed", &e);
            UserError::Internal.message()
        })
    };
    deferred(interaction, cx, ctx, work)
}

/// `/c500-hq reconcile`: the ledger against Stripe now; mismatches go to HQ too.
pub(super) fn reconcile(interaction: &Interaction, cx: &Cx, ctx: &Context) -> Answer {
    if hq_admin(interaction, cx).is_none() {
        return admins_only();
    }
    let (cx2, ctx2) = (cx.clone(), super::share_context(ctx));
    let work = async move {
        let result = async {
            let db = cx2.db()?;
            let report =
                crate::flows::reconcile::run(&cx2, &db, cx2.now_ms, 200)
                    .await?;
            super::deliver_soon(&cx2, &ctx2);
            Ok::<_, Failure>(if report.mismatches.is_empty() {
                ok(
                    "🧮 The ledger matches Stripe",
                    format!("{} recent order(s) checked; every refund and transfer agrees.", report.orders),
                )
            } else {
                Message::oops(
                    "🧮 Mismatches with Stripe",
                    format!(
                        "{} recent order(s) checked; {} mismatch(es), posted to the HQ channel:\n{}",
                        report.orders,
                        report.mismatches.len(),
                        report.mismatches.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
                    ),
                )
            })
        }
        .await;
        result.unwrap_or_else(|e| {
            log::error("reconcile_failed", &e);
            super::failure_message(&e, UserError::StripeUnavailable)
        })
    };
    deferred(interaction, cx, ctx, work)
}

/// The `order` option's suggestions: the builder's open orders matching what was typed
/// (for HQ in `admin` and `refund`, any order).
pub(super) fn autocomplete(
    interaction: &Interaction,
    path: &[&str],
    o: &[CommandOption],
    cx: &Cx,
) -> Answer {
    let env = &cx.env;
    let typed = o
        .iter()
        .find(|opt| opt.focused)
        .and_then(|opt| opt.value.as_ref())
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    let user = interaction
        .invoker()
        .map(|u| u.id.clone())
        .unwrap_or_default();
    let any_order =
        config::is_admin(env, &user) && matches!(path.first(), Some(&"admin" | &"refund"));
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        let prefix = if typed.starts_with("C5-") || typed.is_empty() {
            typed.clone()
        } else {
            format!("C5-{typed}")
        };
        if any_order {
            Ok(rows::orders_like(&db, &prefix, 25).await?)
        } else {
            Ok(rows::queue(&db, &user, 100)
                .await?
                .into_iter()
                .filter(|q| {
                    q.id.starts_with(&prefix) || q.title.to_ascii_uppercase().contains(&typed)
                })
                .collect())
        }
    };
    later("autocomplete_failed", UserError::Internal, work, |orders| {
        InteractionResponse::autocomplete(
            orders
                .iter()
                .map(|q| Choice {
                    name: format!("{} · {} · {}", q.id, q.title, q.status.as_str())
                        .chars()
                        .take(100)
                        .collect(),
                    value: q.id.clone(),
                })
                .collect(),
        )
    })
}
