//! Serving a drop's line: units that came back go to the first buyers waiting, each held for
//! `HOLD_MS` with a DM (store::waitlist::offer). Cron serves every line each minute (after
//! the lapsed-hold sweep); a request that gives a unit back (a checkout expired, a payment
//! failed, a refund before shipping, a Checkout that could not be made) serves that drop's
//! line at once, after its response. Running both at the same time is safe: each offer is
//! conditional on the buyer still waiting first in line and a unit being free, in its batch.

use crate::context::Cx;
use crate::domain::buying::HOLD_MS;
use crate::domain::ids::{seeded_random, OrderId};
use crate::error::Failure;
use crate::store::waitlist;
use crate::{log, outbox};
use serde_json::json;
use worker::Context;

/// Offers one pass makes at most (the rest wait for the next): a drawn raffle's winners.
const OFFERS_PER_RUN: u32 = 1000;

/// Offers each free unit (of `listing`, or of every drop) to the first buyer in its line.
/// Meanwhile Buy takes no free unit for anyone further back, so nobody jumps the line
/// between two passes. Returns how many were offered.
pub async fn serve(cx: &Cx, listing: Option<&str>) -> Result<usize, Failure> {
    let db = cx.db()?;
    let turns = waitlist::turns(&db, OFFERS_PER_RUN, listing).await?;
    if turns.is_empty() {
        return Ok(0);
    }
    let seed = crate::config::order_id_seed(&cx.env);
    // Whole milliseconds: an integer's text (a float's would pull float formatting into the module).
    let clock = (cx.now_ms as i64).to_string();
    let mut ids = Vec::with_capacity(turns.len());
    for turn in &turns {
        let random = match &seed {
            Some(seed) => seeded_random(seed, &["offer", &turn.buyer_id, &turn.listing_id, &clock]),
            None => {
                let mut random = [0u8; 8];
                getrandom::fill(&mut random)?;
                random
            }
        };
        ids.push(OrderId::from_random(&random));
    }
    let offers: Vec<waitlist::Offer<'_>> = turns
        .iter()
        .zip(&ids)
        .map(|(turn, id)| waitlist::Offer {
            listing: &turn.listing_id,
            buyer: &turn.buyer_id,
            hold_id: id.as_str(),
            now_ms: cx.now_ms,
            expires_at_ms: cx.now_ms + HOLD_MS,
        })
        .collect();
    // A batch per 50 offers (5 statements each): a drawn raffle of hundreds of units is
    // offered in one pass, in a few round trips.
    for chunk in offers.chunks(50) {
        waitlist::offer(&db, chunk).await?;
    }
    log::event(
        "waitlist_served",
        json!({ "offered": offers.len(), "listing": listing }),
    );
    Ok(offers.len())
}

/// After the response of a request that gave a unit of `listing` back: its line is served
/// now rather than at the next cron minute, and the offer's DM delivered.
pub fn serve_soon(cx: &Cx, ctx: &Context, listing: String) {
    let cx = Cx::new(&cx.env);
    ctx.wait_until(async move { serve_now(&cx, &listing).await });
}

/// Serves `listing`'s line at once and delivers the offer's DM; what fails is logged (cron
/// serves every line each minute anyway).
pub async fn serve_now(cx: &Cx, listing: &str) {
    match serve(cx, Some(listing)).await {
        Ok(0) => {}
        Ok(_) => {
            if let Err(e) = outbox::drain_soon(cx, 10).await {
                log::error("outbox_drain_failed", &e);
            }
        }
        Err(e) => log::error("waitlist_serve_failed", &e),
    }
}
