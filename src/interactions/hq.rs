//! HQ's tools and the buyer's line to HQ: `/c500 report` (in a DM with the bot; the builder
//! is never told), `/c500-hq resolve|ban|unban`, and the global ban every interaction
//! with I/O checks first ("a banned user can do nothing, anywhere").

use super::{later, Answer, Failure, UserError};
use crate::context::Cx;
use crate::discord::model::{option_str, CommandOption, Interaction};
use crate::discord::response::{colour, Embed, InteractionResponse, Message};
use crate::domain::ids::{OrderId, ReportId, Snowflake};
use crate::domain::markdown::escape as md;
use crate::store::hq::{self as rows, Reported};
use crate::{config, log};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use worker::worker_sys::Context;

fn banned(reason: &str) -> InteractionResponse {
    InteractionResponse::message(Message::oops(
        "You're banned from C500",
        if reason.is_empty() {
            "Your account is banned across the Collective. To appeal, contact C500 HQ.".to_owned()
        } else {
            format!(
                "Your account is banned across the Collective ({}). To appeal, contact C500 HQ.",
                md(reason)
            )
        },
    ))
}

/// Runs `work` only if `user` is not banned (one D1 read first).
pub(super) fn unless_banned(
    user: String,
    cx: &Cx,
    work: Pin<Box<dyn Future<Output = InteractionResponse>>>,
) -> Answer {
    let cx = cx.clone();
    Answer::Later(Box::pin(async move {
        let reason = async { Ok::<_, Failure>(rows::ban_reason(&cx.db()?, &user).await?) }.await;
        match reason {
            Ok(None) => work.await,
            Ok(Some(reason)) => banned(&reason),
            Err(e) => {
                log::error("ban_check_failed", &e);
                InteractionResponse::message(super::failure_message(&e, UserError::Internal))
            }
        }
    }))
}

/// `/c500 report order reason`, in a DM with the bot only.
pub(super) fn report(
    interaction: &Interaction,
    o: &[CommandOption],
    cx: &Cx,
    ctx: &Context,
) -> Answer {
    if interaction.guild_id.is_some() {
        return Answer::Built(InteractionResponse::message(Message::oops(
            "Report in a DM",
            "Reports are private: open a DM with the C500 bot and run `/c500 report` there. The builder is never told.",
        )));
    }
    let typed = option_str(o, "order").unwrap_or_default().to_owned();
    let reason = option_str(o, "reason")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let Some(reporter) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let (Some(order), false) = (OrderId::parse(&typed), reason.is_empty()) else {
        return Answer::Built(InteractionResponse::message(Message::oops(
            "Check your report",
            "Name the order (like `C5-7K2M9Q`) and say what happened.",
        )));
    };
    let cx = cx.clone();
    let ctx = super::share_context(ctx);
    let work = async move {
        let (result, id) = crate::flows::reports::report(&cx, &order, &reporter, &reason).await?;
        super::deliver_soon(&cx, &ctx);
        Ok((result, id, order))
    };
    later(
        "report_failed",
        UserError::Internal,
        work,
        |(result, id, order)| {
            InteractionResponse::message(match result {
            Reported::Opened => Message::ephemeral_embed(Embed {
                title: Some(format!("🚩 Report {id} sent to C500 HQ")),
                description: Some(format!(
                    "HQ has your report about `{order}` and will DM you. The builder isn't told, and the order won't complete (nor its timer run out) while the report is open."
                )),
                color: Some(colour::LAVENDER),
                ..Embed::default()
            }),
            Reported::NotYourOrder => Message::oops(
                "Not your order",
                format!("`{order}` isn't one of your orders. `/c500 orders` lists yours."),
            ),
            Reported::AlreadyOpen => Message::oops(
                "Already reported",
                format!("HQ already has an open report about `{order}`; they'll be in touch."),
            ),
        })
        },
    )
}

fn admin_of(interaction: &Interaction, cx: &Cx) -> Option<String> {
    let env = &cx.env;
    interaction
        .invoker()
        .map(|u| u.id.clone())
        .filter(|id| config::is_admin(env, id))
}

fn done(title: String, description: String) -> InteractionResponse {
    InteractionResponse::message(Message::ephemeral_embed(Embed {
        title: Some(title),
        description: Some(description),
        color: Some(colour::MINT),
        ..Embed::default()
    }))
}

/// `/c500-hq resolve report resolution`.
pub(super) fn resolve(
    interaction: &Interaction,
    o: &[CommandOption],
    cx: &Cx,
    ctx: &Context,
) -> Answer {
    let Some(admin) = admin_of(interaction, cx) else {
        return Answer::Built(InteractionResponse::message(
            UserError::AdminsOnly.message(),
        ));
    };
    let typed = option_str(o, "report").unwrap_or_default().to_owned();
    let resolution = option_str(o, "resolution")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let (Some(id), false) = (ReportId::parse(&typed), resolution.is_empty()) else {
        return Answer::Built(InteractionResponse::message(Message::oops(
            "Check the report",
            "Name the report (like `R-7K2M9Q`) and what was decided.",
        )));
    };
    let cx = cx.clone();
    let ctx = super::share_context(ctx);
    let work = async move {
        let db = cx.db()?;
        let now = cx.now_ms;
        let ok = rows::resolve_report(&db, id.as_str(), &admin, &resolution, now).await?;
        super::deliver_soon(&cx, &ctx);
        Ok((ok, id))
    };
    later("resolve_failed", UserError::Internal, work, |(ok, id)| {
        if ok {
            done(
                format!("Report {id} resolved"),
                "The reporter has been told.".to_owned(),
            )
        } else {
            InteractionResponse::message(Message::oops(
                "No open report",
                format!("There's no open report `{id}`."),
            ))
        }
    })
}

/// `/c500-hq ban user reason` and `/c500-hq unban user`.
pub(super) fn ban(
    interaction: &Interaction,
    o: &[CommandOption],
    cx: &Cx,
    ctx: &Context,
    ban: bool,
) -> Answer {
    let Some(admin) = admin_of(interaction, cx) else {
        return Answer::Built(InteractionResponse::message(
            UserError::AdminsOnly.message(),
        ));
    };
    let Some(user) = option_str(o, "user").and_then(Snowflake::parse) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    if user.as_str() == admin {
        return Answer::Built(InteractionResponse::message(Message::oops(
            "Not yourself",
            "HQ admins can't ban themselves.",
        )));
    }
    let reason = option_str(o, "reason")
        .unwrap_or("breaking the Collective's rules")
        .trim()
        .to_owned();
    let username = interaction
        .data
        .as_ref()
        .and_then(|d| d.resolved.as_ref())
        .and_then(|r| r.users.get(user.as_str()))
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let cx = cx.clone();
    let ctx = super::share_context(ctx);
    let work = async move {
        let db = cx.db()?;
        let now = cx.now_ms;
        rows::set_ban(
            &db,
            &admin,
            user.as_str(),
            &username,
            ban.then_some(reason.as_str()),
            now,
        )
        .await?;
        // Their sessions ended in that batch; this isolate's kept dashboards go now (others'
        // age out within PAGE_CACHE_SECONDS, and every form post reads D1 again).
        crate::pages::dashboard::invalidate();
        log::event(
            if ban { "user_banned" } else { "user_unbanned" },
            json!({ "user": user.as_str(), "admin": admin }),
        );
        super::deliver_soon(&cx, &ctx);
        Ok(user)
    };
    later("ban_failed", UserError::Internal, work, move |user| {
        if ban {
            done(
                "⛔ Banned".to_owned(),
                format!("<@{user}> can do nothing on C500 now; their live drops are off sale and they've been told."),
            )
        } else {
            done(
                "Ban lifted".to_owned(),
                format!("<@{user}> can use C500 again (their old drops stay delisted)."),
            )
        }
    })
}
