//! `/c500 dashboard`: a builder's shop at a glance: exact sums from D1, not estimates.

use super::{io, later, Answer, UserError};
use crate::config;
use crate::discord::model::Interaction;
use crate::discord::response::{
    colour, Embed, EmbedField, EmbedFooter, InteractionResponse, Message,
};
use crate::domain::money::Cents;
use crate::store::{self, Dashboard};
use worker::Env;

pub(super) fn show(interaction: &Interaction, env: &Env) -> Answer {
    let Some(seller) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let env = env.clone();
    let work = async move {
        let db = config::db(&env).map_err(io)?;
        store::dashboard(&db, &seller).await.map_err(io)
    };
    later(
        "dashboard_failed",
        UserError::Internal,
        work,
        |dashboard| match dashboard {
            Some(d) => InteractionResponse::message(message(&d)),
            None => InteractionResponse::message(UserError::NoShop.message()),
        },
    )
}

pub fn message(d: &Dashboard) -> Message {
    Message::ephemeral_embed(Embed {
        title: Some("☁️ Your C500 Dashboard".to_owned()),
        color: Some(colour::LAVENDER),
        fields: vec![
            EmbedField::new("🛍️ Active listings", d.active_listings.to_string(), true),
            EmbedField::new(
                "📦 Orders waiting on you",
                d.waiting_orders.to_string(),
                true,
            ),
            EmbedField::new(
                "🔒 Held by C500",
                Cents::new(d.held_cents).to_string(),
                true,
            ),
            EmbedField::new(
                "💸 Released to you",
                Cents::new(d.released_cents).to_string(),
                true,
            ),
        ],
        footer: Some(EmbedFooter {
            text: "Amounts are your payouts, after C500's 10% fee. /c500 queue lists the orders."
                .to_owned(),
        }),
        ..Embed::default()
    })
}
