//! Raffle drops (issue 11.3): the commitment, the draw and the entry gate. Pure.
//!
//! The draw can be checked by anyone. When the drop is posted C500 publishes the commitment,
//! `SHA-256(seed)` of a random seed it keeps; at the close it publishes the seed, and the
//! entries' order is fixed by it alone: each entry's key is `SHA-256(seed ":" discord_id)`,
//! and entries are sorted by key (then by id, which never decides in practice). The first
//! `quantity` entries win; the rest follow in that order as the drop's line, so a winner who
//! never pays passes the unit to the next drawn entry. `dev/verify-draw.mjs` recomputes it.

use super::trust::Tier;
use sha2::{Digest, Sha256};

/// How long a raffle may take entries, in hours (the builder's `raffle_hours`).
pub const MAX_HOURS: i64 = 72;
/// The largest account-age gate a builder may set, in days.
pub const MAX_MIN_AGE_DAYS: i64 = 365;
/// Discord's epoch (2015-01-01T00:00:00Z): snowflakes count milliseconds from it.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// The public commitment to a seed: lower-case hex of SHA-256 over the seed's text.
pub fn commitment(seed: &str) -> String {
    super::hex::encode(&Sha256::digest(seed.as_bytes()))
}

/// An entry's place-deciding key under `seed`.
pub fn key(seed: &str, entrant: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(seed.as_bytes());
    hash.update(b":");
    hash.update(entrant.as_bytes());
    hash.finalize().into()
}

/// What an Enter click found, read in the entry's own batch.
#[derive(Debug, serde::Deserialize)]
pub struct EntryFacts {
    pub banned: i64,
    /// None: no such drop.
    pub status: Option<String>,
    pub seller_id: Option<String>,
    pub seller_ok: Option<i64>,
    pub release_at: Option<f64>,
    /// None: not a raffle.
    pub closes_at: Option<f64>,
    pub drawn_at: Option<f64>,
    pub min_age_days: Option<i64>,
    /// The role gate (a role id of the drop's server) and whether the clicker has it (None:
    /// their roles are unknown, as on the web).
    pub role_id: Option<String>,
    pub has_role: Option<i64>,
    /// The tier gate (`member` or `vip`) and the buyer's tier (store::buying::TIER_SQL).
    pub min_tier: Option<String>,
    pub tier: String,
    pub commitment: Option<String>,
    /// This buyer has an entry (1), and how many entries there are.
    pub entered: i64,
    pub entries: i64,
}

/// What entering a raffle came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Entered {
    Refused(super::buying::Refusal),
    /// A drop sold first come.
    NotARaffle,
    /// The buyer's entry is in (now or from before).
    In {
        entries: i64,
        closes_at_ms: f64,
        commitment: String,
    },
    Closed,
    NotOpen {
        at_ms: f64,
    },
    /// The builder's account-age gate.
    TooNew {
        days: i64,
    },
    /// The builder's role gate: entered from Discord by members with that role.
    NeedsRole {
        role: String,
        /// The clicker's roles were known (a click in a server) and lack it.
        known: bool,
    },
    /// The builder's tier gate.
    TierTooLow {
        needed: Tier,
        have: Tier,
    },
    Failed,
}

/// What the facts read in the entry's own batch mean.
pub fn entered(f: &EntryFacts, buyer: &str, now_ms: f64) -> Entered {
    let refusal = match (&f.status, &f.seller_id) {
        _ if f.banned == 1 => Some(super::buying::Refusal::Banned),
        (None, _) | (_, None) => Some(super::buying::Refusal::NoSuchDrop),
        (Some(status), _) if status != "live" => Some(super::buying::Refusal::Delisted),
        (_, Some(seller)) if seller == buyer => Some(super::buying::Refusal::OwnDrop),
        _ if f.entered == 0 && f.seller_ok != Some(1) => Some(super::buying::Refusal::SellerPaused),
        _ => None,
    };
    if let Some(refusal) = refusal {
        return Entered::Refused(refusal);
    }
    let Some(closes_at_ms) = f.closes_at else {
        return Entered::NotARaffle;
    };
    if f.entered == 1 {
        return Entered::In {
            entries: f.entries,
            closes_at_ms,
            commitment: f.commitment.clone().unwrap_or_default(),
        };
    }
    if f.drawn_at.is_some() || closes_at_ms <= now_ms {
        return Entered::Closed;
    }
    if let Some(at_ms) = f.release_at.filter(|at| *at > now_ms) {
        return Entered::NotOpen { at_ms };
    }
    if let Some(days) = f
        .min_age_days
        .filter(|days| !old_enough(buyer, *days, now_ms))
    {
        return Entered::TooNew { days };
    }
    if let Some(role) = f.role_id.as_ref().filter(|_| f.has_role != Some(1)) {
        return Entered::NeedsRole {
            role: role.clone(),
            known: f.has_role.is_some(),
        };
    }
    let have = Tier::parse(&f.tier).unwrap_or(Tier::Guest);
    if let Some(needed) = f
        .min_tier
        .as_deref()
        .and_then(Tier::parse)
        .filter(|needed| rank(have) < rank(*needed))
    {
        return Entered::TierTooLow { needed, have };
    }
    Entered::Failed
}

/// The entries in drawn order: a deterministic function of the seed and the set of entries
/// (their order as given does not matter). The Worker lets SQL sort ([`keyed`]); this is the
/// rule the tests (and dev/verify-draw.mjs, independently) hold it to.
#[cfg(test)]
pub fn draw(seed: &str, entrants: &[String]) -> Vec<String> {
    let mut keyed: Vec<([u8; 32], &String)> = entrants.iter().map(|e| (key(seed, e), e)).collect();
    keyed.sort();
    keyed.into_iter().map(|(_, e)| e.clone()).collect()
}

/// The entries with their keys, as the JSON array `[["<key hex>","<id>"], …]` that the draw's
/// batch sorts (store::raffle::record_draw): sorted by key, then id, it is [`draw`]'s order.
/// Ids that are not snowflakes (digits) are left out: no Discord account has one, and the text
/// needs no escaping.
pub fn keyed(seed: &str, entrants: &[String]) -> (String, usize) {
    let mut json = String::from("[");
    let mut count = 0;
    for e in entrants
        .iter()
        .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
    {
        if count > 0 {
            json.push(',');
        }
        json.push_str("[\"");
        json.push_str(&super::hex::encode(&key(seed, e)));
        json.push_str("\",\"");
        json.push_str(e);
        json.push_str("\"]");
        count += 1;
    }
    json.push(']');
    (json, count)
}

/// Tiers in order, for the tier gate.
fn rank(tier: Tier) -> u8 {
    match tier {
        Tier::Guest => 0,
        Tier::Member => 1,
        Tier::Vip => 2,
    }
}

/// When a Discord account was created, from its id (a snowflake's top 42 bits).
pub fn account_created_ms(snowflake: &str) -> Option<f64> {
    let id: u64 = snowflake.parse().ok()?;
    Some(((id >> 22) + DISCORD_EPOCH_MS) as f64)
}

/// Whether an account is old enough for a raffle that asks `min_age_days`.
pub fn old_enough(snowflake: &str, min_age_days: i64, now_ms: f64) -> bool {
    if min_age_days <= 0 {
        return true;
    }
    account_created_ms(snowflake)
        .is_some_and(|created| now_ms - created >= min_age_days as f64 * 86_400_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::buying::Refusal;

    fn facts() -> EntryFacts {
        EntryFacts {
            banned: 0,
            status: Some("live".into()),
            seller_id: Some("seller".into()),
            seller_ok: Some(1),
            release_at: None,
            closes_at: Some(10_000.0),
            drawn_at: None,
            min_age_days: None,
            role_id: None,
            has_role: None,
            min_tier: None,
            tier: "guest".into(),
            commitment: Some("abc".into()),
            entered: 0,
            entries: 3,
        }
    }

    #[test]
    fn an_entry_reads_as_what_happened() {
        let in_ = EntryFacts {
            entered: 1,
            ..facts()
        };
        assert_eq!(
            entered(&in_, "buyer", 0.0),
            Entered::In {
                entries: 3,
                closes_at_ms: 10_000.0,
                commitment: "abc".into()
            }
        );
        assert_eq!(entered(&facts(), "buyer", 10_000.0), Entered::Closed);
        assert_eq!(
            entered(&facts(), "seller", 0.0),
            Entered::Refused(Refusal::OwnDrop)
        );
        let soon = EntryFacts {
            release_at: Some(5_000.0),
            ..facts()
        };
        assert_eq!(
            entered(&soon, "buyer", 0.0),
            Entered::NotOpen { at_ms: 5_000.0 }
        );
        let gated = EntryFacts {
            min_age_days: Some(30),
            ..facts()
        };
        // "buyer" is not a snowflake: never old enough.
        assert_eq!(entered(&gated, "buyer", 0.0), Entered::TooNew { days: 30 });
        let plain = EntryFacts {
            closes_at: None,
            ..facts()
        };
        assert_eq!(entered(&plain, "buyer", 0.0), Entered::NotARaffle);
        let banned = EntryFacts {
            banned: 1,
            entered: 1,
            ..facts()
        };
        assert_eq!(
            entered(&banned, "buyer", 0.0),
            Entered::Refused(Refusal::Banned)
        );
        // Nothing written and nothing that explains it.
        assert_eq!(entered(&facts(), "buyer", 0.0), Entered::Failed);
    }

    #[test]
    fn the_role_and_tier_gates_explain_a_refused_entry() {
        let role = |has_role| EntryFacts {
            role_id: Some("77".into()),
            has_role,
            ..facts()
        };
        assert_eq!(
            entered(&role(Some(0)), "buyer", 0.0),
            Entered::NeedsRole {
                role: "77".into(),
                known: true
            }
        );
        assert_eq!(
            entered(&role(None), "buyer", 0.0),
            Entered::NeedsRole {
                role: "77".into(),
                known: false
            }
        );
        // Has the role: the refusal is something else.
        assert_eq!(entered(&role(Some(1)), "buyer", 0.0), Entered::Failed);
        let tier = |min: &str, have: &str| EntryFacts {
            min_tier: Some(min.into()),
            tier: have.into(),
            ..facts()
        };
        assert_eq!(
            entered(&tier("vip", "member"), "buyer", 0.0),
            Entered::TierTooLow {
                needed: Tier::Vip,
                have: Tier::Member
            }
        );
        assert_eq!(
            entered(&tier("member", "guest"), "buyer", 0.0),
            Entered::TierTooLow {
                needed: Tier::Member,
                have: Tier::Guest
            }
        );
        assert_eq!(
            entered(&tier("member", "vip"), "buyer", 0.0),
            Entered::Failed
        );
        assert_eq!(entered(&tier("vip", "vip"), "buyer", 0.0), Entered::Failed);
        // An entry already in stands, whatever the gates say now.
        let in_ = EntryFacts {
            entered: 1,
            ..tier("vip", "guest")
        };
        assert!(matches!(entered(&in_, "buyer", 0.0), Entered::In { .. }));
    }

    #[test]
    fn the_commitment_is_sha256_of_the_seed() {
        // echo -n abc | sha256sum
        assert_eq!(
            commitment("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_draw_depends_on_the_seed_and_the_entries_only() {
        let entries: Vec<String> = (0..50).map(|i| format!("3{i:017}")).collect();
        let mut shuffled = entries.clone();
        shuffled.reverse();
        let a = draw("seed-1", &entries);
        assert_eq!(
            a,
            draw("seed-1", &shuffled),
            "the order given does not matter"
        );
        assert_ne!(a, draw("seed-2", &entries), "another seed, another draw");
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            {
                let mut e = entries.clone();
                e.sort();
                e
            },
            "every entry exactly once"
        );
        // Pinned, so dev/verify-draw.mjs (tests/raffle.test.mjs) must agree with this code.
        assert_eq!(
            draw("c500", &["1".to_owned(), "2".to_owned(), "3".to_owned()]),
            ["3", "2", "1"].map(String::from).to_vec()
        );
    }

    /// Fairness: over 20,000 seeded draws of 10 entries, each entry is first 2,000 times in
    /// expectation; the standard deviation is √(20000·0.1·0.9) ≈ 42, and the tolerance is
    /// 5σ (±212), so a fair draw fails this less than once in a million runs.
    #[test]
    fn every_entry_is_equally_likely_to_win() {
        let entries: Vec<String> = (0..10).map(|i| format!("40000000000000000{i}")).collect();
        let mut wins = [0u32; 10];
        let mut last = [0u32; 10];
        for round in 0..20_000 {
            let order = draw(&format!("seed-{round}"), &entries);
            let first = entries
                .iter()
                .position(|e| Some(e) == order.first())
                .unwrap();
            let tail = entries
                .iter()
                .position(|e| Some(e) == order.last())
                .unwrap();
            wins[first] += 1;
            last[tail] += 1;
        }
        for (i, (w, l)) in wins.iter().zip(&last).enumerate() {
            assert!(
                (1788..=2212).contains(w),
                "entry {i} first {w} times of 20,000"
            );
            assert!(
                (1788..=2212).contains(l),
                "entry {i} last {l} times of 20,000"
            );
        }
    }

    #[test]
    fn the_keyed_entries_sort_into_the_draw() {
        let entries: Vec<String> = (0..30).map(|i| format!("5{i:017}")).collect();
        let mut with_junk = entries.clone();
        with_junk.push("not\"a-snowflake".to_owned());
        let (json, count) = keyed("s33d", &with_junk);
        assert_eq!(count, 30, "the non-snowflake is left out");
        let mut pairs: Vec<(String, String)> = serde_json::from_str(&json).unwrap();
        // As SQL sorts them: by key, then id (bytewise, as SQLite compares text).
        pairs.sort();
        let order: Vec<String> = pairs.into_iter().map(|(_, id)| id).collect();
        assert_eq!(order, draw("s33d", &entries));
    }

    #[test]
    fn account_age_comes_from_the_snowflake() {
        // Discord's documented example: 175928847299117063 was created 2016-04-30T11:18:25.796Z.
        assert_eq!(
            account_created_ms("175928847299117063"),
            Some(1_462_015_105_796.0)
        );
        let created = 1_462_015_105_796.0;
        assert!(old_enough(
            "175928847299117063",
            30,
            created + 30.0 * 86_400_000.0
        ));
        assert!(!old_enough(
            "175928847299117063",
            30,
            created + 29.0 * 86_400_000.0
        ));
        assert!(old_enough("175928847299117063", 0, created));
        assert!(!old_enough("not-a-snowflake", 1, created));
    }
}
