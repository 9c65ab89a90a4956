//! "Enter the raffle" on a raffle drop (issue 11.3): one entry per Discord account while the
//! raffle is open, with the builder's account-age gate (flows::buying); the reply says where
//! things stand and how the draw can be checked. The draw is the cron's (domain::raffle).

use super::buy::refused;
use super::Answer;
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{colour, Embed, InteractionResponse, Message};
use crate::domain::ids::ListingId;
use crate::flows::buying::{self, Buyer, Entered};
use crate::messages::{self, Surface};

pub(super) fn enter(interaction: &Interaction, listing: ListingId, cx: &Cx) -> Answer {
    let id = listing.clone();
    // Discord sends the clicker's roles with a click in a server (the role gate); none in a DM.
    let roles = interaction.member.as_ref().map(|m| m.roles.clone());
    super::for_clicker(
        interaction,
        cx,
        "raffle_enter_failed",
        move |cx, buyer, username| async move {
            let who = Buyer {
                id: &buyer,
                username: &username,
            };
            buying::enter_raffle(&cx, &id, &who, roles.as_deref()).await
        },
        move |entered| InteractionResponse::message(answer(&entered, &listing)),
    )
}

/// What the clicker is told in Discord.
fn answer(entered: &Entered, listing: &ListingId) -> Message {
    let (title, words) = messages::entered(entered, Surface::Discord);
    match entered {
        Entered::Refused(refusal) => refused(refusal, listing),
        Entered::In { .. } => Message::ephemeral_embed(Embed {
            title: Some(title.to_owned()),
            description: Some(words),
            color: Some(colour::SAKURA),
            ..Embed::default()
        }),
        _ => Message::oops(title, words),
    }
}
