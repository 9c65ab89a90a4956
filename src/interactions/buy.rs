//! The Buy button: flows::buying holds one unit atomically and makes its Stripe Checkout
//! Session; this answers with an ephemeral link. Two D1 round trips (the hold batch, then
//! recording the session). In a busy drop the unit is held at once and the Checkout waits
//! for its turn (flows::buying): the first answer says "you're in" and the link is edited in
//! when it exists; when anything else is slow the reply is deferred past 2 s and edited the
//! same way (Discord waits 3 s).

use super::{answered_early, Early, UserError};
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{colour, ActionRow, Button, Embed, Message};
use crate::domain::buying::Refusal;
use crate::domain::custom_id::CustomId;
use crate::domain::ids::ListingId;
use crate::flows::buying::{self, Bought, Buyer};
use crate::log;
use crate::messages::{self, Surface};
use serde_json::json;
use worker::worker_sys::Context;

pub(super) fn click(
    interaction: &Interaction,
    listing: ListingId,
    cx: &Cx,
    ctx: &Context,
) -> super::Answer {
    let Some(user) = interaction.invoker() else {
        return super::Answer::Built(crate::discord::response::InteractionResponse::message(
            UserError::UnknownButton.message(),
        ));
    };
    let buyer = user.id.clone();
    let username = user.username.clone();
    let cx2 = cx.clone();
    let progress = buying::Progress::default();
    let told = progress.clone();
    let work = async move {
        crate::store::take_round_trips();
        let who = Buyer {
            id: &buyer,
            username: &username,
        };
        let result = buying::buy(&cx2, &listing, &who, &told).await;
        log::event(
            "buy_done",
            json!({ "listing": listing.as_str(), "d1_round_trips": crate::store::take_round_trips() }),
        );
        match result {
            Ok(bought) => answer(&bought, &listing),
            Err(e) => {
                log::error("buy_failed", &e);
                super::failure_message(&e, UserError::Internal)
            }
        }
    };
    let early = Early {
        progress,
        message: held_early,
    };
    answered_early(interaction, cx, ctx, work, Some(early))
}

/// The first answer while a held unit's Checkout waits for its turn: the link is edited in.
fn held_early(wait_ms: f64) -> Message {
    let (title, words) = messages::held_early(wait_ms, Surface::Discord);
    Message::ephemeral_embed(Embed {
        title: Some(title.to_owned()),
        description: Some(words),
        color: Some(colour::SAKURA),
        ..Embed::default()
    })
}

/// What the buyer is told in Discord.
fn answer(bought: &Bought, listing: &ListingId) -> Message {
    match bought {
        Bought::Link { url, .. } => checkout_link(bought, url),
        Bought::Refused(refusal) => refused(refusal, listing),
        Bought::StripeUnavailable => UserError::StripeUnavailable.message(),
        other => {
            let (title, words) = messages::bought(other, Surface::Discord);
            Message::oops(title, words)
        }
    }
}

fn checkout_link(bought: &Bought, url: &str) -> Message {
    let (title, words) = messages::bought(bought, Surface::Discord);
    Message {
        components: vec![ActionRow::new(vec![Button::link(
            "Secure Checkout (Stripe)",
            url,
            Some("🔒"),
        )])],
        ..Message::ephemeral_embed(Embed {
            title: Some(title.to_owned()),
            description: Some(words),
            color: Some(colour::SAKURA),
            ..Embed::default()
        })
    }
}

/// A refusal, with the button that helps: Join the waitlist on a sold-out drop the buyer
/// does not wait for yet, Enter on a raffle.
pub(super) fn refused(refusal: &Refusal, listing: &ListingId) -> Message {
    let (title, words) = messages::refusal(refusal, Surface::Discord);
    let button = match refusal {
        Refusal::SoldOut { place: None } | Refusal::LineFirst { place: None } => {
            Some(Button::secondary(
                "Join the waitlist",
                CustomId::Waitlist(listing.clone()).encode(),
                Some("🎟️"),
            ))
        }
        Refusal::Raffle { .. } => Some(Button::success(
            "Enter the raffle",
            CustomId::Enter(listing.clone()).encode(),
            Some("🎲"),
        )),
        _ => None,
    };
    Message {
        components: button
            .map(|b| vec![ActionRow::new(vec![b])])
            .unwrap_or_default(),
        ..Message::oops(title, words)
    }
}
