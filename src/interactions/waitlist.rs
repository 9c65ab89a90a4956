//! "Join the waitlist" on a sold-out drop (issue 11.2): one place per buyer, at the end of the
//! line; the reply says the place. A unit that comes back is offered down the line by the
//! cron (store::waitlist), with a DM whose Buy button takes the unit held for the buyer.

use super::buy::{in_line, refused, LINE_PROMISE};
use super::{later, Answer, UserError};
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{colour, ActionRow, Button, Embed, InteractionResponse, Message};
use crate::domain::buying::{BuyFacts, Refusal};
use crate::domain::custom_id::CustomId;
use crate::domain::ids::ListingId;
use crate::store::waitlist;

pub(super) fn join(interaction: &Interaction, listing: ListingId, cx: &Cx) -> Answer {
    let Some(user) = interaction.invoker() else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownButton.message(),
        ));
    };
    let (buyer, username) = (user.id.clone(), user.username.clone());
    let cx = cx.clone();
    let id = listing.clone();
    let work = async move {
        let db = cx.db()?;
        Ok(waitlist::join(&db, id.as_str(), &buyer, &username, cx.now_ms).await?)
    };
    later(
        "waitlist_join_failed",
        UserError::Internal,
        work,
        move |facts| InteractionResponse::message(answer(&facts, &listing)),
    )
}

/// What the buyer is told, from the facts read in the join's own batch.
fn answer(f: &BuyFacts, listing: &ListingId) -> Message {
    let refusal = match &f.listing {
        _ if f.banned => Some(Refusal::Banned),
        None => Some(Refusal::NoSuchDrop),
        Some(l) if l.seller_id == f.buyer_id => Some(Refusal::OwnDrop),
        Some(l) if !l.live => Some(Refusal::Delisted),
        Some(l) if l.raffle_closes_at_ms.is_some() => l
            .raffle_closes_at_ms
            .map(|closes_at_ms| Refusal::Raffle { closes_at_ms }),
        Some(l) if f.hold.is_none() && l.per_buyer.is_some_and(|n| l.bought >= n) => {
            l.per_buyer.map(|limit| Refusal::OverLimit { limit })
        }
        Some(_) => None,
    };
    if let Some(refusal) = refusal {
        return refused(&refusal, listing);
    }
    let buy = || {
        vec![ActionRow::new(vec![Button::success(
            "Buy Now with C500",
            CustomId::Buy(listing.clone()).encode(),
            Some("🛒"),
        )])]
    };
    match &f.listing {
        _ if f.hold.is_some() => Message {
            components: buy(),
            ..Message::oops(
                "A unit is held for you",
                "Click Buy for your secure checkout link.",
            )
        },
        Some(l) if l.waiting => {
            let now = if l.stock > 0 && l.ahead == 0 {
                " A unit is free right now: click Buy to take it."
            } else {
                ""
            };
            Message {
                components: if now.is_empty() { Vec::new() } else { buy() },
                ..Message::ephemeral_embed(Embed {
                    title: Some("🎟️ You're on the waitlist!".to_owned()),
                    description: Some(format!("{} {LINE_PROMISE}{now}", in_line(l.ahead + 1))),
                    color: Some(colour::LAVENDER),
                    ..Embed::default()
                })
            }
        }
        _ => Message::oops(
            "Couldn't join the line",
            "We couldn't add you to the waitlist just now. Please try again.",
        ),
    }
}
