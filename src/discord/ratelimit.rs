//! Discord's rate limits as its responses state them (docs/scale.md): the route a call is
//! counted on, and what `X-RateLimit-Remaining` / `X-RateLimit-Reset-After` say about it.
//! Discord asks apps not to hard-code limits but to read these headers.

/// The longest a bucket's reset is believed (a header promising more is read as this).
const MAX_WAIT_MS: f64 = 60_000.0;

/// The route a call's limit is counted on: the method and the path, keeping the top-level
/// resource (a channel or guild id; a webhook's id and token) and generalising every other
/// id, as Discord computes per-route limits.
pub fn route_key(method: &str, path: &str) -> String {
    let mut segments = path.split('/').filter(|s| !s.is_empty()).peekable();
    let major = match segments.peek() {
        Some(&"channels") | Some(&"guilds") => 2,
        Some(&"webhooks") => 3,
        _ => 1,
    };
    let mut key = String::with_capacity(method.len() + path.len() + 1);
    key.push_str(method);
    key.push(' ');
    for (i, segment) in segments.enumerate() {
        key.push('/');
        if i >= major && !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            key.push_str(":id");
        } else {
            key.push_str(segment);
        }
    }
    key
}

/// What one response says of its bucket: how many calls are left, and in how many
/// milliseconds it refills. `None` when the headers are absent or unreadable.
pub fn bucket_state(remaining: Option<&str>, reset_after: Option<&str>) -> Option<(u32, f64)> {
    let remaining = remaining?.trim().parse::<u32>().ok()?;
    let secs = reset_after?.trim().parse::<f64>().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some((remaining, (secs * 1000.0).min(MAX_WAIT_MS)))
}

/// A 429's wait in milliseconds (its `retry_after`, seconds), within reason.
pub fn retry_after_ms(secs: f64) -> f64 {
    if secs.is_finite() && secs > 0.0 {
        (secs * 1000.0).min(MAX_WAIT_MS)
    } else {
        1000.0
    }
}

/// Bot calls one isolate makes in any second at most. Discord allows a bot 50 requests a
/// second across most endpoints (its global limit, never stated in headers until a 429, and
/// a 429 is an invalid request); interaction responses and follow-ups, sent without the bot
/// token, are not counted. 45 leaves room for another isolate's stray call.
pub const GLOBAL_PER_SECOND: usize = 45;

/// What this isolate knows of Discord's buckets: for each route, the calls left and when
/// the bucket refills; when a global limit ends; and when its last bot calls were made (the
/// global limit, kept as a sliding second). Calls are counted as they are made, so calls
/// running at the same time share what is left instead of each spending it.
#[derive(Debug, Default)]
pub struct Buckets {
    routes: Vec<(String, u32, f64)>,
    global_until_ms: f64,
    /// When each of the bot calls of the last second was made (at most GLOBAL_PER_SECOND).
    recent_bot_calls: Vec<f64>,
}

impl Buckets {
    /// Before a call on `route` at `now_ms` (`bot`: made with the bot token, so counted in
    /// Discord's global limit): `None` to go ahead (the call is counted), or how long to
    /// wait first (nothing is counted).
    pub fn take(&mut self, route: &str, bot: bool, now_ms: f64) -> Option<f64> {
        if self.global_until_ms > now_ms {
            return Some(self.global_until_ms - now_ms);
        }
        self.routes.retain(|(_, _, until)| *until > now_ms);
        let bucket = self.routes.iter_mut().find(|(r, _, _)| r == route);
        if let Some((_, 0, until)) = bucket {
            return Some(*until - now_ms);
        }
        if bot {
            self.recent_bot_calls.retain(|at| *at > now_ms - 1000.0);
            if self.recent_bot_calls.len() >= GLOBAL_PER_SECOND {
                let oldest = self.recent_bot_calls.iter().copied().fold(now_ms, f64::min);
                return Some((oldest + 1000.0 - now_ms).max(1.0));
            }
            self.recent_bot_calls.push(now_ms);
        }
        if let Some((_, left, _)) = bucket {
            *left -= 1;
        }
        None
    }

    /// After a response on `route` at `now_ms` that stated its bucket.
    pub fn record(&mut self, route: &str, remaining: u32, reset_after_ms: f64, now_ms: f64) {
        let until = now_ms + reset_after_ms;
        match self.routes.iter_mut().find(|(r, _, _)| r == route) {
            // Another call's answer may already be counted: keep the smaller count.
            Some(entry) => *entry = (entry.0.clone(), remaining.min(entry.1), until.max(entry.2)),
            None => self.routes.push((route.to_owned(), remaining, until)),
        }
    }

    /// After a 429: the route (or, for a global limit, every route) waits `wait_ms`.
    pub fn limited(&mut self, route: &str, global: bool, wait_ms: f64, now_ms: f64) {
        if global {
            self.global_until_ms = self.global_until_ms.max(now_ms + wait_ms);
        } else {
            self.record(route, 0, wait_ms, now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_keep_the_top_level_resource_only() {
        assert_eq!(
            route_key("PATCH", "/channels/123/messages/456"),
            "PATCH /channels/123/messages/:id"
        );
        assert_eq!(
            route_key("POST", "/channels/123/messages"),
            "POST /channels/123/messages"
        );
        assert_eq!(
            route_key("PUT", "/guilds/1/members/2/roles/3"),
            "PUT /guilds/1/members/:id/roles/:id"
        );
        assert_eq!(
            route_key("PATCH", "/webhooks/11/tok/messages/@original"),
            "PATCH /webhooks/11/tok/messages/@original"
        );
        assert_eq!(
            route_key("POST", "/users/@me/channels"),
            "POST /users/@me/channels"
        );
        assert_ne!(
            route_key("PATCH", "/channels/1/messages/9"),
            route_key("PATCH", "/channels/2/messages/9")
        );
    }

    #[test]
    fn headers_are_read_or_ignored() {
        assert_eq!(bucket_state(Some("0"), Some("1.5")), Some((0, 1500.0)));
        assert_eq!(bucket_state(Some("4"), Some("1e9")), Some((4, MAX_WAIT_MS)));
        assert_eq!(bucket_state(Some("x"), Some("1")), None);
        assert_eq!(bucket_state(Some("1"), Some("-1")), None);
        assert_eq!(bucket_state(None, Some("1")), None);
        assert_eq!(retry_after_ms(f64::NAN), 1000.0);
        assert_eq!(retry_after_ms(0.25), 250.0);
    }

    #[test]
    fn an_empty_bucket_waits_until_it_refills_and_calls_in_flight_share_it() {
        let mut b = Buckets::default();
        let r = "PATCH /channels/1/messages/:id";
        assert_eq!(b.take(r, true, 0.0), None, "an unknown bucket: go ahead");
        b.record(r, 2, 1000.0, 10.0);
        assert_eq!(b.take(r, true, 20.0), None);
        assert_eq!(b.take(r, true, 20.0), None);
        assert_eq!(
            b.take(r, true, 30.0),
            Some(980.0),
            "both calls left are spoken for"
        );
        // The in-flight calls' answers do not give back what they spent.
        b.record(r, 1, 1000.0, 40.0);
        assert_eq!(b.take(r, true, 50.0), Some(990.0));
        assert_eq!(
            b.take(r, true, 1100.0),
            None,
            "refilled: forgotten, go ahead"
        );
        assert_eq!(
            b.take("POST /channels/2/messages", true, 50.0),
            None,
            "other routes are their own"
        );
    }

    #[test]
    fn bot_calls_stay_under_the_global_limit_in_any_second_and_interaction_calls_are_free() {
        let mut b = Buckets::default();
        let route = |i: usize| format!("POST /channels/{i}/messages");
        for i in 0..GLOBAL_PER_SECOND {
            assert_eq!(b.take(&route(i), true, i as f64 * 10.0), None, "call {i}");
        }
        // The 46th bot call in the same second waits until the first is a second old.
        let waited = b.take(&route(99), true, 500.0);
        assert_eq!(waited, Some(500.0));
        // A refused call counted nothing: still exactly GLOBAL_PER_SECOND in the window.
        assert_eq!(b.take(&route(99), true, 999.0), Some(1.0));
        assert_eq!(
            b.take(&route(99), true, 1000.5),
            None,
            "the first call left the window"
        );
        assert_eq!(b.take(&route(98), true, 1000.5), Some(9.5));
        // Interaction follow-ups (no bot token) are not in Discord's global limit.
        assert_eq!(
            b.take("PATCH /webhooks/1/tok/messages/@original", false, 1000.5),
            None
        );
    }

    #[test]
    fn a_route_that_must_wait_does_not_spend_the_global_budget() {
        let mut b = Buckets::default();
        b.record("POST /channels/1/messages", 0, 800.0, 0.0);
        for _ in 0..10 {
            assert_eq!(
                b.take("POST /channels/1/messages", true, 100.0),
                Some(700.0)
            );
        }
        for i in 0..GLOBAL_PER_SECOND {
            assert_eq!(
                b.take(&format!("POST /channels/x{i}/messages"), true, 100.0),
                None
            );
        }
    }

    #[test]
    fn a_global_limit_holds_every_route() {
        let mut b = Buckets::default();
        b.limited("POST /channels/1/messages", true, 500.0, 0.0);
        assert_eq!(
            b.take("PATCH /channels/9/messages/:id", true, 100.0),
            Some(400.0)
        );
        assert_eq!(b.take("PATCH /channels/9/messages/:id", true, 600.0), None);
        b.limited("POST /channels/1/messages", false, 500.0, 600.0);
        assert_eq!(
            b.take("POST /channels/1/messages", true, 700.0),
            Some(400.0)
        );
        assert_eq!(b.take("POST /channels/2/messages", true, 700.0), None);
    }
}
