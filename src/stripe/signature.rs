//! Stripe webhook signatures: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, each v1
//! an HMAC-SHA256 of `"{t}.{raw body}"` under the endpoint secret.

use crate::domain::hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default tolerance for the timestamp, in seconds, either way.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    MissingHeader,
    MalformedHeader,
    /// The timestamp is more than [`TOLERANCE_SECS`] away from now (a replay, or a clock off).
    Stale,
    NoMatch,
}

/// Verifies against any of several endpoint secrets, comma separated: a platform has one
/// endpoint for its own account's events and one for its connected accounts' (Connect)
/// events, each with its own signing secret, and both deliver here.
pub fn verify_any(
    secrets: &str,
    header: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let mut outcome = Err(SignatureError::NoMatch);
    for secret in secrets.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        outcome = verify(secret, header, body, now_secs);
        if !matches!(outcome, Err(SignatureError::NoMatch)) {
            return outcome;
        }
    }
    outcome
}

/// Verifies `header` for `body` at `now_secs` (unix seconds, from the caller's clock).
pub fn verify(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader)?;
    let mut timestamp: Option<&str> = None;
    let mut candidates: Vec<[u8; 32]> = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            return Err(SignatureError::MalformedHeader);
        };
        match key {
            "t" => timestamp = Some(value),
            // Anything else that is not hex of the right length cannot match: skip it, as
            // Stripe's libraries do, so a future scheme does not break verification.
            "v1" => candidates.extend(hex::decode_array::<32>(value)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::MalformedHeader)?;
    let t: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::MalformedHeader)?;
    if candidates.is_empty() {
        return Err(SignatureError::MalformedHeader);
    }
    // abs_diff: `now - t` overflows for a timestamp near i64::MIN.
    if now_secs.abs_diff(t) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::NoMatch)?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    // Every candidate is checked by the MAC's own constant-time compare; any match is
    // enough (secret rotation).
    let matched = candidates.iter().fold(false, |found, candidate| {
        found | mac.clone().verify_slice(candidate).is_ok()
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// Builds a header the way Stripe does; for tests and the fuzz targets only.
#[cfg(any(test, feature = "fuzzing"))]
pub fn sign(secret: &str, body: &[u8], t: i64) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(&mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const NOW: i64 = 1_760_000_000;

    #[test]
    fn accepts_valid_and_rotated_signatures() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(SECRET, body, NOW);
        assert_eq!(verify(SECRET, Some(&header), body, NOW), Ok(()));
        assert_eq!(verify(SECRET, Some(&header), body, NOW + 300), Ok(()));
        assert_eq!(verify(SECRET, Some(&header), body, NOW - 300), Ok(()));
        // Several v1 values: one from an old secret, one from the current one.
        let old = sign("whsec_old", body, NOW);
        let old_v1 = old.split(",v1=").nth(1).unwrap();
        let both = format!("{header},v1={old_v1},v0=deadbeef");
        assert_eq!(verify(SECRET, Some(&both), body, NOW), Ok(()));
        assert_eq!(verify("whsec_old", Some(&both), body, NOW), Ok(()));
    }

    #[test]
    fn any_of_several_endpoint_secrets_may_match() {
        let body = br#"{"id":"evt_1"}"#;
        let connect = sign("whsec_connect", body, NOW);
        assert_eq!(
            verify_any("whsec_account, whsec_connect", Some(&connect), body, NOW),
            Ok(())
        );
        assert_eq!(
            verify_any("whsec_account", Some(&connect), body, NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify_any("", Some(&connect), body, NOW),
            Err(SignatureError::NoMatch)
        );
        // A stale or malformed header is reported as such, not as "no match".
        assert_eq!(
            verify_any(
                "whsec_account,whsec_connect",
                Some(&connect),
                body,
                NOW + 301
            ),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn refuses_everything_else() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(SECRET, body, NOW);
        assert_eq!(
            verify("whsec_wrong", Some(&header), body, NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(SECRET, Some(&header), b"{}", NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(SECRET, Some(&header), body, NOW + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, Some(&header), body, NOW - 301),
            Err(SignatureError::Stale)
        );
        // A timestamp at the edge of i64 is stale, not an overflow.
        let far = format!("t={},v1={}", i64::MIN, "0".repeat(64));
        assert_eq!(
            verify(SECRET, Some(&far), body, NOW),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, None, body, NOW),
            Err(SignatureError::MissingHeader)
        );
        for bad in [
            "",
            "garbage",
            "t=abc,v1=00",
            "v1=00",
            &format!("t={NOW}"),
            &format!("t={NOW},v1=zz"),
        ] {
            assert_eq!(
                verify(SECRET, Some(bad), body, NOW),
                Err(SignatureError::MalformedHeader),
                "{bad}"
            );
        }
        // A v0 (test-mode legacy) signature alone never passes.
        let v0_only = header.replace("v1=", "v0=");
        assert_eq!(
            verify(SECRET, Some(&v0_only), body, NOW),
            Err(SignatureError::MalformedHeader)
        );
    }
}
