//! The `state` of an OAuth link (Twitch): who asked, a nonce, an expiry, signed. The nonce is
//! also stored, and deleted when the callback redeems it, so a state works once.
//! Format: `{discord_id}.{nonce}.{expires_ms}.{hex HMAC-SHA256}`.

use super::hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Long enough to log in to Twitch, short enough not to linger.
pub const LIFETIME_MS: f64 = 10.0 * 60.0 * 1000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    Malformed,
    BadSignature,
    Expired,
}

fn mac(secret: &str, payload: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    // A different domain from link_token's: one kind of token never passes for the other.
    mac.update(b"c500-oauth-state-v1:");
    mac.update(payload.as_bytes());
    Some(mac)
}

pub fn sign(secret: &str, discord_id: &str, nonce: &str, now_ms: f64) -> String {
    let expires = (now_ms + LIFETIME_MS).floor() as u64;
    let payload = format!("{discord_id}.{nonce}.{expires}");
    let signature = mac(secret, &payload)
        .map(|m| hex::encode(&m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{payload}.{signature}")
}

/// The (discord id, nonce) a valid, unexpired state names.
pub fn verify(secret: &str, state: &str, now_ms: f64) -> Result<(String, String), StateError> {
    let (payload, signature) = state.rsplit_once('.').ok_or(StateError::Malformed)?;
    let mut parts = payload.split('.');
    let (Some(discord_id), Some(nonce), Some(expires), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(StateError::Malformed);
    };
    let expires = expires.parse::<u64>().map_err(|_| StateError::Malformed)? as f64;
    let signature = hex::decode_array::<32>(signature).ok_or(StateError::Malformed)?;
    mac(secret, payload)
        .ok_or(StateError::BadSignature)?
        .verify_slice(&signature)
        .map_err(|_| StateError::BadSignature)?;
    if now_ms > expires {
        return Err(StateError::Expired);
    }
    Ok((discord_id.to_owned(), nonce.to_owned()))
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
