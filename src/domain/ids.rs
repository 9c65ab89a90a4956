//! Identifiers that parse: a value of these types is known to be well formed.

use std::fmt;

/// A Discord snowflake (user, guild, channel, role or message id). Kept as text:
/// it is a u64, which neither JSON numbers in JS nor D1's i32 binding hold safely.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Snowflake(String);

impl Snowflake {
    pub fn parse(s: &str) -> Option<Snowflake> {
        let ok = (1..=20).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u64>().is_ok();
        ok.then(|| Snowflake(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Snowflake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Crockford base32 without I, L, O, U: short ids people can read aloud and type.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `len` symbols of the alphabet from random bytes (5 bits per symbol).
fn encode(bytes: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 && out.len() < len {
            bits -= 5;
            let idx = ((acc >> bits) & 31) as usize;
            out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'0')));
        }
    }
    out
}

fn is_symbol(b: u8) -> bool {
    ALPHABET.contains(&b)
}

/// Normalises what a person typed: upper case, and the confusable letters mapped
/// the way Crockford specifies (I/L → 1, O → 0).
fn normalise(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect()
}

macro_rules! short_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $len:literal $(, legacy $old:literal)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            pub const SYMBOLS: usize = $len;

            /// A fresh id from `random` bytes (the caller supplies entropy, so this stays pure).
            pub fn from_random(random: &[u8; 8]) -> Self {
                $name(format!("{}{}", $prefix, encode(random, $len)))
            }

            /// Accepts the id with or without its prefix, in any case.
            pub fn parse(s: &str) -> Option<Self> {
                let n = normalise(s);
                let body = n.strip_prefix($prefix).unwrap_or(&n);
                let ok = (body.len() == $len $(|| body.len() == $old)?) && body.bytes().all(is_symbol);
                ok.then(|| $name(format!("{}{}", $prefix, body)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

short_id!(
    /// An order as people type it: `C5-7K2M9QXB` (40 random bits: among a million orders a
    /// new id collides about once in a million clicks, and then the primary key refuses it
    /// and the click retries with another; it never costs a unit). Orders made before ids
    /// grew have 6 symbols, still accepted.
    OrderId,
    "C5-",
    8,
    legacy 6
);
short_id!(
    /// A listing (drop): `D-8F3KQ2TX`. Appears in URLs and button custom_ids.
    ListingId,
    "D-",
    8
);

short_id!(
    /// A buyer's report to HQ: `R-7K2M9Q`.
    ReportId,
    "R-",
    6
);

/// Deterministic random bytes for an id, from a seed (tests replay a collision with it).
pub fn seeded_random(seed: &str, parts: &[&str]) -> [u8; 8] {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(seed.as_bytes());
    for p in parts {
        hash.update(b":");
        hash.update(p.as_bytes());
    }
    let digest = hash.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    out
}

/// A long unguessable token (for order-status links and signed states): 160 bits.
pub fn token_from_random(random: &[u8; 20]) -> String {
    encode(random, 32).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_are_u64_digits() {
        assert!(Snowflake::parse("80351110224678912").is_some());
        assert!(Snowflake::parse("18446744073709551615").is_some());
        assert!(Snowflake::parse("18446744073709551616").is_none());
        assert!(Snowflake::parse("").is_none());
        assert!(Snowflake::parse("12a").is_none());
        assert!(Snowflake::parse("-1").is_none());
    }

    #[test]
    fn order_ids_are_short_and_forgiving_to_type() {
        let id = OrderId::from_random(&[0xff, 0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]);
        assert_eq!(id.as_str().len(), 11);
        assert!(id.as_str().starts_with("C5-"));
        assert_eq!(OrderId::parse(id.as_str()), Some(id.clone()));
        let lower = id.as_str().to_ascii_lowercase();
        assert_eq!(OrderId::parse(&lower), Some(id.clone()));
        assert_eq!(OrderId::parse(&id.as_str()[3..]), Some(id));
        assert!(
            OrderId::parse("C5-7K2M9QX").is_none(),
            "7 symbols: neither length"
        );
        assert_eq!(
            OrderId::parse("c5-7k2m9q").map(|o| o.to_string()),
            Some("C5-7K2M9Q".into())
        );
        assert_eq!(
            OrderId::parse("C5-OIL000").map(|o| o.to_string()),
            Some("C5-011000".into())
        );
        assert!(OrderId::parse("C5-7K2M9").is_none());
        assert!(OrderId::parse("C5-7K2M9QQ").is_none());
        assert!(OrderId::parse("C5-7K2M9U").is_none());
    }

    #[test]
    fn listing_ids_round_trip() {
        let id = ListingId::from_random(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(id.as_str().len(), 10);
        assert_eq!(ListingId::parse(id.as_str()), Some(id));
        assert!(ListingId::parse("D-<script>").is_none());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = token_from_random(&[7; 20]);
        let b = token_from_random(&[8; 20]);
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
