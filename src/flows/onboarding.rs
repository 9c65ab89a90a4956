//! Stripe onboarding, as both `/c500 setup stripe` and the onboarding pages use it: where
//! Stripe sends a builder back (signed links naming the account), and when an account is
//! done.

use crate::config;
use crate::context::Cx;
use crate::domain::link_token::{self, LinkClaims};
use crate::stripe::account::Account;

/// Stripe has what it needs and the account can sell and be paid.
pub fn is_enabled(account: &Account) -> bool {
    account.details_submitted && account.charges_enabled && account.payouts_enabled
}

/// Where Stripe sends the builder back: our pages, with a signed token naming the account.
pub fn onboarding_urls(
    cx: &Cx,
    secret: &str,
    claims: &LinkClaims,
    now_ms: f64,
) -> (String, String) {
    let env = &cx.env;
    let base = config::public_base_url(env);
    let token = link_token::sign(secret, claims, now_ms);
    (
        format!("{base}/onboarding/refresh?token={token}"),
        format!("{base}/onboarding/return?token={token}"),
    )
}
