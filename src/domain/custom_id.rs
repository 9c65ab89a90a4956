//! The grammar of our component and modal `custom_id`s: `c5:<version>:<action>[:<arg>]`.
//!
//! Buttons live on messages for months, so every id carries a version: a button posted by
//! an older release either still parses or gets a friendly "this button is out of date".

use super::ids::ListingId;

/// Discord's limit on a custom_id.
pub const MAX_LEN: usize = 100;
const PREFIX: &str = "c5";
const VERSION: &str = "v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomId {
    /// The Buy button on a drop embed.
    Buy(ListingId),
}

/// Why a custom_id was not understood; each gets its own friendly reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomIdError {
    /// Ours, but from a version this release no longer reads.
    Outdated,
    /// Not ours, or garbled.
    Unknown,
}

impl CustomId {
    pub fn encode(&self) -> String {
        match self {
            CustomId::Buy(listing) => format!("{PREFIX}:{VERSION}:buy:{listing}"),
        }
    }

    pub fn parse(s: &str) -> Result<CustomId, CustomIdError> {
        if s.len() > MAX_LEN {
            return Err(CustomIdError::Unknown);
        }
        let mut parts = s.split(':');
        if parts.next() != Some(PREFIX) {
            return Err(CustomIdError::Unknown);
        }
        match parts.next() {
            Some(VERSION) => {}
            Some(v) if v.starts_with('v') => return Err(CustomIdError::Outdated),
            _ => return Err(CustomIdError::Unknown),
        }
        let action = parts.next();
        let arg = parts.next();
        if parts.next().is_some() {
            return Err(CustomIdError::Unknown);
        }
        match (action, arg) {
            (Some("buy"), Some(id)) => ListingId::parse(id)
                .filter(|l| l.as_str() == id)
                .map(CustomId::Buy)
                .ok_or(CustomIdError::Unknown),
            _ => Err(CustomIdError::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_fits_discord() {
        let buy = CustomId::Buy(ListingId::from_random(&[9; 8]));
        let encoded = buy.encode();
        assert!(encoded.len() <= MAX_LEN);
        assert!(encoded.starts_with("c5:v1:buy:D-"));
        assert_eq!(CustomId::parse(&encoded), Ok(buy));
    }

    #[test]
    fn tells_outdated_from_unknown() {
        assert_eq!(
            CustomId::parse("c5:v0:buy:D-AAAAAAAA"),
            Err(CustomIdError::Outdated)
        );
        for bad in [
            "",
            "buy_btn:123",
            "c5",
            "c5:v1",
            "c5:v1:buy",
            "c5:v1:buy:D-aaaaaaaa", // not canonical: ids are minted upper case
            "c5:v1:buy:D-AAAAAAAA:extra",
            "c5:v1:sell:D-AAAAAAAA",
            "c5:x1:buy:D-AAAAAAAA",
        ] {
            assert_eq!(CustomId::parse(bad), Err(CustomIdError::Unknown), "{bad}");
        }
        assert_eq!(
            CustomId::parse(&format!("c5:v1:buy:{}", "A".repeat(100))),
            Err(CustomIdError::Unknown)
        );
    }
}
