//! Decoding JSON bodies into typed values, one way for every body C500 reads (interactions,
//! Stripe events, Twitch messages, outbox jobs): text → `serde_json::Value` → the type.
//! serde_json's decoder over text is generated once per target type; over a `Value` it is
//! already in the module (Stripe's answers) and smaller per type: 2.7 KiB gzip for the
//! outbox jobs alone (docs/performance.md). The extra pass costs microseconds on bodies of a
//! few KiB.

use serde::de::DeserializeOwned;

/// The body as `T`, or None when it is not UTF-8 JSON of that shape.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    let text = std::str::from_utf8(body).ok()?;
    decode_str(text).ok()
}

/// The text as `T`, with serde_json's reason when it is not.
pub fn decode_str<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str::<serde_json::Value>(text).and_then(serde_json::from_value::<T>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Thing {
        id: String,
        #[serde(default)]
        n: i64,
    }

    #[test]
    fn decodes_through_a_value() {
        assert_eq!(
            decode::<Thing>(br#"{"id":"a","n":2,"extra":[1]}"#),
            Some(Thing {
                id: "a".into(),
                n: 2
            })
        );
        assert_eq!(decode::<Thing>(br#"{"n":2}"#), None);
        assert_eq!(decode::<Thing>(b"\xff{}"), None);
        assert!(decode_str::<Thing>("{").is_err());
    }
}
