//! `/c500-hq approve|revoke`: HQ admins (ADMIN_USER_IDS) certify builders and set their
//! guild badges. Every action is written to `admin_actions` in the same batch as its effect.

use super::{later, Answer, UserError};
use crate::context::Cx;
use crate::discord::model::{option_str, CommandOption, Interaction};
use crate::discord::response::{colour, Embed, InteractionResponse, Message};
use crate::domain::ids::Snowflake;
use crate::domain::seller::{fallback_handle, handle_from, GuildTag};
use crate::{config, log, store};
use serde_json::json;

fn refuse(error: UserError) -> Answer {
    Answer::Built(InteractionResponse::message(error.message()))
}

fn done(title: String, description: String, colour: u32) -> InteractionResponse {
    InteractionResponse::message(Message::ephemeral_embed(Embed {
        title: Some(title),
        description: Some(description),
        color: Some(colour),
        ..Embed::default()
    }))
}

/// The admin, and the user the command names (with their username); or why not.
fn admin_and_subject(
    interaction: &Interaction,
    options: &[CommandOption],
    cx: &Cx,
) -> Result<(String, Snowflake, String), UserError> {
    let env = &cx.env;
    let admin = interaction
        .invoker()
        .map(|u| u.id.clone())
        .unwrap_or_default();
    if !config::is_admin(env, &admin) {
        return Err(UserError::AdminsOnly);
    }
    let Some(subject) = option_str(options, "user").and_then(Snowflake::parse) else {
        return Err(UserError::UnknownCommand);
    };
    let username = interaction
        .data
        .as_ref()
        .and_then(|d| d.resolved.as_ref())
        .and_then(|r| r.users.get(subject.as_str()))
        .map(|u| u.username.clone())
        .unwrap_or_default();
    Ok((admin, subject, username))
}

pub(super) fn approve(interaction: &Interaction, options: &[CommandOption], cx: &Cx) -> Answer {
    let (admin, subject, username) = match admin_and_subject(interaction, options, cx) {
        Ok(found) => found,
        Err(error) => return refuse(error),
    };
    let tags = match GuildTag::parse_list(option_str(options, "guilds").unwrap_or_default()) {
        Ok(tags) => tags,
        Err(unknown) => return refuse(UserError::UnknownGuild(unknown)),
    };
    let handle = handle_from(&username, subject.as_str());
    let approval = store::builders::Approval {
        builder: subject.as_str().to_owned(),
        username,
        fallback_handle: fallback_handle(&handle, subject.as_str()),
        handle,
        guild_tags: GuildTag::join(&tags),
        admin,
    };
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        store::builders::approve_builder(&db, &approval, cx.now_ms).await?;
        log::event(
            "builder_approved",
            json!({ "builder": approval.builder, "by": approval.admin, "tags": approval.guild_tags }),
        );
        Ok(approval.builder)
    };
    later(
        "builder_approve_failed",
        UserError::Internal,
        work,
        move |builder| {
            let badges: Vec<&str> = tags.iter().map(|t| t.badge()).collect();
            done(
            "✅ Certified Builder".to_owned(),
            format!(
                "<@{builder}> is now a Certified C500 Builder ({}).\nNext: they run `/c500 setup stripe` \
                 to get paid; they can post drops once Stripe enables their account.",
                badges.join(", ")
            ),
            colour::MINT,
        )
        },
    )
}

pub(super) fn revoke(interaction: &Interaction, options: &[CommandOption], cx: &Cx) -> Answer {
    let (admin, subject, _) = match admin_and_subject(interaction, options, cx) {
        Ok(found) => found,
        Err(error) => return refuse(error),
    };
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        let now = cx.now_ms;
        let revoked = store::builders::revoke_builder(&db, subject.as_str(), &admin, now).await?;
        if revoked {
            log::event(
                "builder_revoked",
                json!({ "builder": subject.as_str(), "by": admin }),
            );
        }
        Ok((revoked, subject))
    };
    later(
        "builder_revoke_failed",
        UserError::Internal,
        work,
        |(revoked, subject)| {
            if !revoked {
                return InteractionResponse::message(UserError::NotABuilder.message());
            }
            done(
                "Certification revoked".to_owned(),
                format!("<@{subject}> can no longer post drops. Their open orders are unaffected."),
                colour::LAVENDER,
            )
        },
    )
}
