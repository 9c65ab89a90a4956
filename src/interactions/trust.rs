//! The buyer's side of trust: `/c500 profile` (the Citizen Passport: tier, cap, early
//! access, and how to grow) and `/c500 vouch @user` (certified builders, once per buyer).

use super::{later, Answer, UserError};
use crate::context::Cx;
use crate::discord::model::{option_str, CommandOption, Interaction};
use crate::discord::response::{
    colour, Embed, EmbedField, EmbedFooter, InteractionResponse, Message,
};
use crate::domain::ids::Snowflake;
use crate::domain::trust::Tier;
use crate::log;
use crate::store::trust::{self as rows, Passport, Vouched};
use serde_json::json;

fn tier_badge(tier: Tier) -> &'static str {
    match tier {
        Tier::Guest => "🌱 Guest",
        Tier::Member => "💎 Member",
        Tier::Vip => "👑 VIP Citizen",
    }
}

/// The passport embed (pure, from what D1 said).
pub fn passport(user: &str, p: Option<&Passport>) -> Message {
    let tier = p.and_then(|p| Tier::parse(&p.tier)).unwrap_or(Tier::Guest);
    let cap = tier
        .cap()
        .map_or("✅ Unlimited Purchase Cap".to_owned(), |c| {
            format!("Purchase cap: {c} per item")
        });
    let early = if tier.early_access_ms() > 0 {
        "✅ Access to Early-Bird Drops (10 minutes early)"
    } else {
        "Early-Bird Drops: VIPs only"
    };
    let mut fields = vec![
        EmbedField::new("User", format!("<@{user}>"), true),
        EmbedField::new("Tier", tier_badge(tier), true),
        EmbedField::new("Perks", format!("{cap}\n{early}"), false),
    ];
    if let Some(p) = p {
        fields.push(EmbedField::new(
            "Record",
            format!(
                "{} completed purchase(s) · {} builder vouch(es) · Twitch {}{}",
                p.completed_orders,
                p.vouches,
                p.twitch_login
                    .as_deref()
                    .map_or("not linked".to_owned(), |l| format!("**{l}**")),
                if p.is_builder == 1 {
                    " · 🛠️ Certified Builder"
                } else {
                    ""
                },
            ),
            false,
        ));
        if p.is_banned == 1 {
            fields.push(EmbedField::new(
                "Standing",
                "⛔ Banned from the Collective",
                false,
            ));
        }
    }
    let footer = match tier {
        Tier::Vip => "Keep collecting to maintain your VIP status!",
        other => other.how_to_grow(),
    };
    Message::ephemeral_embed(Embed {
        title: Some("C500 Citizen Passport ✨".to_owned()),
        color: Some(colour::LAVENDER),
        fields,
        footer: Some(EmbedFooter {
            text: footer.to_owned(),
        }),
        ..Embed::default()
    })
}

/// `/c500 profile [user]`.
pub(super) fn profile(interaction: &Interaction, o: &[CommandOption], cx: &Cx) -> Answer {
    let me = interaction
        .invoker()
        .map(|u| u.id.clone())
        .unwrap_or_default();
    let whom = option_str(o, "user")
        .and_then(Snowflake::parse)
        .map_or(me, |s| s.as_str().to_owned());
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        Ok((rows::passport(&db, &whom).await?, whom))
    };
    later(
        "profile_failed",
        UserError::Internal,
        work,
        |(found, whom)| InteractionResponse::message(passport(&whom, found.as_ref())),
    )
}

/// `/c500 vouch @user`.
pub(super) fn vouch(interaction: &Interaction, o: &[CommandOption], cx: &Cx) -> Answer {
    let builder = interaction
        .invoker()
        .map(|u| u.id.clone())
        .unwrap_or_default();
    let Some(buyer) = option_str(o, "user").and_then(Snowflake::parse) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    if buyer.as_str() == builder {
        return Answer::Built(InteractionResponse::message(Message::oops(
            "Not yourself",
            "Vouches are for buyers you've traded with. Your own reputation grows with every purchase.",
        )));
    }
    let name = interaction
        .data
        .as_ref()
        .and_then(|d| d.resolved.as_ref())
        .and_then(|r| r.users.get(buyer.as_str()))
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        let now = cx.now_ms;
        let result = rows::vouch(&db, &builder, buyer.as_str(), &name, now).await?;
        log::event(
            "vouch",
            json!({ "builder": builder, "buyer": buyer.as_str(), "result": format!("{result:?}") }),
        );
        Ok((result, buyer))
    };
    later(
        "vouch_failed",
        UserError::Internal,
        work,
        |(result, buyer)| {
            InteractionResponse::message(match result {
                Vouched::Now => Message::ephemeral_embed(Embed {
                    title: Some("🤝 Vouched!".to_owned()),
                    description: Some(format!(
                    "You vouched for <@{buyer}>: they're now at least a Member (items up to $600)."
                )),
                    color: Some(colour::MINT),
                    ..Embed::default()
                }),
                Vouched::Already => Message::oops(
                    "Already vouched",
                    format!(
                        "You've vouched for <@{buyer}> before; one vouch per builder and buyer."
                    ),
                ),
                Vouched::NotABuilder => Message::oops(
                    "Builders only",
                    "Only Certified Builders can vouch for buyers.",
                ),
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(tier: &str) -> Passport {
        Passport {
            tier: tier.into(),
            completed_orders: 3,
            lost_disputes: 0,
            vouches: 1,
            twitch_login: Some("keyz".into()),
            is_banned: 0,
            is_builder: 0,
            created_at: 0.0,
        }
    }

    #[test]
    fn the_passport_shows_tier_and_perks() {
        let vip = serde_json::to_string(&passport("1", Some(&p("vip")))).unwrap();
        assert!(vip.contains("👑 VIP Citizen"), "{vip}");
        assert!(vip.contains("Unlimited Purchase Cap"));
        assert!(vip.contains("Keep collecting to maintain your VIP status!"));
        let guest = serde_json::to_string(&passport("1", None)).unwrap();
        assert!(guest.contains("🌱 Guest"));
        assert!(guest.contains("$150.00 per item"));
        assert!(guest.contains("become a Member"));
    }
}
