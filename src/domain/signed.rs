//! Signed, expiring tokens C500 hands out: two fields, an expiry and an HMAC-SHA256 under a
//! domain of their own, so one kind never passes for another. Nobody can forge or extend one.
//! Format: `{first}.{second}.{expires_ms}.{hex HMAC-SHA256}`.

use super::hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

fn mac(secret: &str, domain: &[u8], payload: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(domain);
    mac.update(payload.as_bytes());
    Some(mac)
}

/// A token naming `first` and `second`, valid until `now_ms + lifetime_ms`.
pub fn sign(
    secret: &str,
    domain: &[u8],
    (first, second): (&str, &str),
    now_ms: f64,
    lifetime_ms: f64,
) -> String {
    let expires = (now_ms + lifetime_ms).floor() as u64;
    let payload = format!("{first}.{second}.{expires}");
    let signature = mac(secret, domain, &payload)
        .map(|m| hex::encode(&m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{payload}.{signature}")
}

/// The two fields of a valid, unexpired token (the signature is checked in constant time).
pub fn verify(
    secret: &str,
    domain: &[u8],
    token: &str,
    now_ms: f64,
) -> Result<(String, String), TokenError> {
    let (payload, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let mut parts = payload.split('.');
    let (Some(first), Some(second), Some(expires), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let expires = expires.parse::<u64>().map_err(|_| TokenError::Malformed)? as f64;
    let signature = hex::decode_array::<32>(signature).ok_or(TokenError::Malformed)?;
    mac(secret, domain, payload)
        .ok_or(TokenError::BadSignature)?
        .verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    if now_ms > expires {
        return Err(TokenError::Expired);
    }
    Ok((first.to_owned(), second.to_owned()))
}
