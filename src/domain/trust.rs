//! Buyer tiers (the brief's "Trust"): what a buyer may spend per item and whether they see
//! drops early. The tier is computed from reputation in D1 (`store::TIER_SQL`), never stored.

use super::money::Cents;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Guest,
    Member,
    Vip,
}

/// VIPs see and can buy a drop this long before its release time.
pub const VIP_EARLY_MS: u64 = 10 * 60 * 1000;

impl Tier {
    pub fn parse(name: &str) -> Option<Tier> {
        match name {
            "guest" => Some(Tier::Guest),
            "member" => Some(Tier::Member),
            "vip" => Some(Tier::Vip),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Guest => "guest",
            Tier::Member => "member",
            Tier::Vip => "vip",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tier::Guest => "Guest",
            Tier::Member => "Member",
            Tier::Vip => "VIP",
        }
    }

    /// The most one item may cost for this tier (None: no cap).
    pub fn cap(self) -> Option<Cents> {
        match self {
            Tier::Guest => Some(Cents::new(15_000)),
            Tier::Member => Some(Cents::new(60_000)),
            Tier::Vip => None,
        }
    }

    pub fn early_access_ms(self) -> u64 {
        if self == Tier::Vip {
            VIP_EARLY_MS
        } else {
            0
        }
    }

    /// How to reach the next tier, for the buyer who hit the cap.
    pub fn how_to_grow(self) -> &'static str {
        match self {
            Tier::Guest => "Complete one purchase, get a builder's vouch (`/c500 vouch`) or link Twitch (`/c500 setup twitch`) to become a Member (up to $600).",
            Tier::Member => "Three completed purchases with no lost disputes make you a VIP: no cap, and early access to drops.",
            Tier::Vip => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_follow_the_brief() {
        assert_eq!(Tier::Guest.cap(), Some(Cents::new(15_000)));
        assert_eq!(Tier::Member.cap(), Some(Cents::new(60_000)));
        assert_eq!(Tier::Vip.cap(), None);
        assert_eq!(Tier::Vip.early_access_ms(), 600_000);
        assert_eq!(Tier::Member.early_access_ms(), 0);
        for t in [Tier::Guest, Tier::Member, Tier::Vip] {
            assert_eq!(Tier::parse(t.name()), Some(t));
        }
        assert_eq!(Tier::parse("admin"), None);
    }
}
