//! Buying, one code path for Discord's buttons and the site's forms (issue 12.2): Buy (hold
//! one unit atomically, then its Stripe Checkout Session), Join the waitlist, Enter the
//! raffle. Each returns what happened as a value; interactions/ and pages/ only word it.

use crate::clients::clicks::{self, Gate};
use crate::clients::stripe::{CheckoutSession, Stripe, StripeError};
use crate::context::Cx;
use crate::domain::buying::{decide, joined, BuyOutcome, Refusal, HOLD_MS};
pub use crate::domain::buying::{Bought, Joined};
use crate::domain::ids::{seeded_random, ListingId, OrderId};
use crate::domain::money::Cents;
use crate::domain::pace::Pace;
use crate::domain::raffle;
use crate::domain::raffle::entered;
pub use crate::domain::raffle::Entered;
use crate::error::Failure;
use crate::store::buying::{self, HoldCheckout, HoldRequest};
use crate::store::raffle::Entry;
use crate::stripe::checkout::{checkout_form, CheckoutRequest};
use crate::{clients, config, log, store};
use serde_json::json;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Who is buying: a Discord account, signed in on the site or clicking in Discord.
pub struct Buyer<'a> {
    pub id: &'a str,
    pub username: &'a str,
}

/// What a click has come to before its end, for a caller that can answer early (issue 11.1,
/// "answer first"): told once, when a unit is held for the buyer but its Checkout Session
/// has to wait for a turn (or for Stripe to stop saying slow down). The Buy button answers
/// "you're in, your link is being made" then and edits the link in; the site's form answers
/// a page with a button that fetches the link (Buy again reads what is held).
#[derive(Clone, Default)]
pub struct Progress(Rc<Told>);

#[derive(Default)]
struct Told {
    /// The expected wait for the link (ms), until the caller takes it.
    held: Cell<Option<f64>>,
    told: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

impl Progress {
    fn held(&self, wait_ms: f64) {
        if self.0.told.replace(true) {
            return;
        }
        self.0.held.set(Some(wait_ms));
        if let Some(waker) = self.0.waker.take() {
            waker.wake();
        }
    }

    /// The wait the click was told of (once), or None with `waker` woken when it is.
    fn poll_held(&self, waker: &Waker) -> Option<f64> {
        let held = self.0.held.take();
        if held.is_none() {
            self.0.waker.set(Some(waker.clone()));
        }
        held
    }

    /// Polls the click's `work` (told through this `Progress`): its end, or, while it is not
    /// done, the held unit it told of (once). Both surfaces' early answers wait on this.
    pub fn poll_first<F: Future>(
        &self,
        work: Pin<&mut F>,
        task: &mut std::task::Context<'_>,
    ) -> Poll<First<F::Output>> {
        if let Poll::Ready(done) = work.poll(task) {
            return Poll::Ready(First::Done(done));
        }
        self.poll_held(task.waker())
            .map_or(Poll::Pending, |wait_ms| Poll::Ready(First::Held(wait_ms)))
    }
}

/// What came first of a click's work.
pub enum First<T> {
    Done(T),
    /// A unit is held and its Checkout waits about this long (ms) for its turn.
    Held(f64),
}

/// A turn this far off is worth an early answer; a nearer one is waited for, so a quiet
/// drop's buyer gets the link itself in the first answer.
const TELL_AFTER_MS: f64 = 250.0;

/// Buy: the rules and the hold in one D1 batch, then the Checkout Session (paced). A buy
/// repeated within 10 s (clients::clicks) reads what is held instead of writing.
pub async fn buy(
    cx: &Cx,
    listing: &ListingId,
    buyer: &Buyer<'_>,
    progress: &Progress,
) -> Result<Bought, Failure> {
    let env = &cx.env;
    let db = cx.db()?;
    let now = cx.now_ms;
    if clicks::gate(env, "buy", buyer.id, listing.as_str()).await == Gate::Again {
        if let Some(answer) = again(cx, &db, listing, buyer.id, now).await? {
            return Ok(answer);
        }
    }
    let refused = match sold_out::seen(listing.as_str(), now) {
        true => refused_on_read(&db, listing, buyer.id, now).await?,
        false => None,
    };
    // A fresh id per attempt: if the rules allowed a hold and none was taken, the id
    // collided with an older reservation (the primary key refused it, no unit was spent),
    // so the click tries again with another. (Attempts 0: refused on the read.)
    let mut attempt = 0;
    let (outcome, hold) = loop {
        if let Some(refusal) = refused {
            break (BuyOutcome::Refused(refusal), None);
        }
        attempt += 1;
        let random = match config::order_id_seed(env) {
            Some(seed) => seeded_random(&seed, &[buyer.id, listing.as_str(), &attempt.to_string()]),
            None => {
                let mut random = [0u8; 8];
                getrandom::fill(&mut random)?;
                random
            }
        };
        let new_id = OrderId::from_random(&random);
        let request = HoldRequest {
            listing: listing.as_str(),
            buyer: buyer.id,
            username: buyer.username,
            new_id: new_id.as_str(),
            now_ms: now,
            expires_at_ms: now + HOLD_MS,
        };
        let (facts, hold) = buying::reserve(&db, &request).await?;
        let outcome = decide(&facts, now);
        sold_out::note(listing.as_str(), &facts, &outcome, now);
        if outcome != BuyOutcome::Refused(Refusal::Busy) || attempt >= 3 {
            break (outcome, hold);
        }
    };
    log::event(
        "buy_click",
        json!({ "listing": listing.as_str(), "buyer": buyer.id, "outcome": outcome.code(), "attempts": attempt }),
    );
    match outcome {
        BuyOutcome::Refused(refusal) => Ok(Bought::Refused(refusal)),
        BuyOutcome::Resume { url } => Ok(Bought::Link {
            url,
            hold_expires_at_ms: hold.map(|h| h.hold_expires_at),
        }),
        BuyOutcome::Checkout { hold_id, fresh } => {
            let hold = hold.ok_or("the hold vanished between statements of one batch")?;
            checkout(cx, &db, &hold, &hold_id, fresh, buyer.id, now, progress).await
        }
    }
}

/// A click on a drop this isolate last saw sold out reads before it writes (issue 11.6): the
/// answer is D1's, read now, so it is exact (a unit that came back is seen, and goes to the
/// line first); only a click that could get something (a unit free for it, or a hold of
/// its own) goes on to the hold batch, one round trip more. A storm's many clicks after the
/// last unit then cost the one database a read each, not a write batch and a `users` row.
async fn refused_on_read(
    db: &worker::D1Database,
    listing: &ListingId,
    buyer: &str,
    now: f64,
) -> Result<Option<Refusal>, Failure> {
    let facts = buying::peek(db, listing.as_str(), buyer).await?;
    let outcome = decide(&facts, now);
    sold_out::note(listing.as_str(), &facts, &outcome, now);
    if facts.hold.is_some() {
        return Ok(None);
    }
    Ok(match outcome {
        BuyOutcome::Refused(Refusal::Busy) => None,
        BuyOutcome::Refused(refusal) => Some(refusal),
        BuyOutcome::Resume { .. } | BuyOutcome::Checkout { .. } => None,
    })
}

/// Which drops this isolate's clicks last found sold out: only a hint of which query to run
/// first (the answer is always read from D1), so a stale entry costs a winner one read.
mod sold_out {
    use crate::domain::buying::{BuyFacts, BuyOutcome, Refusal};
    use std::cell::RefCell;

    /// How long a sighting stands, and how many drops are remembered (a storm is one drop;
    /// the oldest sighting makes room).
    const FOR_MS: f64 = 60_000.0;
    const DROPS: usize = 8;

    thread_local! {
        static SEEN: RefCell<Vec<(String, f64)>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn seen(listing: &str, now: f64) -> bool {
        SEEN.with(|seen| {
            seen.borrow()
                .iter()
                .any(|(id, at)| id == listing && now - at < FOR_MS)
        })
    }

    /// Records what a click found: a buyer refused because the drop is sold out marks it
    /// (not a buyer who holds a unit: a drawn raffle's winners find its stock at 0 and each
    /// holds one, so they would only pay for the read), stock seen again unmarks it.
    pub(super) fn note(listing: &str, facts: &BuyFacts, outcome: &BuyOutcome, now: f64) {
        let sold_out = matches!(outcome, BuyOutcome::Refused(Refusal::SoldOut { .. }));
        let in_stock = facts.listing.as_ref().is_some_and(|l| l.stock > 0);
        if !sold_out && !in_stock {
            return;
        }
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            seen.retain(|(id, _)| id != listing);
            if sold_out {
                if seen.len() >= DROPS {
                    seen.remove(0);
                }
                seen.push((listing.to_owned(), now));
            }
        });
    }
}

/// A buy repeated within the window: the answer from what is already held, with reads and
/// no write (the same link, the same refusal, or "almost ready" while the first click is
/// still making the Checkout); `None`: this one writes after all. That is when nothing is
/// held although the first click had time to write: things changed since (it was refused
/// and the buyer has since been vouched for, or it failed). Once per window (`buy-again`),
/// so a storm still writes twice at most.
async fn again(
    cx: &Cx,
    db: &worker::D1Database,
    listing: &ListingId,
    buyer: &str,
    now: f64,
) -> Result<Option<Bought>, Failure> {
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
                return Ok(Some(Bought::Link {
                    url,
                    hold_expires_at_ms: hold.map(|h| h.hold_expires_at),
                }))
            }
            // A unit the line offered has nobody making its Checkout: this click makes it.
            BuyOutcome::Checkout { .. } if facts.hold.as_ref().is_some_and(|h| h.offered) => {
                return Ok(None)
            }
            BuyOutcome::Checkout { .. } => held = true,
            BuyOutcome::Refused(Refusal::Busy) => held = false,
            BuyOutcome::Refused(refusal) => return Ok(Some(Bought::Refused(refusal))),
        }
    }
    if held {
        return Ok(Some(Bought::AlmostReady));
    }
    if clicks::gate(&cx.env, "buy-again", buyer, listing.as_str()).await == Gate::First {
        return Ok(None);
    }
    Ok(Some(Bought::OneMoment))
}

/// How often, and how long, a repeated click waits for the first click's link: at most
/// 3 reads over 0.9 s, well inside Discord's 3 s (and the reply is deferred past 2 s).
const REPEAT_LOOKS: u32 = 2;
const REPEAT_LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(450);

#[allow(clippy::too_many_arguments)] // one call site, each argument a different fact
async fn checkout(
    cx: &Cx,
    db: &worker::D1Database,
    hold: &HoldCheckout,
    hold_id: &str,
    fresh: bool,
    buyer: &str,
    now: f64,
    progress: &Progress,
) -> Result<Bought, Failure> {
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
        Ok(stripe) => paced_session(env, &stripe, &form, hold_id, progress)
            .await
            .map(|s| (stripe, s)),
        Err(e) => Err(Unpaced::Stripe(e)),
    };
    let (stripe, session) = match created {
        Ok(ok) => ok,
        Err(unpaced) => {
            match &unpaced {
                Unpaced::Busy => log::event("checkout_no_turn", json!({ "order": hold_id })),
                Unpaced::Stripe(e) => log::error("checkout_create_failed", e),
            }
            if !fresh {
                // Another click of this buyer took the hold and may be creating the session
                // right now (Stripe answers 409 to a key in flight): leave the hold to it.
                return Ok(Bought::AlmostReady);
            }
            // No session exists: give the unit back now, so nothing is held for nobody, and
            // to the first in its line if someone joined while this click waited.
            buying::release_unstarted_hold(db, hold_id, now).await?;
            super::waitlist::serve_now(cx, &hold.listing_id).await;
            if matches!(
                unpaced,
                Unpaced::Busy | Unpaced::Stripe(StripeError::Api { status: 429, .. })
            ) {
                // Stripe still said slow down after a click's patience: a busy drop, not an
                // outage.
                return Ok(Bought::Busy);
            }
            return Ok(Bought::StripeUnavailable);
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
    Ok(Bought::Link {
        url,
        hold_expires_at_ms: Some(hold.hold_expires_at),
    })
}

/// How long a click keeps trying for its Checkout while Stripe says slow down, or waits for
/// its turn. The hold's extra minute over Checkout's 30-minute minimum `expires_at` covers
/// it; the reply is deferred past 2 s (edited in with the link); waitUntil allows 30 s.
const CHECKOUT_PATIENCE_MS: f64 = 20_000.0;

thread_local! {
    /// When this isolate may start its next Checkout Session, should the shared pace (the
    /// `CheckoutPace` Durable Object) not answer.
    static ISOLATE_PACE: std::cell::Cell<Pace> = std::cell::Cell::new(Pace::default());
}

/// Why a click got no session.
enum Unpaced {
    /// No turn within the click's patience: the drop is busy.
    Busy,
    Stripe(StripeError),
}

/// Creates the hold's session in its turn from the one pace all isolates share
/// (`CHECKOUTS_PER_SECOND`, the `CheckoutPace` Durable Object; this isolate's own pace if
/// the object cannot be asked), and while Stripe answers 429 takes another turn and tries
/// again (same Idempotency-Key) for up to [`CHECKOUT_PATIENCE_MS`], so a hot drop's buyers
/// keep their units and get their links in waves instead of being told to try again.
async fn paced_session(
    env: &worker::Env,
    stripe: &Stripe,
    form: &crate::stripe::form::Form,
    hold_id: &str,
    progress: &Progress,
) -> Result<CheckoutSession, Unpaced> {
    let clock = crate::sleep::now_ms;
    let rate = config::checkouts_per_second(env);
    let started = clock();
    let mut tries: u32 = 0;
    loop {
        let left = (CHECKOUT_PATIENCE_MS - (clock() - started)).max(0.0);
        let turn = match clients::pace::turn(env, rate, left as u32).await {
            Ok(turn) => turn,
            Err(e) => {
                log::error("checkout_pace_unreachable", &e);
                let now = clock();
                ISOLATE_PACE.with(|cell| {
                    let mut pace = cell.get();
                    let turn = pace.take(now, f64::from(rate), left);
                    cell.set(pace);
                    turn
                })
            }
        };
        let Some(wait_ms) = turn.booked_wait_ms() else {
            return Err(Unpaced::Busy);
        };
        if wait_ms > TELL_AFTER_MS {
            progress.held(wait_ms);
        }
        if wait_ms > 0.0 {
            crate::sleep::sleep_ms(wait_ms).await;
        }
        match stripe.create_checkout_session(form, hold_id).await {
            Err(StripeError::Api { status: 429, .. })
                if clock() - started < CHECKOUT_PATIENCE_MS =>
            {
                tries += 1;
                // Backing off, spread by the hold's id so waiting clicks do not return together.
                let spread = hold_id.bytes().fold(0u8, |a, b| a.wrapping_add(b));
                let backoff = f64::from(400 * tries.min(5)) + f64::from(spread) * 2.0;
                progress.held(backoff);
                crate::sleep::sleep_ms(backoff).await;
            }
            other => return other.map_err(Unpaced::Stripe),
        }
    }
}

/// Join the waitlist: one place per buyer, at the end of the line (store::waitlist).
pub async fn join_line(cx: &Cx, listing: &ListingId, buyer: &Buyer<'_>) -> Result<Joined, Failure> {
    let db = cx.db()?;
    let facts =
        store::waitlist::join(&db, listing.as_str(), buyer.id, buyer.username, cx.now_ms).await?;
    Ok(joined(&facts))
}

/// Enter the raffle: one entry per Discord account while it is open (store::raffle).
/// `roles` are the clicker's roles in the drop's server when Discord sent them (a click in
/// the server); None on the web or in a DM, where a role-gated raffle cannot be entered.
pub async fn enter_raffle(
    cx: &Cx,
    listing: &ListingId,
    buyer: &Buyer<'_>,
    roles: Option<&[String]>,
) -> Result<Entered, Failure> {
    let db = cx.db()?;
    let roles = roles
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Failure::Bug(format!("roles as JSON: {e}")))?;
    let entry = Entry {
        listing: listing.as_str(),
        buyer: buyer.id,
        username: buyer.username,
        // An id that is not a snowflake is never old enough.
        account_created_ms: raffle::account_created_ms(buyer.id).unwrap_or(f64::MAX),
        roles,
        now_ms: cx.now_ms,
    };
    let facts = store::raffle::enter(&db, &entry).await?;
    Ok(entered(&facts, buyer.id, cx.now_ms))
}

#[cfg(test)]
mod tests {
    use super::Progress;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_held_unit_is_told_once_and_wakes_the_caller() {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let progress = Progress::default();
        let told = progress.clone();
        assert_eq!(progress.poll_held(&waker), None);
        told.held(1_500.0);
        assert!(flag.0.load(Ordering::SeqCst), "the waiting answer is woken");
        assert_eq!(progress.poll_held(&waker), Some(1_500.0));
        // A 429 retry later tells nothing new: the buyer already has the early answer.
        told.held(800.0);
        assert_eq!(progress.poll_held(&waker), None);
    }
}
