//! "Enter the raffle" on a raffle drop (issue 11.3): one entry per Discord account while the
//! raffle is open, with the builder's account-age gate; the reply says where things stand
//! and how the draw can be checked. The draw is the cron's (domain::raffle, store::raffle).

use super::buy::refused;
use super::{later, Answer, UserError};
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{colour, Embed, InteractionResponse, Message};
use crate::domain::buying::Refusal;
use crate::domain::ids::ListingId;
use crate::domain::raffle;
use crate::store::raffle::{self as store, Entry, EntryFacts};

pub(super) fn enter(interaction: &Interaction, listing: ListingId, cx: &Cx) -> Answer {
    let Some(user) = interaction.invoker() else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownButton.message(),
        ));
    };
    let (buyer, username) = (user.id.clone(), user.username.clone());
    let clicker = buyer.clone();
    let cx = cx.clone();
    let id = listing.clone();
    let work = async move {
        let db = cx.db()?;
        let entry = Entry {
            listing: id.as_str(),
            buyer: &buyer,
            username: &username,
            // An id that is not a snowflake is never old enough.
            account_created_ms: raffle::account_created_ms(&buyer).unwrap_or(f64::MAX),
            now_ms: cx.now_ms,
        };
        Ok((store::enter(&db, &entry).await?, cx.now_ms))
    };
    later(
        "raffle_enter_failed",
        UserError::Internal,
        work,
        move |(facts, now)| InteractionResponse::message(answer(&facts, &listing, &clicker, now)),
    )
}

/// What the clicker is told, from the facts read in the entry's own batch.
fn answer(f: &EntryFacts, listing: &ListingId, buyer: &str, now_ms: f64) -> Message {
    let refusal = match (&f.status, &f.seller_id) {
        _ if f.banned == 1 => Some(Refusal::Banned),
        (None, _) | (_, None) => Some(Refusal::NoSuchDrop),
        (Some(status), _) if status != "live" => Some(Refusal::Delisted),
        (_, Some(seller)) if seller == buyer => Some(Refusal::OwnDrop),
        _ if f.entered == 0 && f.seller_ok != Some(1) => Some(Refusal::SellerPaused),
        _ => None,
    };
    if let Some(refusal) = refusal {
        return refused(&refusal, listing);
    }
    let closes = f.closes_at.map(|ms| (ms / 1000.0) as i64);
    let Some(closes) = closes else {
        return Message::oops(
            "Not a raffle",
            "This drop is sold first come: click Buy instead.",
        );
    };
    if f.entered == 1 {
        let commitment = f.commitment.as_deref().unwrap_or_default();
        return Message::ephemeral_embed(Embed {
            title: Some("🎲 You're in the raffle!".to_owned()),
            description: Some(format!(
                "{} entries so far, one per account. The draw is <t:{closes}:R>: the winners get a DM with a Buy button, and everyone else keeps their place in line in the drawn order. The draw is fair and checkable: its seed's fingerprint is `{commitment}`, and the seed is published at the draw (see the drop's page).",
                f.entries
            )),
            color: Some(colour::SAKURA),
            ..Embed::default()
        });
    }
    if f.drawn_at.is_some() || f.closes_at.is_some_and(|at| at <= now_ms) {
        return Message::oops(
            "Entries are closed",
            "This raffle has closed. If units are left after the winners, Buy and the waitlist open on the drop.",
        );
    }
    if let Some(at) = f.release_at.filter(|at| *at > now_ms) {
        return Message::oops(
            "Not open yet",
            format!("Entries open <t:{}:R>.", (at / 1000.0) as i64),
        );
    }
    if let Some(days) = f
        .min_age_days
        .filter(|days| !raffle::old_enough(buyer, *days, now_ms))
    {
        return Message::oops(
            "Your account is too new",
            format!("This raffle takes entries from Discord accounts at least {days} days old, so bots can't crowd out the community."),
        );
    }
    Message::oops(
        "Couldn't enter",
        "We couldn't add your entry just now. Please try again.",
    )
}
