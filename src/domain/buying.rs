//! What a Buy click leads to, decided from the facts D1 returned in the same batch that
//! tried to take the hold (store::buying::reserve). Pure, so every refusal is unit-tested.

use super::money::Cents;
use super::trust::Tier;

/// How long a unit is held while the buyer pays: Stripe Checkout's 30-minute minimum
/// expiry, plus a minute for the call that creates the session (its `expires_at` must be
/// at least 30 minutes after Stripe receives it). Hold and session expire together.
pub const HOLD_MS: f64 = 31.0 * 60.0 * 1000.0;

/// A buyer paying by a delayed method (e.g. a bank debit) keeps the unit this long after
/// Checkout completes, until Stripe says the payment succeeded or failed.
pub const ASYNC_PAYMENT_HOLD_MS: f64 = 14.0 * 24.0 * 3600.0 * 1000.0;

#[derive(Debug, Clone, PartialEq)]
pub struct ListingFacts {
    pub live: bool,
    pub stock: i64,
    pub seller_id: String,
    /// The seller may sell now (certified, not banned, Stripe charges and payouts on).
    pub seller_can_sell: bool,
    pub price: Cents,
    pub release_at_ms: Option<f64>,
    /// Most units one buyer may take (None: no limit), and how many this buyer has.
    pub per_buyer: Option<i64>,
    pub bought: i64,
    /// Buyers waiting ahead of this one in the drop's line, and whether this one waits.
    pub ahead: i64,
    pub waiting: bool,
    /// A raffle not drawn yet: when its entries close (Buy opens after the draw).
    pub raffle_closes_at_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HoldFacts {
    pub id: String,
    /// Taken by this click (not an earlier one).
    pub is_new: bool,
    pub checkout_url: Option<String>,
    /// Offered by the drop's line (store::waitlist): nobody else is making its Checkout.
    pub offered: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuyFacts {
    pub buyer_id: String,
    pub banned: bool,
    pub tier: Tier,
    /// None: no such listing.
    pub listing: Option<ListingFacts>,
    /// The buyer's open hold on this listing, if any (after this click's attempt).
    pub hold: Option<HoldFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Banned,
    NoSuchDrop,
    Delisted,
    /// The builder can't sell right now (certification revoked, banned, or Stripe has
    /// disabled their account): the drop is paused.
    SellerPaused,
    OwnDrop,
    NotReleased {
        at_ms: f64,
    },
    OverCap {
        tier: Tier,
        cap: Cents,
    },
    /// The buyer has as many units as the drop allows one buyer.
    OverLimit {
        limit: i64,
    },
    /// Every unit is sold or held: the "too late" answer, with the waitlist offered.
    /// `place`: the buyer's place in line when they already wait (1 is next).
    SoldOut {
        place: Option<i64>,
    },
    /// A unit is free but buyers wait ahead of this one: it is theirs (offered in line).
    LineFirst {
        place: Option<i64>,
    },
    /// A raffle not drawn yet: Enter, not Buy (its entries close, or closed, at this time).
    Raffle {
        closes_at_ms: f64,
    },
    /// The facts allow a hold but none was taken (a conflicting write): try again.
    Busy,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BuyOutcome {
    /// This buyer holds a unit: create its Checkout Session (or get the same one back).
    /// `fresh`: this click took the hold, so this click may give it back if Stripe fails
    /// (a second click racing the first must not release the first one's hold).
    Checkout {
        hold_id: String,
        fresh: bool,
    },
    /// An earlier click's Checkout is ready: show its link again.
    Resume {
        url: String,
    },
    Refused(Refusal),
}

impl BuyOutcome {
    /// The outcome's name in logs (not `Debug`: that would format the f64s it holds, and
    /// float formatting costs the module ~7 KiB; docs/performance.md).
    pub fn code(&self) -> &'static str {
        match self {
            BuyOutcome::Checkout { fresh: true, .. } => "checkout",
            BuyOutcome::Checkout { fresh: false, .. } => "checkout_again",
            BuyOutcome::Resume { .. } => "resume",
            BuyOutcome::Refused(r) => match r {
                Refusal::Banned => "banned",
                Refusal::NoSuchDrop => "no_such_drop",
                Refusal::Delisted => "delisted",
                Refusal::SellerPaused => "seller_paused",
                Refusal::OwnDrop => "own_drop",
                Refusal::NotReleased { .. } => "not_released",
                Refusal::OverCap { .. } => "over_cap",
                Refusal::OverLimit { .. } => "over_limit",
                Refusal::SoldOut { .. } => "sold_out",
                Refusal::LineFirst { .. } => "line_first",
                Refusal::Raffle { .. } => "raffle",
                Refusal::Busy => "busy",
            },
        }
    }
}

pub fn decide(f: &BuyFacts, now_ms: f64) -> BuyOutcome {
    use BuyOutcome::Refused;
    if f.banned {
        return Refused(Refusal::Banned);
    }
    let Some(listing) = &f.listing else {
        return Refused(Refusal::NoSuchDrop);
    };
    if listing.seller_id == f.buyer_id {
        return Refused(Refusal::OwnDrop);
    }
    if !listing.live {
        return Refused(Refusal::Delisted);
    }
    if !listing.seller_can_sell && f.hold.is_none() {
        return Refused(Refusal::SellerPaused);
    }
    if let Some(hold) = &f.hold {
        return match &hold.checkout_url {
            Some(url) if !hold.is_new => BuyOutcome::Resume { url: url.clone() },
            _ => BuyOutcome::Checkout {
                hold_id: hold.id.clone(),
                fresh: hold.is_new,
            },
        };
    }
    if let Some(closes_at_ms) = listing.raffle_closes_at_ms {
        return Refused(Refusal::Raffle { closes_at_ms });
    }
    if let Some(at) = listing.release_at_ms {
        if at > now_ms + f.tier.early_access_ms() as f64 {
            return Refused(Refusal::NotReleased { at_ms: at });
        }
    }
    if let Some(cap) = f.tier.cap() {
        if listing.price.get() > cap.get() {
            return Refused(Refusal::OverCap { tier: f.tier, cap });
        }
    }
    if let Some(limit) = listing.per_buyer {
        if listing.bought >= limit {
            return Refused(Refusal::OverLimit { limit });
        }
    }
    let place = listing.waiting.then_some(listing.ahead + 1);
    if listing.stock <= 0 {
        return Refused(Refusal::SoldOut { place });
    }
    if listing.ahead > 0 {
        return Refused(Refusal::LineFirst { place });
    }
    Refused(Refusal::Busy)
}

/// What a Buy came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Bought {
    /// A unit is held for the buyer until `hold_expires_at_ms`: pay at `url`.
    Link {
        url: String,
        hold_expires_at_ms: Option<f64>,
    },
    Refused(Refusal),
    /// Another click of this buyer is making the Checkout right now.
    AlmostReady,
    /// Clicked again within the window, before the first click wrote anything.
    OneMoment,
    /// Stripe still said slow down after a click's patience; the unit went back.
    Busy,
    /// Stripe failed; the unit went back.
    StripeUnavailable,
}

/// What joining a drop's waitlist came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Joined {
    Refused(Refusal),
    /// A unit is already held for this buyer: Buy takes it.
    Held,
    /// In line at `place` (1 is next); `free_now`: a unit is free and nobody is ahead.
    InLine {
        place: i64,
        free_now: bool,
    },
    /// The batch wrote nothing it could explain: try again.
    Failed,
}

/// What the facts read in the join's own batch mean.
pub fn joined(f: &BuyFacts) -> Joined {
    let refusal = match &f.listing {
        _ if f.banned => Some(Refusal::Banned),
        None => Some(Refusal::NoSuchDrop),
        Some(l) if l.seller_id == f.buyer_id => Some(Refusal::OwnDrop),
        Some(l) if !l.live => Some(Refusal::Delisted),
        Some(l) if l.raffle_closes_at_ms.is_some() => l
            .raffle_closes_at_ms
            .map(|closes_at_ms| Refusal::Raffle { closes_at_ms }),
        Some(l) if f.hold.is_none() && l.per_buyer.is_some_and(|n| l.bought >= n) => {
            l.per_buyer.map(|limit| Refusal::OverLimit { limit })
        }
        Some(_) => None,
    };
    if let Some(refusal) = refusal {
        return Joined::Refused(refusal);
    }
    match &f.listing {
        _ if f.hold.is_some() => Joined::Held,
        Some(l) if l.waiting => Joined::InLine {
            place: l.ahead + 1,
            free_now: l.stock > 0 && l.ahead == 0,
        },
        _ => Joined::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> BuyFacts {
        BuyFacts {
            buyer_id: "b".into(),
            banned: false,
            tier: Tier::Guest,
            listing: Some(ListingFacts {
                live: true,
                stock: 1,
                seller_id: "s".into(),
                seller_can_sell: true,
                price: Cents::new(10_000),
                release_at_ms: None,
                per_buyer: None,
                bought: 0,
                ahead: 0,
                waiting: false,
                raffle_closes_at_ms: None,
            }),
            hold: Some(HoldFacts {
                id: "C5-AAAAAA".into(),
                is_new: true,
                checkout_url: None,
                offered: false,
            }),
        }
    }

    fn with_listing(f: impl FnOnce(&mut ListingFacts)) -> BuyFacts {
        let mut facts = facts();
        facts.hold = None;
        if let Some(l) = facts.listing.as_mut() {
            f(l);
        }
        facts
    }

    #[test]
    fn a_paused_seller_sells_nothing_new() {
        let mut f = facts();
        f.hold = None;
        if let Some(l) = f.listing.as_mut() {
            l.seller_can_sell = false;
        }
        assert_eq!(decide(&f, 0.0), BuyOutcome::Refused(Refusal::SellerPaused));
    }

    #[test]
    fn a_new_hold_goes_to_checkout() {
        assert_eq!(
            decide(&facts(), 0.0),
            BuyOutcome::Checkout {
                hold_id: "C5-AAAAAA".into(),
                fresh: true
            }
        );
    }

    #[test]
    fn a_second_click_gets_the_same_checkout() {
        let mut f = facts();
        f.hold = Some(HoldFacts {
            id: "C5-AAAAAA".into(),
            is_new: false,
            checkout_url: Some("https://checkout.stripe.com/x".into()),
            offered: false,
        });
        assert_eq!(
            decide(&f, 0.0),
            BuyOutcome::Resume {
                url: "https://checkout.stripe.com/x".into()
            }
        );
        // An earlier click still creating its session: same hold, same idempotent session,
        // and this click doesn't own the hold.
        f.hold = Some(HoldFacts {
            id: "C5-AAAAAA".into(),
            is_new: false,
            checkout_url: None,
            offered: false,
        });
        assert_eq!(
            decide(&f, 0.0),
            BuyOutcome::Checkout {
                hold_id: "C5-AAAAAA".into(),
                fresh: false
            }
        );
    }

    #[test]
    fn every_refusal_has_its_reason() {
        let mut banned = facts();
        banned.banned = true;
        assert_eq!(decide(&banned, 0.0), BuyOutcome::Refused(Refusal::Banned));

        let mut missing = facts();
        missing.listing = None;
        assert_eq!(
            decide(&missing, 0.0),
            BuyOutcome::Refused(Refusal::NoSuchDrop)
        );

        let mut own = facts();
        own.buyer_id = "s".into();
        assert_eq!(decide(&own, 0.0), BuyOutcome::Refused(Refusal::OwnDrop));

        let delisted = with_listing(|l| l.live = false);
        assert_eq!(
            decide(&delisted, 0.0),
            BuyOutcome::Refused(Refusal::Delisted)
        );

        let sold = with_listing(|l| l.stock = 0);
        assert_eq!(
            decide(&sold, 0.0),
            BuyOutcome::Refused(Refusal::SoldOut { place: None })
        );

        let over = with_listing(|l| l.price = Cents::new(15_001));
        assert_eq!(
            decide(&over, 0.0),
            BuyOutcome::Refused(Refusal::OverCap {
                tier: Tier::Guest,
                cap: Cents::new(15_000)
            })
        );
        let at_cap = with_listing(|l| l.price = Cents::new(15_000));
        assert_eq!(decide(&at_cap, 0.0), BuyOutcome::Refused(Refusal::Busy));
    }

    #[test]
    fn the_per_buyer_limit_counts_what_the_buyer_has() {
        let under = with_listing(|l| {
            l.per_buyer = Some(2);
            l.bought = 1;
        });
        assert_eq!(decide(&under, 0.0), BuyOutcome::Refused(Refusal::Busy));
        let at = with_listing(|l| {
            l.per_buyer = Some(2);
            l.bought = 2;
            l.stock = 0;
        });
        // The limit is the answer even when sold out: a place in line would be no use.
        assert_eq!(
            decide(&at, 0.0),
            BuyOutcome::Refused(Refusal::OverLimit { limit: 2 })
        );
        // A hold the buyer already has is theirs whatever the count (it was taken within it).
        let mut held = facts();
        if let Some(l) = held.listing.as_mut() {
            l.per_buyer = Some(1);
            l.bought = 1;
        }
        assert!(matches!(decide(&held, 0.0), BuyOutcome::Checkout { .. }));
    }

    #[test]
    fn a_raffle_is_entered_not_bought_until_its_draw() {
        let open = with_listing(|l| l.raffle_closes_at_ms = Some(5.0));
        assert_eq!(
            decide(&open, 0.0),
            BuyOutcome::Refused(Refusal::Raffle { closes_at_ms: 5.0 })
        );
        // A winner's offered hold goes to Checkout (drawn raffles carry no close time here).
        let won = facts();
        assert!(matches!(decide(&won, 0.0), BuyOutcome::Checkout { .. }));
    }

    #[test]
    fn a_free_unit_goes_to_the_line_first() {
        let behind = with_listing(|l| l.ahead = 3);
        assert_eq!(
            decide(&behind, 0.0),
            BuyOutcome::Refused(Refusal::LineFirst { place: None })
        );
        let waiting = with_listing(|l| {
            l.ahead = 3;
            l.waiting = true;
        });
        assert_eq!(
            decide(&waiting, 0.0),
            BuyOutcome::Refused(Refusal::LineFirst { place: Some(4) })
        );
        let sold_waiting = with_listing(|l| {
            l.stock = 0;
            l.waiting = true;
        });
        assert_eq!(
            decide(&sold_waiting, 0.0),
            BuyOutcome::Refused(Refusal::SoldOut { place: Some(1) })
        );
        // First in line with a unit free: the rules allowed the hold (Busy: none was taken).
        let first = with_listing(|l| l.waiting = true);
        assert_eq!(decide(&first, 0.0), BuyOutcome::Refused(Refusal::Busy));
    }

    #[test]
    fn vips_buy_ten_minutes_early() {
        let release = 1_000_000_000.0;
        let mut f = with_listing(|l| l.release_at_ms = Some(release));
        let nine_minutes_before = release - 9.0 * 60_000.0;
        assert_eq!(
            decide(&f, nine_minutes_before),
            BuyOutcome::Refused(Refusal::NotReleased { at_ms: release })
        );
        f.tier = Tier::Vip;
        assert_eq!(
            decide(&f, nine_minutes_before),
            BuyOutcome::Refused(Refusal::Busy)
        );
        assert_eq!(
            decide(&f, release - 11.0 * 60_000.0),
            BuyOutcome::Refused(Refusal::NotReleased { at_ms: release })
        );
    }

    #[test]
    fn refusals_win_over_an_existing_hold_only_when_they_must() {
        // The seller's own drop and a banned buyer are refused even with a hold row.
        let mut f = facts();
        f.banned = true;
        assert_eq!(decide(&f, 0.0), BuyOutcome::Refused(Refusal::Banned));
        // Sold out for everyone else, but this buyer already holds a unit.
        let mut held = facts();
        if let Some(l) = held.listing.as_mut() {
            l.stock = 0;
        }
        assert!(matches!(decide(&held, 0.0), BuyOutcome::Checkout { .. }));
    }
}
