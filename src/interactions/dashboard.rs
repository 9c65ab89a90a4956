//! `/c500 dashboard`: a builder's shop at a glance: exact sums from D1, not estimates.

use super::{later, Answer, UserError};
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{
    colour, Embed, EmbedField, EmbedFooter, InteractionResponse, Message,
};
use crate::domain::money::Cents;
use crate::store::{self, builders::Dashboard, ledger};

pub(super) fn show(interaction: &Interaction, cx: &Cx) -> Answer {
    let Some(seller) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        let Some(mut d) = store::builders::dashboard(&db, &seller).await? else {
            return Ok(None);
        };
        // A debt is rare: each owing order's ledger says how much (domain::escrow).
        for id in ledger::owed_by(&db, &seller).await? {
            if let Some(m) = ledger::money(&db, &id).await? {
                d.owed_cents += m.facts.overpaid().get();
            }
        }
        Ok(Some(d))
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
    let mut fields = vec![
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
    ];
    if d.owed_cents > 0 {
        fields.push(EmbedField::new(
            "🧾 You owe C500",
            format!(
                "{}: refunds after your payout that Stripe couldn't take back from your balance. C500 asks again daily; top up your Stripe balance or talk to HQ.",
                Cents::new(d.owed_cents)
            ),
            false,
        ));
    }
    Message::ephemeral_embed(Embed {
        title: Some("☁️ Your C500 Dashboard".to_owned()),
        color: Some(colour::LAVENDER),
        fields,
        footer: Some(EmbedFooter {
            text: "Amounts are your payouts, after C500's 10% fee. /c500 queue lists the orders."
                .to_owned(),
        }),
        ..Embed::default()
    })
}
