//! The grammar of our component and modal `custom_id`s: `c5:<version>:<action>[:<arg>]`.
//!
//! Buttons live on messages for months, so every id carries a version: a button posted by
//! an older release either still parses or gets a friendly "this button is out of date".

use super::ids::ListingId;
use super::listing::{DropOptions, Kind};
use super::money::Cents;
use super::seller::GuildTag;
use super::trust::Tier;

/// Discord's limit on a custom_id.
pub const MAX_LEN: usize = 100;
const PREFIX: &str = "c5";
const VERSION: &str = "v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomId {
    /// The Buy button on a drop embed.
    Buy(ListingId),
    /// "Join the waitlist" on a sold-out drop.
    Waitlist(ListingId),
    /// "Enter the raffle" on a raffle drop.
    Enter(ListingId),
    /// The drop form (modal), carrying the slash command's options.
    DropForm(DropOptions),
    /// A page of `/c500 orders` (0 is the newest).
    OrdersPage(u32),
    /// `/c500 inventory`: back to the list, the listing picker, and a listing's actions.
    InventoryList,
    InventoryPick,
    InventoryEdit(ListingId),
    InventoryDelist(ListingId),
    /// The price-and-stock form for a listing.
    InventorySave(ListingId),
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
            CustomId::Waitlist(listing) => format!("{PREFIX}:{VERSION}:line:{listing}"),
            CustomId::Enter(listing) => format!("{PREFIX}:{VERSION}:enter:{listing}"),
            CustomId::DropForm(o) => {
                format!(
                    "{PREFIX}:{VERSION}:drop:{}.{}.{}.{}.{}.{}",
                    match o.kind {
                        Kind::ReadyToShip => "r",
                        Kind::Commission => "c",
                    },
                    o.quantity,
                    o.shipping.get(),
                    o.lead_time_weeks.map_or(0, u32::from),
                    o.guild.name(),
                    o.release_at.unwrap_or(0),
                ) + &o.image_draft.map(|d| format!(".{d}")).unwrap_or_default()
                    + &o.per_buyer.map(|n| format!(".l{n}")).unwrap_or_default()
                    + &o.raffle_hours.map(|h| format!(".r{h}")).unwrap_or_default()
                    + &o.min_age_days.map(|d| format!(".a{d}")).unwrap_or_default()
                    + &o.role_gate
                        .map(|r| format!(".g{}", base36(r)))
                        .unwrap_or_default()
                    + match o.min_tier {
                        Some(Tier::Vip) => ".tv",
                        Some(_) => ".tm",
                        None => "",
                    }
            }
            CustomId::OrdersPage(page) => format!("{PREFIX}:{VERSION}:orders:{page}"),
            CustomId::InventoryList => format!("{PREFIX}:{VERSION}:inv:list"),
            CustomId::InventoryPick => format!("{PREFIX}:{VERSION}:inv:pick"),
            CustomId::InventoryEdit(l) => format!("{PREFIX}:{VERSION}:inv-edit:{l}"),
            CustomId::InventoryDelist(l) => format!("{PREFIX}:{VERSION}:inv-delist:{l}"),
            CustomId::InventorySave(l) => format!("{PREFIX}:{VERSION}:inv-save:{l}"),
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
        let listing = |id: &str, make: fn(ListingId) -> CustomId| {
            ListingId::parse(id)
                .filter(|l| l.as_str() == id)
                .map(make)
                .ok_or(CustomIdError::Unknown)
        };
        match (action, arg) {
            (Some("buy"), Some(id)) => listing(id, CustomId::Buy),
            (Some("line"), Some(id)) => listing(id, CustomId::Waitlist),
            (Some("enter"), Some(id)) => listing(id, CustomId::Enter),
            (Some("inv"), Some("list")) => Ok(CustomId::InventoryList),
            (Some("inv"), Some("pick")) => Ok(CustomId::InventoryPick),
            (Some("inv-edit"), Some(id)) => listing(id, CustomId::InventoryEdit),
            (Some("inv-delist"), Some(id)) => listing(id, CustomId::InventoryDelist),
            (Some("inv-save"), Some(id)) => listing(id, CustomId::InventorySave),
            (Some("drop"), Some(fields)) => parse_drop(fields)
                .map(CustomId::DropForm)
                .ok_or(CustomIdError::Unknown),
            (Some("orders"), Some(page)) => page
                .parse::<u32>()
                .ok()
                .filter(|p| p.to_string() == page)
                .map(CustomId::OrdersPage)
                .ok_or(CustomIdError::Unknown),
            _ => Err(CustomIdError::Unknown),
        }
    }
}

fn parse_drop(fields: &str) -> Option<DropOptions> {
    let mut f = fields.split('.');
    let kind = match f.next()? {
        "r" => Kind::ReadyToShip,
        "c" => Kind::Commission,
        _ => return None,
    };
    let quantity: u16 = f.next()?.parse().ok().filter(|q| *q >= 1)?;
    let shipping = Cents::new(f.next()?.parse::<u32>().ok()?.into());
    let lead: u8 = f.next()?.parse().ok()?;
    let guild = GuildTag::parse(f.next()?)?;
    let release: u64 = f.next()?.parse().ok()?;
    // Then, each optional: the image draft (digits), the per-buyer limit (`l` and digits).
    // Forms opened before the limit existed end after the draft, and still parse.
    let mut next = f.next();
    let image_draft = match next.filter(|d| d.starts_with(|c: char| c.is_ascii_digit())) {
        Some(d) => {
            next = f.next();
            Some(d.parse::<u64>().ok()?)
        }
        None => None,
    };
    // The tagged options, each at most once and in this order: `l` limit, `r` raffle hours,
    // `a` minimum account age in days.
    let mut tagged = |tag: char, max: u16| -> Option<Option<u16>> {
        match next.and_then(|part| part.strip_prefix(tag)) {
            Some(n) => {
                next = f.next();
                Some(Some(
                    n.parse::<u16>().ok().filter(|n| (1..=max).contains(n))?,
                ))
            }
            None => Some(None),
        }
    };
    let per_buyer = tagged('l', 99)?.and_then(|n| u8::try_from(n).ok());
    let raffle_hours = tagged('r', 72)?.and_then(|n| u8::try_from(n).ok());
    let min_age_days = tagged('a', 365)?;
    // `g` a role id in base 36 (a snowflake in decimal would not fit Discord's 100), `t` the
    // lowest tier: `m` Member, `v` VIP.
    let role_gate = match next.and_then(|part| part.strip_prefix('g')) {
        Some(r) => {
            next = f.next();
            Some(from_base36(r)?)
        }
        None => None,
    };
    let min_tier = match next.and_then(|part| part.strip_prefix('t')) {
        Some(t) => {
            next = f.next();
            Some(match t {
                "m" => Tier::Member,
                "v" => Tier::Vip,
                _ => return None,
            })
        }
        None => None,
    };
    if next.is_some() || f.next().is_some() {
        return None;
    }
    Some(DropOptions {
        kind,
        quantity,
        shipping,
        lead_time_weeks: (lead > 0).then_some(lead),
        guild,
        release_at: (release > 0).then_some(release),
        image_draft,
        per_buyer,
        raffle_hours,
        min_age_days,
        role_gate,
        min_tier,
    })
}

const DIGITS36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn base36(mut n: u64) -> String {
    let mut out = Vec::new();
    loop {
        out.push(DIGITS36.get((n % 36) as usize).copied().unwrap_or(b'0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The inverse of [`base36`], for its own output only (lower case, no leading zero, no zero).
fn from_base36(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 13 || text.starts_with('0') {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        let digit = DIGITS36.iter().position(|d| *d == b)? as u64;
        n.checked_mul(36)?.checked_add(digit)
    })
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
        let line = CustomId::Waitlist(ListingId::from_random(&[9; 8]));
        assert!(line.encode().starts_with("c5:v1:line:D-"));
        assert_eq!(CustomId::parse(&line.encode()), Ok(line));
        let enter = CustomId::Enter(ListingId::from_random(&[9; 8]));
        assert!(enter.encode().starts_with("c5:v1:enter:D-"));
        assert_eq!(CustomId::parse(&enter.encode()), Ok(enter));
    }

    #[test]
    fn inventory_ids_round_trip() {
        let l = ListingId::from_random(&[3; 8]);
        for id in [
            CustomId::InventoryList,
            CustomId::InventoryPick,
            CustomId::InventoryEdit(l.clone()),
            CustomId::InventoryDelist(l.clone()),
            CustomId::InventorySave(l),
        ] {
            let encoded = id.encode();
            assert!(encoded.len() <= MAX_LEN);
            assert_eq!(CustomId::parse(&encoded), Ok(id));
        }
        assert_eq!(
            CustomId::parse("c5:v1:inv:nope"),
            Err(CustomIdError::Unknown)
        );
        assert_eq!(
            CustomId::parse("c5:v1:inv-edit:D-<b>"),
            Err(CustomIdError::Unknown)
        );
    }

    #[test]
    fn order_pages_round_trip() {
        for page in [0, 1, 4_000_000_000] {
            let id = CustomId::OrdersPage(page);
            assert_eq!(CustomId::parse(&id.encode()), Ok(id));
        }
        for bad in [
            "c5:v1:orders:",
            "c5:v1:orders:-1",
            "c5:v1:orders:01",
            "c5:v1:orders:x",
        ] {
            assert_eq!(CustomId::parse(bad), Err(CustomIdError::Unknown), "{bad}");
        }
    }

    #[test]
    fn the_drop_form_carries_its_options() {
        let options = DropOptions {
            kind: Kind::Commission,
            quantity: 999,
            shipping: Cents::new(100_000),
            lead_time_weeks: Some(52),
            guild: GuildTag::Vintage,
            release_at: Some(1_764_612_000_000),
            image_draft: Some(1_441_118_573_923_618_817),
            per_buyer: Some(99),
            raffle_hours: Some(72),
            min_age_days: Some(365),
            role_gate: Some(u64::MAX),
            min_tier: Some(Tier::Member),
        };
        let encoded = CustomId::DropForm(options.clone()).encode();
        assert!(encoded.len() <= MAX_LEN, "{encoded}");
        assert_eq!(CustomId::parse(&encoded), Ok(CustomId::DropForm(options)));
        let plain = DropOptions {
            kind: Kind::ReadyToShip,
            quantity: 1,
            shipping: Cents::ZERO,
            lead_time_weeks: None,
            guild: GuildTag::Builder,
            release_at: None,
            image_draft: None,
            per_buyer: None,
            raffle_hours: None,
            min_age_days: None,
            role_gate: None,
            min_tier: None,
        };
        assert_eq!(
            CustomId::parse(&CustomId::DropForm(plain.clone()).encode()),
            Ok(CustomId::DropForm(plain.clone()))
        );
        // A limit without a photo link, and a form opened before limits existed.
        let limited = DropOptions {
            per_buyer: Some(2),
            ..plain.clone()
        };
        assert_eq!(
            CustomId::DropForm(limited.clone()).encode(),
            "c5:v1:drop:r.1.0.0.builder.0.l2"
        );
        assert_eq!(
            CustomId::parse("c5:v1:drop:r.1.0.0.builder.0.l2"),
            Ok(CustomId::DropForm(limited))
        );
        assert_eq!(
            CustomId::parse("c5:v1:drop:r.1.0.0.builder.0.r24"),
            Ok(CustomId::DropForm(DropOptions {
                raffle_hours: Some(24),
                ..plain.clone()
            }))
        );
        assert_eq!(
            CustomId::parse("c5:v1:drop:r.1.0.0.builder.0.l1.r24.a30"),
            Ok(CustomId::DropForm(DropOptions {
                per_buyer: Some(1),
                raffle_hours: Some(24),
                min_age_days: Some(30),
                ..plain.clone()
            }))
        );
        let gated = DropOptions {
            raffle_hours: Some(24),
            role_gate: Some(1_300_000_000_000_000_777),
            min_tier: Some(Tier::Vip),
            ..plain.clone()
        };
        let encoded = CustomId::DropForm(gated.clone()).encode();
        assert_eq!(encoded, "c5:v1:drop:r.1.0.0.builder.0.r24.g9vkbjfeanz0p.tv");
        assert_eq!(CustomId::parse(&encoded), Ok(CustomId::DropForm(gated)));
        assert_eq!((base36(0), from_base36("0")), ("0".to_owned(), None));
        assert_eq!(from_base36(&base36(u64::MAX)), Some(u64::MAX));
        assert_eq!(from_base36("zzzzzzzzzzzzz"), None, "past u64");
        assert_eq!(
            CustomId::parse("c5:v1:drop:r.1.0.0.builder.0.77"),
            Ok(CustomId::DropForm(DropOptions {
                image_draft: Some(77),
                ..plain
            }))
        );
        for bad in [
            "c5:v1:drop:x.1.0.0.builder.0",
            "c5:v1:drop:r.0.0.0.builder.0",
            "c5:v1:drop:r.1.0.0.pastel.0",
            "c5:v1:drop:r.1.0.0.builder",
            "c5:v1:drop:r.1.0.0.builder.0.l0",
            "c5:v1:drop:r.1.0.0.builder.0.l100",
            "c5:v1:drop:r.1.0.0.builder.0.l2.77",
            "c5:v1:drop:r.1.0.0.builder.0.77.l2.l2",
            "c5:v1:drop:r.1.0.0.builder.0.r1.l2",
            "c5:v1:drop:r.1.0.0.builder.0.r73",
            "c5:v1:drop:r.1.0.0.builder.0.a366",
            "c5:v1:drop:r.1.0.0.builder.0.r1.tx",
            "c5:v1:drop:r.1.0.0.builder.0.r1.tv.g1",
            "c5:v1:drop:r.1.0.0.builder.0.r1.gA1",
            "c5:v1:drop:r.1.0.0.builder.0.r1.g",
            "c5:v1:drop:r.1.0.0.builder.0.x1",
            "c5:v1:drop:r.1.0.0.builder.0.r",
        ] {
            assert_eq!(CustomId::parse(bad), Err(CustomIdError::Unknown), "{bad}");
        }
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
