//! The `state` of an OAuth link (Twitch): who asked, a nonce, an expiry, signed. The nonce is
//! also stored, and deleted when the callback redeems it, so a state works once.
//! A domain::signed token: `{discord_id}.{nonce}.{expires_ms}.{signature}`.

use super::signed;

/// Long enough to log in to Twitch, short enough not to linger.
pub const LIFETIME_MS: f64 = 10.0 * 60.0 * 1000.0;

pub use super::signed::TokenError as StateError;

// A different domain from link_token's: one kind of token never passes for the other.
const DOMAIN: &[u8] = b"c500-oauth-state-v1:";

pub fn sign(secret: &str, discord_id: &str, nonce: &str, now_ms: f64) -> String {
    signed::sign(secret, DOMAIN, (discord_id, nonce), now_ms, LIFETIME_MS)
}

/// The (discord id, nonce) a valid, unexpired state names.
pub fn verify(secret: &str, state: &str, now_ms: f64) -> Result<(String, String), StateError> {
    signed::verify(secret, DOMAIN, state, now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_round_trips_and_cannot_be_forged_or_kept() {
        let s = sign("k", "42", "abc123", 1_000.0);
        assert_eq!(verify("k", &s, 2_000.0), Ok(("42".into(), "abc123".into())));
        assert_eq!(verify("other", &s, 2_000.0), Err(StateError::BadSignature));
        assert_eq!(
            verify("k", &s.replacen("42", "43", 1), 2_000.0),
            Err(StateError::BadSignature)
        );
        assert_eq!(
            verify("k", &s, 1_000.0 + LIFETIME_MS + 1.0),
            Err(StateError::Expired)
        );
        assert_eq!(verify("k", "nope", 0.0), Err(StateError::Malformed));
        // An onboarding link token is not a state.
        let link = crate::domain::link_token::sign(
            "k",
            &crate::domain::link_token::LinkClaims {
                discord_id: "42".into(),
                account_id: "abc123".into(),
            },
            1_000.0,
        );
        assert_eq!(verify("k", &link, 2_000.0), Err(StateError::BadSignature));
    }
}
