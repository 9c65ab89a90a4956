//! Discord signs every interaction with Ed25519 over `timestamp ‖ raw body`.

use crate::domain::hex;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    MissingHeader,
    MalformedSignature,
    Invalid,
}

/// The application's public key, parsed once (point decompression is not free).
#[derive(Debug, Clone)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn from_hex(s: &str) -> Option<PublicKey> {
        let bytes = hex::decode_array::<32>(s.trim())?;
        VerifyingKey::from_bytes(&bytes).ok().map(PublicKey)
    }

    /// Checks the `X-Signature-Ed25519` and `X-Signature-Timestamp` header values.
    pub fn verify(
        &self,
        signature_hex: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let (Some(signature_hex), Some(timestamp)) = (signature_hex, timestamp) else {
            return Err(SignatureError::MissingHeader);
        };
        if timestamp.is_empty() {
            return Err(SignatureError::MissingHeader);
        }
        let sig =
            hex::decode_array::<64>(signature_hex).ok_or(SignatureError::MalformedSignature)?;
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        // Cofactorless verification, as Discord's own (tweetnacl-based) libraries do.
        // `verify_strict` would add malleability checks (a decompression and small-order
        // tests, ~5% of a request), which matter when signatures are ids; here they are not.
        self.0
            .verify(&message, &Signature::from_bytes(&sig))
            .map_err(|_| SignatureError::Invalid)
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
        assert_eq!(public.verify(Some(&sig), Some("1700000000"), body), Ok(()));
        assert_eq!(
            public.verify(Some(&sig.to_uppercase()), Some("1700000000"), body),
            Ok(())
        );
        assert_eq!(
            public.verify(Some(&sig), Some("1700000001"), body),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            public.verify(Some(&sig), Some("1700000000"), br#"{"type":2}"#),
            Err(SignatureError::Invalid)
        );
        let other = TestKey::new(8).sign("1700000000", body);
        assert_eq!(
            public.verify(Some(&other), Some("1700000000"), body),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn refuses_missing_and_malformed_headers() {
        let public = PublicKey::from_hex(&TestKey::new(7).public_hex()).unwrap();
        assert_eq!(
            public.verify(None, Some("1"), b""),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            public.verify(Some("00"), None, b""),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            public.verify(Some("00"), Some(""), b""),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            public.verify(Some("zz"), Some("1"), b""),
            Err(SignatureError::MalformedSignature)
        );
        assert_eq!(
            public.verify(Some(&"g".repeat(128)), Some("1"), b""),
            Err(SignatureError::MalformedSignature)
        );
        assert_eq!(
            public.verify(Some(&"0".repeat(128)), Some("1"), b""),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn rejects_bad_public_keys() {
        assert!(PublicKey::from_hex("").is_none());
        assert!(PublicKey::from_hex("abcd").is_none());
        assert!(PublicKey::from_hex(&"x".repeat(64)).is_none());
    }
}
