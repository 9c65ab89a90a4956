//! Asking the `CheckoutPace` Durable Object (src/pace.rs) for a Checkout turn.

use crate::config::CHECKOUT_PACE;
use crate::domain::pace::Turn;
use worker::{Env, Error};

/// A turn at `per_second` Checkout starts a second for a caller who waits at most
/// `max_wait_ms`, from the one pace every isolate shares. An error means the object could
/// not be asked (the caller paces itself instead).
pub async fn turn(env: &Env, per_second: u32, max_wait_ms: u32) -> Result<Turn, Error> {
    let stub = env.durable_object(CHECKOUT_PACE)?.get_by_name("stripe")?;
    let mut answer = stub
        .fetch_with_str(&format!(
            "https://pace.c500/turn?rate={per_second}&max={max_wait_ms}"
        ))
        .await?;
    let wait_ms = answer
        .text()
        .await
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
        .map(f64::from);
    match (answer.status_code(), wait_ms) {
        (200, Some(wait_ms)) => Ok(Turn::After { wait_ms }),
        (409, Some(wait_ms)) => Ok(Turn::TooFar { wait_ms }),
        (status, _) => Err(Error::RustError(format!(
            "{CHECKOUT_PACE} answered {status}"
        ))),
    }
}
