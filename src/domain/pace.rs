//! Turns for Checkout Sessions: evenly spaced starts at a configured rate (a virtual
//! scheduling clock, GCRA-style). One [`Pace`] lives in the `CheckoutPace` Durable Object, so
//! every isolate of the Worker takes its turns from the same clock, and, as the fallback
//! when the object cannot be reached, one per isolate (flows::buying).
//!
//! Why spacing and not a bucket of N a second: Stripe counts requests in a sliding window,
//! and a burst of N at the start of each second can still meet a 429 at the seam; starts
//! 1000/N ms apart never exceed N in any window.

/// The next start that is free.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pace {
    next_ms: f64,
}

/// What a request for a turn got.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Turn {
    /// Start after waiting this long (0: at once). The turn is booked.
    After { wait_ms: f64 },
    /// The next free start is further away than the caller will wait; nothing was booked,
    /// so a caller who gives up costs the others nothing.
    TooFar { wait_ms: f64 },
}

impl Pace {
    /// Books the next start at `per_second` starts a second for a caller at `now_ms` who
    /// waits at most `max_wait_ms`. A rate that is not positive is taken as one a second.
    pub fn take(&mut self, now_ms: f64, per_second: f64, max_wait_ms: f64) -> Turn {
        let per_second = if per_second.is_finite() && per_second > 0.0 {
            per_second
        } else {
            1.0
        };
        let start = self.next_ms.max(now_ms);
        let wait_ms = start - now_ms;
        if wait_ms > max_wait_ms {
            return Turn::TooFar { wait_ms };
        }
        self.next_ms = start + 1000.0 / per_second;
        Turn::After { wait_ms }
    }
}

impl Turn {
    /// The wait to a booked turn; None when nothing was booked.
    pub fn booked_wait_ms(self) -> Option<f64> {
        match self {
            Turn::After { wait_ms } => Some(wait_ms),
            Turn::TooFar { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_spaced_by_the_rate_and_an_idle_pace_starts_at_once() {
        let mut pace = Pace::default();
        let waits: Vec<f64> = (0..5)
            .filter_map(|_| pace.take(1_000.0, 20.0, 60_000.0).booked_wait_ms())
            .collect();
        assert_eq!(waits, vec![0.0, 50.0, 100.0, 150.0, 200.0]);
        // Long after, the backlog is gone: the next caller starts at once.
        assert_eq!(
            pace.take(10_000.0, 20.0, 60_000.0),
            Turn::After { wait_ms: 0.0 }
        );
    }

    #[test]
    fn never_more_starts_than_the_rate_in_any_second() {
        let mut pace = Pace::default();
        // 300 callers arriving together and 50 more half a second later.
        let mut starts: Vec<f64> = (0..300)
            .map(|_| 0.0)
            .chain((0..50).map(|_| 500.0))
            .filter_map(|at| {
                pace.take(at, 25.0, f64::MAX)
                    .booked_wait_ms()
                    .map(|w| at + w)
            })
            .collect();
        starts.sort_by(f64::total_cmp);
        assert_eq!(starts.len(), 350);
        for (i, first) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|s| **s < first + 1000.0)
                .count();
            assert!(
                in_window <= 25,
                "{in_window} starts in the second from {first}"
            );
        }
        // And no slower than the rate: the 350th start is 349 spacings after the first.
        assert_eq!(starts.last().copied(), Some(349.0 * 40.0));
    }

    #[test]
    fn a_turn_too_far_away_is_refused_without_booking() {
        let mut pace = Pace::default();
        for _ in 0..10 {
            pace.take(0.0, 10.0, 60_000.0);
        }
        // The next free start is 1 s away: a caller who waits 500 ms is refused, and the
        // caller after them still gets that same start.
        assert_eq!(
            pace.take(0.0, 10.0, 500.0),
            Turn::TooFar { wait_ms: 1_000.0 }
        );
        assert_eq!(
            pace.take(0.0, 10.0, 5_000.0),
            Turn::After { wait_ms: 1_000.0 }
        );
    }

    #[test]
    fn a_rate_that_is_not_positive_is_one_a_second() {
        for rate in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            let mut pace = Pace::default();
            pace.take(0.0, rate, 10_000.0);
            assert_eq!(
                pace.take(0.0, rate, 10_000.0),
                Turn::After { wait_ms: 1_000.0 }
            );
        }
    }
}
