//! The Buy button: hold one unit atomically, then a Stripe Checkout Session for it, and an
//! ephemeral link. Two D1 round trips (the hold batch, then recording the session); when
//! Stripe is slow the reply is deferred and edited once the link exists (Discord waits 3 s).
//! A click repeated within 10 s (clients::clicks) reads what is held instead of writing.

use super::{deferred, Failure, UserError};
use crate::clients::clicks::{self, Gate};
use crate::clients::stripe::{Stripe, StripeError};
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{colour, ActionRow, Button, Embed, Message};
use crate::domain::buying::{decide, BuyOutcome, Refusal, HOLD_MS};
use crate::domain::custom_id::CustomId;
use crate::domain::ids::{seeded_random, ListingId, OrderId};
use crate::domain::money::Cents;
use crate::store::buying::{self, HoldCheckout, HoldRequest};
use crate::stripe::checkout::{checkout_form, CheckoutRequest};
use crate::{config, log};
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
    let work = async move {
        crate::store::take_round_trips();
        let result = buy(&cx2, &listing, &buyer, &username).await;
        log::event(
            "buy_done",
            json!({ "listing": listing.as_str(), "d1_round_trips": crate::store::take_round_trips() }),
        );
        match result {
            Ok(message) => message,
            Err(e) => {
                log::error("buy_failed", &e);
                super::failure_message(&e, UserError::Internal)
            }
        }
    };
    deferred(interaction, cx, ctx, work)
}

async fn buy(
    cx: &Cx,
    listing: &ListingId,
    buyer: &str,
    username: &str,
) -> Result<Message, Failure> {
    let env = &cx.env;
    let db = cx.db()?;
    let now = cx.now_ms;
    if clicks::gate(env, "buy", buyer, listing.as_str()).await == Gate::Again {
        match again(cx, &db, listing, buyer, now).await? {
            Again::Answer(message) => return Ok(message),
            Again::Write => {}
        }
    }
    // A fresh id per attempt: if the rules allowed a hold and none was taken, the id
    // collided with an older reservation (the primary key refused it, no unit was spent),
    // so the click tries again with another.
    let mut attempt = 0;
    let (outcome, hold) = loop {
        attempt += 1;
        let random = match config::order_id_seed(env) {
            Some(seed) => seeded_random(&seed, &[buyer, listing.as_str(), &attempt.to_string()]),
            None => {
                let mut random = [0u8; 8];
                getrandom::fill(&mut random)?;
                random
            }
        };
        let new_id = OrderId::from_random(&random);
        let request = HoldRequest {
            listing: listing.as_str(),
            buyer,
            username,
            new_id: new_id.as_str(),
            now_ms: now,
            expires_at_ms: now + HOLD_MS,
        };
        let (facts, hold) = buying::reserve(&db, &request).await?;
        let outcome = decide(&facts, now);
        if outcome != BuyOutcome::Refused(Refusal::Busy) || attempt >= 3 {
            break (outcome, hold);
        }
    };
    log::event(
        "buy_click",
        json!({ "listing": listing.as_str(), "buyer": buyer, "outcome": outcome.code(), "attempts": attempt }),
    );
    match outcome {
        BuyOutcome::Refused(refusal) => Ok(refused(&refusal, listing)),
        BuyOutcome::Resume { url } => Ok(checkout_link(&url, hold.map(|h| h.hold_expires_at))),
        BuyOutcome::Checkout { hold_id, fresh } => {
            let hold = hold.ok_or("the hold vanished between statements of one batch")?;
            checkout(cx, &db, &hold, &hold_id, fresh, buyer, now).await
        }
    }
}

/// What a repeated click does.
enum Again {
    /// Answered from what is held.
    Answer(Message),
    /// Nothing is held although the first click had time to write: things changed since it
    /// (it was refused and the buyer has since been vouched for, or it failed), so this
    /// click writes after all. Once per window (`buy-again`), so a storm still writes twice
    /// at most.
    Write,
}

/// A click repeated within the window (clients::clicks): the answer from what is already
/// held, with reads and no write: the same link, the same refusal, or "almost ready" while
/// the first click is still making the Checkout.
async fn again(
    cx: &Cx,
    db: &worker::D1Database,
    listing: &ListingId,
    buyer: &str,
    now: f64,
) -> Result<Again, Failure> {
    // While the first click is still at work (its hold not yet written, or its Checkout not
    // yet made), look again a few times, so a double-click gets the same link twice.
    let mut held = false;
    for look in 0..=REPEAT_LOOKS {
        if look > 0 {
            crate::sleep::sleep_ms(REPEAT_LOOK_EVERY.as_millis() as f64).await;
        }
        let found = buying::current(db, listing.as_str(), buyer, now).await?;
        let Some((facts, hold)) = found else { continue };
        match decide(&facts, now) {
            BuyOutcome::Resume { url } => {
                return Ok(Again::Answer(checkout_link(
                    &url,
                    hold.map(|h| h.hold_expires_at),
                )))
            }
            // A unit the line offered has nobody making its Checkout: this click makes it.
            BuyOutcome::Checkout { .. } if facts.hold.as_ref().is_some_and(|h| h.offered) => {
                return Ok(Again::Write)
            }
            BuyOutcome::Checkout { .. } => held = true,
            BuyOutcome::Refused(Refusal::Busy) => held = false,
            BuyOutcome::Refused(refusal) => return Ok(Again::Answer(refused(&refusal, listing))),
        }
    }
    if held {
        return Ok(Again::Answer(almost_ready()));
    }
    if clicks::gate(&cx.env, "buy-again", buyer, listing.as_str()).await == Gate::First {
        return Ok(Again::Write);
    }
    Ok(Again::Answer(Message::oops(
        "One moment",
        "You clicked Buy a moment ago. Give it a few seconds, then click again.",
    )))
}

/// How often, and how long, a repeated click waits for the first click's link: at most
/// 3 reads over 0.9 s, well inside Discord's 3 s (and the reply is deferred past 2 s).
const REPEAT_LOOKS: u32 = 2;
const REPEAT_LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(450);

fn almost_ready() -> Message {
    Message::oops(
        "Almost ready",
        "Your checkout is being prepared. Click Buy again in a moment.",
    )
}

async fn checkout(
    cx: &Cx,
    db: &worker::D1Database,
    hold: &HoldCheckout,
    hold_id: &str,
    fresh: bool,
    buyer: &str,
    now: f64,
) -> Result<Message, Failure> {
    let env = &cx.env;
    let base = config::public_base_url(env);
    let image = hold
        .image_url
        .as_deref()
        .map(|url| config::absolute(&base, url));
    let form = checkout_form(&CheckoutRequest {
        order_id: hold_id,
        listing_id: &hold.listing_id,
        buyer_id: buyer,
        seller_id: &hold.seller_id,
        title: &hold.title,
        image_url: image.as_deref(),
        item: Cents::new(hold.hold_item_cents),
        shipping: Cents::new(hold.hold_shipping_cents),
        expires_at: (hold.hold_expires_at / 1000.0) as i64,
        base_url: &base,
    });
    let created = match Stripe::from_env(env) {
        Ok(stripe) => paced_session(&stripe, &form, hold_id)
            .await
            .map(|s| (stripe, s)),
        Err(e) => Err(e),
    };
    let (stripe, session) = match created {
        Ok(ok) => ok,
        Err(e) => {
            log::error("checkout_create_failed", &e);
            if !fresh {
                // Another click of this buyer took the hold and may be creating the session
                // right now (Stripe answers 409 to a key in flight): leave the hold to it.
                return Ok(almost_ready());
            }
            // No session exists: give the unit back now, so nothing is held for nobody.
            buying::release_unstarted_hold(db, hold_id, now).await?;
            if matches!(e, StripeError::Api { status: 429, .. }) {
                // Stripe still said slow down after a click's patience: a busy drop, not an
                // outage.
                return Ok(busy());
            }
            return Ok(UserError::StripeUnavailable.message());
        }
    };
    let Some(url) = session.url.clone() else {
        return Err(Failure::Bug(format!("session {} has no url", session.id)));
    };
    if let Err(e) = buying::attach_session(db, hold_id, &session.id, &url, now).await {
        // Unrecorded, the session must not stay payable; the hold lapses and cron sweeps it.
        let _ = stripe.expire_checkout_session(&session.id).await;
        return Err(e.into());
    }
    log::event(
        "checkout_created",
        json!({ "order": hold_id, "session": session.id, "listing": hold.listing_id }),
    );
    Ok(checkout_link(&url, Some(hold.hold_expires_at)))
}

/// Checkout Sessions one isolate starts per second at most: a share of the 25 a second Stripe
/// allows one endpoint by default (docs/scale.md), leaving room for other isolates.
const CHECKOUTS_PER_SECOND: f64 = 20.0;

/// How long a click keeps trying for its Checkout while Stripe says slow down, or waits for
/// its turn. The hold's extra minute over Checkout's 30-minute minimum `expires_at` covers
/// it; the reply is deferred past 2 s (edited in with the link); waitUntil allows 30 s.
const CHECKOUT_PATIENCE_MS: f64 = 20_000.0;

thread_local! {
    /// When this isolate may start its next Checkout Session.
    static NEXT_CHECKOUT_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Creates the hold's session in this isolate's turn (paced to [`CHECKOUTS_PER_SECOND`]),
/// and while Stripe answers 429 waits and tries again (same Idempotency-Key) for up to
/// [`CHECKOUT_PATIENCE_MS`], so a hot drop's buyers keep their units and get their links in
/// waves instead of being told to try again.
async fn paced_session(
    stripe: &Stripe,
    form: &crate::stripe::form::Form,
    hold_id: &str,
) -> Result<crate::clients::stripe::CheckoutSession, StripeError> {
    let clock = crate::sleep::now_ms;
    let started = clock();
    let mut tries: u32 = 0;
    loop {
        let now = clock();
        let slot = NEXT_CHECKOUT_MS.with(|next| {
            let slot = next.get().max(now);
            next.set(slot + 1000.0 / CHECKOUTS_PER_SECOND);
            slot
        });
        if slot > now {
            crate::sleep::sleep_ms(slot - now).await;
        }
        match stripe.create_checkout_session(form, hold_id).await {
            Err(StripeError::Api { status: 429, .. })
                if clock() - started < CHECKOUT_PATIENCE_MS =>
            {
                tries += 1;
                // Backing off, spread by the hold's id so waiting clicks do not return together.
                let spread = hold_id.bytes().fold(0u8, |a, b| a.wrapping_add(b));
                crate::sleep::sleep_ms(f64::from(400 * tries.min(5)) + f64::from(spread) * 2.0)
                    .await;
            }
            other => return other,
        }
    }
}

fn checkout_link(url: &str, expires_at_ms: Option<f64>) -> Message {
    let until = expires_at_ms
        .map(|ms| format!(" Your hold ends <t:{}:R>.", (ms / 1000.0) as i64))
        .unwrap_or_default();
    Message {
        components: vec![ActionRow::new(vec![Button::link(
            "Secure Checkout (Stripe)",
            url,
            Some("🔒"),
        )])],
        ..Message::ephemeral_embed(Embed {
            title: Some("🌸 Great choice!".to_owned()),
            description: Some(format!(
                "We've reserved this item for you for 30 minutes. Click below to pay securely via Stripe; C500 holds the payment until the builder proves the work.{until}"
            )),
            color: Some(colour::SAKURA),
            ..Embed::default()
        })
    }
}

fn busy() -> Message {
    Message::oops(
        "So many clicks!",
        "We couldn't hold a unit for you just now. Please click Buy again.",
    )
}

/// A buyer's place in a drop's line, as the Buy and Join replies say it.
pub(super) fn in_line(place: i64) -> String {
    match place {
        1 => "You're **next in line**.".to_owned(),
        n => format!("You're **#{n} in line**."),
    }
}

/// What comes after the place: how a unit that comes back reaches the buyer.
pub(super) const LINE_PROMISE: &str = "When a unit comes back (a checkout not finished in time, or a refund before shipping), it's held for the next person in line and we DM them a Buy button.";

/// A sold-out answer: the place in line, or a button to take one.
fn line_answer(title: &str, lead: &str, place: Option<i64>, listing: &ListingId) -> Message {
    match place {
        Some(place) => Message::oops(title, format!("{lead} {} {LINE_PROMISE}", in_line(place))),
        None => Message {
            components: vec![ActionRow::new(vec![Button::secondary(
                "Join the waitlist",
                CustomId::Waitlist(listing.clone()).encode(),
                Some("🎟️"),
            )])],
            ..Message::oops(
                title,
                format!("{lead} Join the waitlist for one that comes back: {LINE_PROMISE}"),
            )
        },
    }
}

pub(super) fn refused(refusal: &Refusal, listing: &ListingId) -> Message {
    match refusal {
        Refusal::Banned => Message::oops(
            "You can't buy on C500",
            "Your account is banned across the Collective. If you think this is a mistake, contact C500 HQ.",
        ),
        Refusal::NoSuchDrop => Message::oops("Drop not found", "This drop doesn't exist any more."),
        Refusal::Delisted => Message::oops(
            "No longer available",
            "The builder took this drop down. Keep an eye on the shop channel for the next one!",
        ),
        Refusal::SellerPaused => Message::oops(
            "This shop is paused",
            "The builder can't take orders right now, so this drop is off sale until their shop is back. Nothing was charged.",
        ),
        Refusal::OwnDrop => Message::oops(
            "That's your own drop",
            "You can't buy from yourself. Share it with your community instead!",
        ),
        Refusal::NotReleased { at_ms } => Message::oops(
            "Not released yet",
            format!(
                "This drop opens <t:{}:R>. VIPs get in 10 minutes early.",
                (at_ms / 1000.0) as i64
            ),
        ),
        Refusal::OverCap { tier, cap } => Message::oops(
            "Over your purchase cap",
            format!(
                "As a {} you can buy items up to {cap} each. {}",
                tier.label(),
                tier.how_to_grow()
            ),
        ),
        Refusal::OverLimit { limit } => Message::oops(
            "You have your share",
            format!(
                "This drop allows {limit} per buyer, so more of the community gets one. Your orders are in `/c500 orders`."
            ),
        ),
        Refusal::SoldOut { place } => line_answer(
            "Too late, it's gone!",
            "Every unit is sold or in someone's checkout.",
            *place,
            listing,
        ),
        Refusal::LineFirst { place } => line_answer(
            "Waitlist first",
            "A unit just came back, and it goes to the people waiting in line first.",
            *place,
            listing,
        ),
        Refusal::Raffle { closes_at_ms } => Message {
            components: vec![ActionRow::new(vec![Button::success(
                "Enter the raffle",
                CustomId::Enter(listing.clone()).encode(),
                Some("🎲"),
            )])],
            ..Message::oops(
                "This drop is a raffle",
                format!(
                    "Enter it instead: one entry per account, entries close <t:{}:R>, then a fair draw picks the buyers and DMs them a Buy button.",
                    (closes_at_ms / 1000.0) as i64
                ),
            )
        },
        Refusal::Busy => busy(),
    }
}
