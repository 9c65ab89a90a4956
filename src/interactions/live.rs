//! Twitch: `/c500 setup twitch` (an OAuth link to connect the account) and `/c500 live`
//! (proof of work for commissions, a hangout post, a drop hype post). Every mode checks
//! Helix Get Streams first: the builder must be live right now. Going live gives the
//! server's LIVE role, taken back when the stream ends (EventSub) or after 12 hours (cron).

use super::{deferred, later, Answer, Failure, UserError};
use crate::clients::discord::Discord;
use crate::clients::twitch::Twitch;
use crate::context::Cx;
use crate::discord::model::{option_str, CommandOption, Interaction};
use crate::discord::response::{
    colour, ActionRow, AllowedMentions, Button, Embed, InteractionResponse, Message,
};
use crate::domain::ids::{token_from_random, OrderId};
use crate::domain::markdown::escape as md;
use crate::domain::oauth_state;
use crate::store::twitch::{self as rows, LiveContext};
use crate::{config, log};
use serde_json::json;
use worker::worker_sys::Context;

/// `/c500 setup twitch`: a private link to Twitch's consent page, with a signed,
/// single-use state naming who asked.
pub(super) fn setup(interaction: &Interaction, cx: &Cx) -> Answer {
    let Some(user) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let cx = cx.clone();
    let env = cx.env.clone();
    let work = async move {
        let secret = config::secret(&env, "LINK_SIGNING_SECRET")?;
        let twitch = Twitch::from_env(&env, cx.now_ms)?;
        let mut random = [0u8; 20];
        getrandom::fill(&mut random)?;
        let nonce = token_from_random(&random);
        let now = cx.now_ms;
        let db = cx.db()?;
        rows::create_state(&db, &nonce, &user, now + oauth_state::LIFETIME_MS).await?;
        let state = oauth_state::sign(&secret, &user, &nonce, now);
        Ok(twitch.authorize_url(&crate::flows::twitch::callback_url(&cx), &state))
    };
    later("setup_twitch_failed", UserError::Internal, work, |url| {
        InteractionResponse::message(Message {
            components: vec![ActionRow::new(vec![Button::link("Connect Twitch", url, Some("🟣"))])],
            ..Message::ephemeral_embed(Embed {
                title: Some("Link your Twitch 🟣".to_owned()),
                description: Some(
                    "Builders prove commissions live on stream; buyers with a linked Twitch become Members (items up to $600). The link is yours alone and works once, for 10 minutes."
                        .to_owned(),
                ),
                color: Some(colour::LAVENDER),
                ..Embed::default()
            })
        })
    })
}

/// The `/c500 live` modes.
enum Mode {
    Orders(Vec<String>),
    Chat,
    Drop,
}

pub(super) fn live(
    interaction: &Interaction,
    mode: &str,
    o: &[CommandOption],
    cx: &Cx,
    ctx: &Context,
) -> Answer {
    let mode = match mode {
        "order" | "orders" => {
            let typed = option_str(o, "order")
                .or(option_str(o, "ids"))
                .unwrap_or_default();
            let mut ids = Vec::new();
            for part in typed.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
                match OrderId::parse(part) {
                    Some(id) if !ids.contains(&id.to_string()) => ids.push(id.to_string()),
                    Some(_) => {}
                    None => {
                        return Answer::Built(InteractionResponse::message(Message::oops(
                            "Check the order ids",
                            format!(
                                "`{}` isn't an order id (they look like `C5-7K2M9Q`).",
                                part.trim()
                            ),
                        )))
                    }
                }
            }
            if ids.is_empty() || ids.len() > 10 {
                return Answer::Built(InteractionResponse::message(Message::oops(
                    "Check the order ids",
                    "Name 1 to 10 orders, comma separated.",
                )));
            }
            Mode::Orders(ids)
        }
        "chat" => Mode::Chat,
        _ => Mode::Drop,
    };
    let Some(builder) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let guild = interaction.guild_id.clone();
    let channel = interaction.channel_id.clone();
    let (cx2, ctx2) = (cx.clone(), super::share_context(ctx));
    let work = async move {
        go_live(&cx2, &ctx2, &builder, guild.as_deref(), channel.as_deref(), mode)
            .await
            .unwrap_or_else(|e| {
                log::error("live_failed", &e);
                Message::oops(
                    "Twitch didn't answer",
                    "We couldn't check your stream just now and nothing changed. Please try again in a moment.",
                )
            })
    };
    deferred(interaction, cx, ctx, work)
}

async fn go_live(
    cx: &Cx,
    ctx: &Context,
    builder: &str,
    guild: Option<&str>,
    channel: Option<&str>,
    mode: Mode,
) -> Result<Message, Failure> {
    let env = &cx.env;
    let db = cx.db()?;
    let context = rows::live_context(&db, builder, guild).await?;
    let Some(LiveContext {
        is_builder: 1,
        twitch_user_id: Some(twitch_id),
        twitch_login: Some(login),
        ..
    }) = context.clone()
    else {
        return Ok(match context {
            Some(c) if c.is_builder == 1 => Message::oops(
                "Link your Twitch first",
                "Run `/c500 setup twitch` to connect the channel you stream on.",
            ),
            _ => Message::oops(
                "Builders only",
                "`/c500 live` is for Certified Builders. Run `/c500 setup stripe` to start; C500 HQ certifies builders.",
            ),
        });
    };
    let Some(context) = context else {
        return Err("live context vanished".into());
    };
    let twitch = Twitch::from_env(env, cx.now_ms)?;
    let Some(stream) = twitch.live_stream(&twitch_id).await? else {
        return Ok(Message::oops(
            "You're not live right now",
            format!("Twitch says **{login}** is offline. Start your stream, then run this again: proof has to be live."),
        ));
    };
    let url = format!("https://twitch.tv/{}", stream.user_login);
    let now = cx.now_ms;
    if let (Some(guild), Some(role)) = (guild, &context.live_role_id) {
        rows::give_live_role(&db, builder, guild, role, now).await?;
    }
    let reply = match mode {
        Mode::Orders(ids) => {
            let moved = rows::prove_orders(&db, builder, &ids, &url, now).await?;
            let skipped: Vec<&String> = ids.iter().filter(|id| !moved.contains(id)).collect();
            let mut text = if moved.is_empty() {
                "No order moved.".to_owned()
            } else {
                format!(
                    "{} now building, live at {url}; each buyer got a DM.",
                    moved
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            if !skipped.is_empty() {
                text.push_str(&format!(
                    "\nSkipped {}: only your own paid commissions can be proven.",
                    skipped
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let title = if moved.is_empty() {
                "⚠️ Nothing to prove"
            } else {
                "🔴 Order verified and buyer notified"
            };
            Message::ephemeral_embed(Embed {
                title: Some(title.to_owned()),
                description: Some(text),
                color: Some(if moved.is_empty() {
                    colour::OOPS
                } else {
                    colour::MINT
                }),
                ..Embed::default()
            })
        }
        Mode::Chat | Mode::Drop => {
            let drop = matches!(mode, Mode::Drop);
            let target = if drop {
                context.shop_channel_id.clone()
            } else {
                context.announcements_channel_id.clone()
            }
            .or(channel.map(str::to_owned))
            .ok_or("no channel to post in")?;
            let post = announcement(
                builder,
                &url,
                &stream.title,
                drop,
                context.drop_role_id.as_deref(),
            );
            Discord::from_env(env)?.post_message(&target, &post).await?;
            Message::ephemeral_embed(Embed {
                title: Some("🔴 You're live!".to_owned()),
                description: Some(format!("Posted in <#{target}>. Have a cozy stream!")),
                color: Some(colour::MINT),
                ..Embed::default()
            })
        }
    };
    log::event(
        "went_live",
        json!({ "builder": builder, "login": login, "guild": guild }),
    );
    super::deliver_soon(cx, ctx);
    Ok(reply)
}

/// The public hangout or drop-hype post (the drop post pings the server's drop role).
fn announcement(
    builder: &str,
    url: &str,
    title: &str,
    drop: bool,
    drop_role: Option<&str>,
) -> Message {
    let (heading, text) = if drop {
        (
            "🛍️ Drop incoming, live!",
            format!("<@{builder}> is live and listing a drop during the stream. Be ready on the Buy button!"),
        )
    } else {
        (
            "☁️ Cozy hangout, live!",
            format!("<@{builder}> is live: come hang out while they build."),
        )
    };
    let ping = if drop { drop_role } else { None };
    Message {
        content: ping.map(|r| format!("<@&{r}>")),
        embeds: vec![Embed {
            title: Some(heading.to_owned()),
            description: Some(if title.is_empty() {
                text
            } else {
                format!("{text}\n> {}", md(title))
            }),
            url: Some(url.to_owned()),
            color: Some(colour::SAKURA),
            ..Embed::default()
        }],
        components: vec![ActionRow::new(vec![Button::link(
            "Watch on Twitch",
            url,
            Some("🔴"),
        )])],
        allowed_mentions: AllowedMentions {
            roles: ping.map(|r| vec![r.to_owned()]).unwrap_or_default(),
            ..AllowedMentions::default()
        },
        ..Message::default()
    }
}
