//! Button storms: a user hammering Buy (or delisting the same drop) costs at most one D1
//! write per window per user and drop; the other clicks are answered from what is already
//! there (a read), never a second write or a second Stripe call.
//!
//! Counted by the Workers Rate Limiting binding `CLICKS` (wrangler.toml: 1 per 10 s per
//! key), which is shared by every isolate in a Cloudflare location, unlike memory here. Its
//! counters are per location and eventually consistent, which suits a limit whose purpose is
//! to protect D1 (one query at a time per database) and not to decide who gets a unit: the
//! hold's batch still does that, atomically. If the binding is missing or fails, the click
//! goes ahead (a protective limit fails open) and the missing binding is named in the log
//! and on /healthz.

use crate::config::{self, ConfigError};
use crate::log;
use serde_json::json;
use worker::Env;

/// Whether this click may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The first in its window: go ahead.
    First,
    /// Another click within the window: answer from what is there.
    Again,
}

/// Counts a click by `user` on `action` about `subject` (a drop's id).
pub async fn gate(env: &Env, action: &str, user: &str, subject: &str) -> Gate {
    let limiter = match env.rate_limiter(config::CLICKS) {
        Ok(limiter) => limiter,
        Err(_) => {
            log::error("config", &ConfigError::missing(config::CLICKS));
            return Gate::First;
        }
    };
    match limiter.limit(key(action, user, subject)).await {
        Ok(outcome) if !outcome.success => {
            log::event(
                "click_repeated",
                json!({ "action": action, "user": user, "subject": subject }),
            );
            Gate::Again
        }
        Ok(_) => Gate::First,
        Err(e) => {
            log::error("clicks_limit_failed", &e);
            Gate::First
        }
    }
}

/// One counter per action, user and subject (ids we own or Discord's snowflakes: no
/// separator can appear inside them).
fn key(action: &str, user: &str, subject: &str) -> String {
    format!("{action}:{user}:{subject}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_per_action_user_and_subject() {
        assert_eq!(key("buy", "1", "D-ABCDEFGH"), "buy:1:D-ABCDEFGH");
        assert_ne!(key("buy", "1", "D-A"), key("delist", "1", "D-A"));
        assert_ne!(key("buy", "1", "D-A"), key("buy", "2", "D-A"));
    }
}
