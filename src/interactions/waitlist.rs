//! "Join the waitlist" on a sold-out drop (issue 11.2): one place per buyer, at the end of the
//! line (flows::buying); the reply says the place. A unit that comes back is offered down the
//! line by the cron (store::waitlist), with a DM whose Buy button takes the unit held.

use super::buy::refused;
use super::Answer;
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{colour, ActionRow, Button, Embed, InteractionResponse, Message};
use crate::domain::custom_id::CustomId;
use crate::domain::ids::ListingId;
use crate::flows::buying::{self, Buyer, Joined};
use crate::messages::{self, Surface};

pub(super) fn join(interaction: &Interaction, listing: ListingId, cx: &Cx) -> Answer {
    let id = listing.clone();
    super::for_clicker(
        interaction,
        cx,
        "waitlist_join_failed",
        move |cx, buyer, username| async move {
            let who = Buyer {
                id: &buyer,
                username: &username,
            };
            buying::join_line(&cx, &id, &who).await
        },
        move |joined| InteractionResponse::message(answer(&joined, &listing)),
    )
}

/// What the buyer is told in Discord: the words, and Buy when a unit is theirs to take.
fn answer(joined: &Joined, listing: &ListingId) -> Message {
    let (title, words) = messages::joined(joined, Surface::Discord);
    let buy = || {
        vec![ActionRow::new(vec![Button::success(
            "Buy Now with C500",
            CustomId::Buy(listing.clone()).encode(),
            Some("🛒"),
        )])]
    };
    match joined {
        Joined::Refused(refusal) => refused(refusal, listing),
        Joined::Held => Message {
            components: buy(),
            ..Message::oops(title, words)
        },
        Joined::InLine { free_now, .. } => Message {
            components: if *free_now { buy() } else { Vec::new() },
            ..Message::ephemeral_embed(Embed {
                title: Some(title.to_owned()),
                description: Some(words),
                color: Some(colour::LAVENDER),
                ..Embed::default()
            })
        },
        Joined::Failed => Message::oops(title, words),
    }
}
