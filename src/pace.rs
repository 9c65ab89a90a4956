//! The `CheckoutPace` Durable Object: one for the whole deployment (Stripe's limits are per
//! account), handing out Checkout turns so that every isolate together stays under
//! `CHECKOUTS_PER_SECOND` (docs/scale.md). A Durable Object is single-threaded, so the
//! turns it books never race; it keeps the next free start in memory only, because a pace
//! is about the next few seconds: if the object is evicted, an idle pace is the truth.
//!
//! Its one request (clients::pace): `GET /turn?rate=R&max=M` → 200 with the wait in whole
//! milliseconds when a turn was booked, 409 with the wait when the next free start is more
//! than M ms away (nothing booked).
//!
//! Why not workers-rs's `#[durable_object]`: it exports every handler a Durable Object can
//! have (alarms, WebSockets, sockets), and their glue made the module 79 KiB gzip larger
//! (docs/performance.md). This class has the constructor and a synchronous `fetch`, the
//! only handler the pace needs; src/entry.js exports it.

use crate::domain::pace::{Pace, Turn};
use std::cell::Cell;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

#[wasm_bindgen]
pub struct CheckoutPace {
    pace: Cell<Pace>,
}

#[wasm_bindgen]
impl CheckoutPace {
    /// The runtime constructs the object with its state and env, neither needed here.
    #[wasm_bindgen(constructor)]
    pub fn new(_state: JsValue, _env: JsValue) -> CheckoutPace {
        CheckoutPace {
            pace: Cell::new(Pace::default()),
        }
    }

    /// One turn, or why not (the module comment's contract).
    pub fn fetch(&self, request: worker::web_sys::Request) -> worker::web_sys::Response {
        let (status, body) = match ask(&request.url()) {
            Some((rate, max)) => {
                let mut pace = self.pace.get();
                let turn = pace.take(crate::sleep::now_ms(), f64::from(rate), f64::from(max));
                self.pace.set(pace);
                match turn {
                    Turn::After { wait_ms } => (200, whole_ms(wait_ms)),
                    Turn::TooFar { wait_ms } => (409, whole_ms(wait_ms)),
                }
            }
            None => (400, "rate and max are whole numbers".to_owned()),
        };
        crate::new_response(status, "text/plain; charset=utf-8", &body)
    }
}

/// The rate and the longest wait the caller asked with.
fn ask(url: &str) -> Option<(u32, u32)> {
    let query = url.split_once('?')?.1;
    let (mut rate, mut max) = (None, None);
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "rate" => rate = value.parse::<u32>().ok(),
            "max" => max = value.parse::<u32>().ok(),
            _ => {}
        }
    }
    Some((rate?, max?))
}

fn whole_ms(ms: f64) -> String {
    (ms.ceil().max(0.0) as u64).to_string()
}

#[cfg(test)]
mod tests {
    use super::ask;

    #[test]
    fn a_turn_is_asked_with_a_rate_and_a_longest_wait() {
        assert_eq!(
            ask("https://pace.c500/turn?rate=20&max=19500"),
            Some((20, 19500))
        );
        assert_eq!(ask("https://pace.c500/turn?max=5&rate=1"), Some((1, 5)));
        assert_eq!(ask("https://pace.c500/turn?rate=20"), None);
        assert_eq!(ask("https://pace.c500/turn?rate=fast&max=1"), None);
        assert_eq!(ask("https://pace.c500/turn"), None);
    }
}
