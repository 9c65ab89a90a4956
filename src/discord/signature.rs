//! Discord signs every interaction with Ed25519 over `timestamp ‖ raw body`.
//!
//! The curve arithmetic runs in the runtime, not in Wasm: `src/entry.js` asks WebCrypto
//! (workerd's native BoringSSL) whether the key signed the message, and hands the verdict
//! to [`PublicKey::check`], which owns what the headers must look like. Measured in
//! docs/performance.md: native verification is several times faster than ed25519-dalek
//! compiled to Wasm, and leaving the tables and SHA-512 out shrinks the module. ed25519-dalek
//! still parses the key (a bad DISCORD_PUBLIC_KEY is named, not a silent 401 on every
//! request) and is the reference the unit tests check the rules against.

use crate::domain::hex;
use ed25519_dalek::VerifyingKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    MissingHeader,
    MalformedSignature,
    /// The timestamp is not a number of seconds, or too far from now (a replay).
    Stale,
    Invalid,
}

/// How far a request's timestamp may be from our clock, either way. Discord sends each
/// interaction once, as it happens, and wants the answer within 3 s, so a genuine request is
/// seconds old at most; the rest of the window is for clock skew (Discord's clocks and
/// Cloudflare's are NTP-disciplined, normally within a second). Five minutes is the tolerance
/// Stripe's webhook signatures use by default; past it, a captured Buy, ship or refund
/// cannot be replayed. The signature covers the timestamp, so it cannot be moved.
pub const MAX_AGE_SECS: i64 = 300;

/// The application's public key, parsed once (point decompression is not free): having one
/// proves DISCORD_PUBLIC_KEY is a point on the curve.
#[derive(Debug, Clone)]
pub struct PublicKey(
    // Read only by the tests' reference verifier: the Worker's verifier is the runtime's.
    #[cfg_attr(not(any(test, feature = "fuzzing")), allow(dead_code))] VerifyingKey,
);

impl PublicKey {
    pub fn from_hex(s: &str) -> Option<PublicKey> {
        let bytes = hex::decode_array::<32>(s.trim())?;
        VerifyingKey::from_bytes(&bytes).ok().map(PublicKey)
    }

    /// Checks the `X-Signature-Ed25519` and `X-Signature-Timestamp` header values, given
    /// whether the runtime found a valid signature by this key over `timestamp ‖ body`, and
    /// that the timestamp is within [`MAX_AGE_SECS`] of `now_secs`.
    pub fn check(
        &self,
        signature_hex: Option<&str>,
        timestamp: Option<&str>,
        signed: bool,
        now_secs: i64,
    ) -> Result<(), SignatureError> {
        let (Some(signature_hex), Some(timestamp)) = (signature_hex, timestamp) else {
            return Err(SignatureError::MissingHeader);
        };
        if timestamp.is_empty() {
            return Err(SignatureError::MissingHeader);
        }
        hex::decode_array::<64>(signature_hex).ok_or(SignatureError::MalformedSignature)?;
        let at = timestamp
            .parse::<i64>()
            .map_err(|_| SignatureError::Stale)?;
        if now_secs.abs_diff(at) > MAX_AGE_SECS.unsigned_abs() {
            return Err(SignatureError::Stale);
        }
        if signed {
            Ok(())
        } else {
            Err(SignatureError::Invalid)
        }
    }

    /// The same rules with ed25519-dalek as the verifier: the reference for the tests.
    /// Cofactorless, as WebCrypto and Discord's own libraries verify.
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn verify(
        &self,
        signature_hex: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<(), SignatureError> {
        use ed25519_dalek::{Signature, Verifier};
        let signed = match (signature_hex.and_then(hex::decode_array::<64>), timestamp) {
            (Some(sig), Some(timestamp)) => {
                let mut message = timestamp.as_bytes().to_vec();
                message.extend_from_slice(body);
                self.0
                    .verify(&message, &Signature::from_bytes(&sig))
                    .is_ok()
            }
            _ => false,
        };
        self.check(signature_hex, timestamp, signed, now_secs)
    }
}

#[cfg(test)]
pub mod test_key {
    //! A signing helper for tests: the other half of [`PublicKey`].
    use crate::domain::hex;
    use ed25519_dalek::{Signer, SigningKey};

    pub struct TestKey(SigningKey);

    impl TestKey {
        pub fn new(seed: u8) -> TestKey {
            TestKey(SigningKey::from_bytes(&[seed; 32]))
        }
        pub fn public_hex(&self) -> String {
            hex::encode(self.0.verifying_key().as_bytes())
        }
        pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
            let mut msg = timestamp.as_bytes().to_vec();
            msg.extend_from_slice(body);
            hex::encode(&self.0.sign(&msg).to_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_key::TestKey;
    use super::*;

    #[test]
    fn accepts_a_genuine_signature_only() {
        let key = TestKey::new(7);
        let public = PublicKey::from_hex(&key.public_hex()).unwrap();
        let body = br#"{"type":1}"#;
        let sig = key.sign("1700000000", body);
        assert_eq!(
            public.verify(Some(&sig), Some("1700000000"), body, 1_700_000_000),
            Ok(())
        );
        assert_eq!(
            public.verify(
                Some(&sig.to_uppercase()),
                Some("1700000000"),
                body,
                1_700_000_000
            ),
            Ok(())
        );
        assert_eq!(
            public.verify(Some(&sig), Some("1700000001"), body, 1_700_000_000),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            public.verify(
                Some(&sig),
                Some("1700000000"),
                br#"{"type":2}"#,
                1_700_000_000
            ),
            Err(SignatureError::Invalid)
        );
        let other = TestKey::new(8).sign("1700000000", body);
        assert_eq!(
            public.verify(Some(&other), Some("1700000000"), body, 1_700_000_000),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn refuses_missing_and_malformed_headers() {
        let public = PublicKey::from_hex(&TestKey::new(7).public_hex()).unwrap();
        assert_eq!(
            public.verify(None, Some("1"), b"", 1_700_000_000),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            public.verify(Some("00"), None, b"", 1_700_000_000),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            public.verify(Some("00"), Some(""), b"", 1_700_000_000),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            public.verify(Some("zz"), Some("1"), b"", 1_700_000_000),
            Err(SignatureError::MalformedSignature)
        );
        assert_eq!(
            public.verify(Some(&"g".repeat(128)), Some("1"), b"", 1_700_000_000),
            Err(SignatureError::MalformedSignature)
        );
        assert_eq!(
            public.verify(
                Some(&"0".repeat(128)),
                Some("1700000000"),
                b"",
                1_700_000_000
            ),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn refuses_a_genuine_signature_on_a_timestamp_far_from_now() {
        let key = TestKey::new(7);
        let public = PublicKey::from_hex(&key.public_hex()).unwrap();
        let body = br#"{"type":1}"#;
        let at = 1_700_000_000;
        let sig = key.sign(&at.to_string(), body);
        let verify = |now| public.verify(Some(&sig), Some("1700000000"), body, now);
        assert_eq!(verify(at + MAX_AGE_SECS), Ok(()));
        assert_eq!(
            verify(at - MAX_AGE_SECS),
            Ok(()),
            "a clock a little behind Discord's"
        );
        assert_eq!(verify(at + MAX_AGE_SECS + 1), Err(SignatureError::Stale));
        assert_eq!(verify(at - MAX_AGE_SECS - 1), Err(SignatureError::Stale));
        for stamp in ["", "soon", "1700000000.5", "-1", "99999999999999999999"] {
            let sig = key.sign(stamp, body);
            assert_ne!(
                public.verify(Some(&sig), Some(stamp), body, at),
                Ok(()),
                "{stamp:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_public_keys() {
        assert!(PublicKey::from_hex("").is_none());
        assert!(PublicKey::from_hex("abcd").is_none());
        assert!(PublicKey::from_hex(&"x".repeat(64)).is_none());
    }
}
