//! A drop as a builder describes it (slash options, then the modal), parsed into a draft
//! that is known to be valid, or the first field that is not, named for the builder.

use super::money::{parse_price, parse_shipping, Cents};
use super::seller::GuildTag;
use super::trust::Tier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    ReadyToShip,
    Commission,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::ReadyToShip => "ready_to_ship",
            Kind::Commission => "commission",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "ready_to_ship" => Some(Kind::ReadyToShip),
            "commission" => Some(Kind::Commission),
            _ => None,
        }
    }
}

/// Whether a drop is on sale, as pages and embeds show it. `Paused` is not stored: it is a
/// live drop whose seller may not sell now (store::buying::SELLER_CAN_SELL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    Live,
    Delisted,
    Paused,
}

/// What the slash command fixed before the form opened (carried in the modal's custom_id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropOptions {
    pub kind: Kind,
    pub quantity: u16,
    pub shipping: Cents,
    pub lead_time_weeks: Option<u8>,
    pub guild: GuildTag,
    /// Unix ms; None: released at once.
    pub release_at: Option<u64>,
    /// The slash command's id when it named an image link: the link waits in KV for the
    /// form (a custom_id has no room for it).
    pub image_draft: Option<u64>,
    /// Most units one buyer may take; None: no limit.
    pub per_buyer: Option<u8>,
    /// A raffle: hours it takes entries (domain::raffle), and the accounts it admits (at
    /// least this many days old). None: sold first come.
    pub raffle_hours: Option<u8>,
    pub min_age_days: Option<u16>,
    /// A raffle's other gates: a role of the drop's server (its id), and the buyer's tier at
    /// least (Member or VIP).
    pub role_gate: Option<u64>,
    pub min_tier: Option<Tier>,
}

/// A field the builder got wrong, and how to put it right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

pub const MAX_QUANTITY: i64 = 999;
/// How far ahead a release may be scheduled.
const MAX_RELEASE_AHEAD_MS: u64 = 90 * 24 * 3600 * 1000;

impl DropOptions {
    /// Reads the slash options; `now_ms` bounds the release time.
    pub fn parse(
        kind: Option<&str>,
        quantity: Option<i64>,
        shipping: Option<&str>,
        lead_time_weeks: Option<i64>,
        guild: Option<&str>,
        release_at: Option<&str>,
        now_ms: u64,
    ) -> Result<DropOptions, FieldError> {
        let kind = Kind::parse(kind.unwrap_or_default())
            .ok_or_else(|| err("type", "pick Ready to ship or Commission"))?;
        let quantity = quantity.unwrap_or(1);
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(err(
                "quantity",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        let shipping = match shipping {
            None => Cents::ZERO,
            Some(s) => parse_shipping(s).map_err(|e| err("shipping", e.to_string()))?,
        };
        let lead_time_weeks = match (kind, lead_time_weeks) {
            (Kind::ReadyToShip, Some(_)) => {
                return Err(err(
                    "lead_time_weeks",
                    "is only for commissions: a ready-to-ship drop ships now",
                ))
            }
            (_, Some(w)) if !(1..=52).contains(&w) => {
                return Err(err("lead_time_weeks", "must be 1 to 52 weeks"))
            }
            (_, w) => w.and_then(|w| u8::try_from(w).ok()),
        };
        let guild = match guild {
            None => GuildTag::Builder,
            Some(g) => {
                GuildTag::parse(g).ok_or_else(|| err("guild", "pick one of the guilds offered"))?
            }
        };
        let release_at = match release_at {
            None => None,
            Some(text) => {
                let at = parse_utc(text).ok_or_else(|| {
                    err(
                        "release_at",
                        "write it as YYYY-MM-DD HH:MM (UTC), e.g. 2026-12-01 18:00",
                    )
                })?;
                if at <= now_ms {
                    return Err(err("release_at", "must be in the future"));
                }
                if at > now_ms + MAX_RELEASE_AHEAD_MS {
                    return Err(err("release_at", "can be at most 90 days ahead"));
                }
                Some(at)
            }
        };
        let quantity = u16::try_from(quantity).map_err(|_| err("quantity", "is too large"))?;
        Ok(DropOptions {
            kind,
            quantity,
            shipping,
            lead_time_weeks,
            guild,
            release_at,
            image_draft: None,
            per_buyer: None,
            raffle_hours: None,
            min_age_days: None,
            role_gate: None,
            min_tier: None,
        })
    }

    /// Most units one buyer may take: the `limit` given, else one for a raffle, else no limit.
    pub fn per_buyer_limit(&self) -> Option<u8> {
        self.per_buyer
            .or_else(|| self.raffle_hours.is_some().then_some(1))
    }

    /// Adds the raffle options: `raffle_hours` makes the drop a raffle open that long (1 to
    /// 72); `min_account_days` (1 to 365, raffles only) admits older accounts only. A raffle
    /// allows one unit per buyer unless `limit` said otherwise ([`Self::per_buyer_limit`]).
    pub fn with_raffle(
        self,
        hours: Option<i64>,
        min_age_days: Option<i64>,
    ) -> Result<DropOptions, FieldError> {
        let Some(hours) = hours else {
            return match min_age_days {
                Some(_) => Err(err(
                    "min_account_days",
                    "is for raffles: set raffle_hours too",
                )),
                None => Ok(self),
            };
        };
        if !(1..=super::raffle::MAX_HOURS).contains(&hours) {
            return Err(err(
                "raffle_hours",
                format!("must be 1 to {} hours", super::raffle::MAX_HOURS),
            ));
        }
        let min_age_days = match min_age_days {
            Some(d) if !(1..=super::raffle::MAX_MIN_AGE_DAYS).contains(&d) => {
                return Err(err(
                    "min_account_days",
                    format!("must be 1 to {} days", super::raffle::MAX_MIN_AGE_DAYS),
                ))
            }
            d => d.and_then(|d| u16::try_from(d).ok()),
        };
        Ok(DropOptions {
            raffle_hours: u8::try_from(hours).ok(),
            min_age_days,
            ..self
        })
    }

    /// Adds a raffle's gates after [`Self::with_raffle`]: `raffle_role` (a role id of the
    /// server) admits its members only, `raffle_tier` (`member` or `vip`) that tier and up.
    /// Both are for raffles: a first-come drop has no entries to gate.
    pub fn with_gates(
        self,
        role: Option<&str>,
        tier: Option<&str>,
    ) -> Result<DropOptions, FieldError> {
        let for_raffles = |field| err(field, "is for raffles: set raffle_hours too");
        let role_gate = match role {
            None => None,
            Some(_) if self.raffle_hours.is_none() => return Err(for_raffles("raffle_role")),
            Some(id) => Some(
                id.parse::<u64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| err("raffle_role", "must be a role of this server"))?,
            ),
        };
        let min_tier = match tier {
            None => None,
            Some(_) if self.raffle_hours.is_none() => return Err(for_raffles("raffle_tier")),
            Some(name) => Some(
                Tier::parse(name)
                    .filter(|t| *t != Tier::Guest)
                    .ok_or_else(|| err("raffle_tier", "must be member or vip"))?,
            ),
        };
        Ok(DropOptions {
            role_gate,
            min_tier,
            ..self
        })
    }

    /// Adds the `limit` option: units one buyer may take, 1 up to the drop's quantity.
    pub fn with_per_buyer(self, limit: Option<i64>) -> Result<DropOptions, FieldError> {
        let Some(limit) = limit else {
            return Ok(self);
        };
        if !(1..=MAX_PER_BUYER).contains(&limit) {
            return Err(err(
                "limit",
                format!("must be between 1 and {MAX_PER_BUYER} per buyer"),
            ));
        }
        if limit > i64::from(self.quantity) {
            return Err(err(
                "limit",
                "can't be more than the quantity: leave it out for no limit",
            ));
        }
        Ok(DropOptions {
            per_buyer: u8::try_from(limit).ok(),
            ..self
        })
    }
}

/// The largest per-buyer limit a drop may set (larger is no limit: leave the option out).
pub const MAX_PER_BUYER: i64 = 99;

/// `YYYY-MM-DD HH:MM` (or with a `T`) in UTC → unix ms.
pub fn parse_utc(text: &str) -> Option<u64> {
    let text = text.trim();
    let (date, time) = text.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(str::parse::<u32>);
    let (year, month, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.trim_end_matches('Z').split(':').map(str::parse::<u32>);
    let (hour, minute) = (t.next()?.ok()?, t.next()?.ok()?);
    if d.next().is_some() || t.next().is_some() || !(2000..=9999).contains(&year) {
        return None;
    }
    if !(1..=12).contains(&month)
        || hour > 23
        || minute > 59
        || day < 1
        || day > days_in_month(year, month)
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    u64::try_from(days * 86_400 + i64::from(hour * 3600 + minute * 60))
        .ok()
        .map(|s| s * 1000)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The form's fields, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropForm {
    pub title: String,
    pub price: Cents,
    pub description: String,
    pub image_url: Option<String>,
    pub specs: Option<String>,
}

impl DropForm {
    pub fn parse(
        title: &str,
        price: &str,
        description: &str,
        image_url: &str,
        specs: &str,
    ) -> Result<DropForm, FieldError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(err("Item Title", "is empty"));
        }
        if title.chars().count() > 100 {
            return Err(err("Item Title", "can be at most 100 characters"));
        }
        let price = parse_price(price).map_err(|e| err("Price", e.to_string()))?;
        let description = description.trim();
        if description.is_empty() {
            return Err(err("Description", "is empty"));
        }
        if description.chars().count() > 1000 {
            return Err(err("Description", "can be at most 1000 characters"));
        }
        let image_url = parse_image_url(image_url, "Image URL")?;
        let specs = specs.trim();
        if specs.chars().count() > 1000 {
            return Err(err("Specs", "can be at most 1000 characters"));
        }
        let specs = (!specs.is_empty()).then(|| specs.to_owned());
        Ok(DropForm {
            title: title.to_owned(),
            price,
            description: description.to_owned(),
            image_url,
            specs,
        })
    }
}

/// An optional picture link: https only, one token, at most 500 characters.
pub fn parse_image_url(input: &str, field: &'static str) -> Result<Option<String>, FieldError> {
    let url = input.trim();
    if url.is_empty() {
        return Ok(None);
    }
    if !url.starts_with("https://")
        || url.len() > 500
        || url.len() <= "https://".len()
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(err(field, "must be a direct https:// link to the picture"));
    }
    Ok(Some(url.to_owned()))
}

/// The picture formats a drop photo may be (what every browser and Discord show inline).
pub const PHOTO_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/gif"];
/// The largest photo kept (KV values may be 25 MiB; a drop photo needs far less).
pub const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;

/// Checks an uploaded photo's declared type and size before it is fetched.
pub fn check_photo(content_type: Option<&str>, size: u64) -> Result<&'static str, FieldError> {
    let declared = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some(kind) = PHOTO_TYPES.iter().find(|t| **t == declared) else {
        return Err(err("Photo", "must be a PNG, JPEG, WebP or GIF picture"));
    };
    if size > MAX_PHOTO_BYTES {
        return Err(err("Photo", "can be at most 10 MB"));
    }
    Ok(kind)
}

/// Where Discord keeps uploaded attachments. Only these are fetched: an attachment's URL
/// arrives inside the (signed) interaction, but C500 must never be made to fetch, and then
/// serve as its own, whatever a URL points at.
pub const DISCORD_CDN: [&str; 2] = [
    "https://cdn.discordapp.com/",
    "https://media.discordapp.net/",
];

/// Whether `url` is on Discord's CDN, or under `also` (`DISCORD_CDN_BASE`: the stand-in's
/// CDN in tests and `make dev`). A prefix that ends in `/` pins the host exactly.
pub fn on_discord_cdn(url: &str, also: Option<&str>) -> bool {
    let also = also.map(|base| format!("{}/", base.trim_end_matches('/')));
    DISCORD_CDN
        .iter()
        .copied()
        .chain(also.as_deref())
        .any(|prefix| url.starts_with(prefix))
}

/// Whether a downloaded photo's `Content-Type` is the picture type its upload declared.
pub fn downloaded_type_matches(content_type: Option<&str>, declared: &str) -> bool {
    content_type
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(declared))
}

/// A builder's change from `/c500 inventory`: a new price and the units now available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryEdit {
    pub price: Cents,
    pub stock: u16,
    /// A new guild badge, when one was picked.
    pub guild: Option<GuildTag>,
}

impl InventoryEdit {
    pub fn parse(
        price: &str,
        stock: &str,
        guild: Option<&str>,
    ) -> Result<InventoryEdit, FieldError> {
        let price =
            crate::domain::money::parse_price(price).map_err(|e| err("Price", e.to_string()))?;
        let stock = stock
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=MAX_QUANTITY).contains(n))
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| {
                err(
                    "Available",
                    format!("must be a whole number from 0 to {MAX_QUANTITY}"),
                )
            })?;
        let guild = match guild {
            None | Some("") => None,
            Some(g) => Some(
                GuildTag::parse(g)
                    .ok_or_else(|| err("Guild badge", "pick one of the guilds offered"))?,
            ),
        };
        Ok(InventoryEdit {
            price,
            stock,
            guild,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_fetched_only_from_discords_cdn() {
        for url in [
            "https://cdn.discordapp.com/attachments/1/2/board.png",
            "https://media.discordapp.net/attachments/1/2/board.png?ex=1",
        ] {
            assert!(on_discord_cdn(url, None), "{url}");
        }
        for url in [
            "http://cdn.discordapp.com/attachments/1/2/board.png",
            "https://cdn.discordapp.com.evil.example/board.png",
            "https://cdn.discordapp.com@evil.example/board.png",
            "https://evil.example/https://cdn.discordapp.com/board.png",
            "https://cdn.discordapp.com",
            "",
        ] {
            assert!(!on_discord_cdn(url, None), "{url}");
        }
        let standin = Some("http://127.0.0.1:8790/_standin/cdn");
        assert!(on_discord_cdn(
            "http://127.0.0.1:8790/_standin/cdn/a/b.png",
            standin
        ));
        assert!(!on_discord_cdn(
            "http://127.0.0.1:8790/_standin/cdnx/b.png",
            standin
        ));
        assert!(!on_discord_cdn(
            "http://127.0.0.1:8790/other/b.png",
            standin
        ));
    }

    #[test]
    fn a_download_must_be_the_declared_picture_type() {
        assert!(downloaded_type_matches(Some("image/png"), "image/png"));
        assert!(downloaded_type_matches(
            Some("IMAGE/PNG; charset=binary"),
            "image/png"
        ));
        assert!(!downloaded_type_matches(Some("text/html"), "image/png"));
        assert!(!downloaded_type_matches(Some("image/jpeg"), "image/png"));
        assert!(!downloaded_type_matches(None, "image/png"));
    }

    #[test]
    fn photos_must_be_pictures_of_sane_size() {
        assert_eq!(check_photo(Some("image/png"), 1000), Ok("image/png"));
        assert_eq!(
            check_photo(Some("IMAGE/JPEG; charset=x"), 1000),
            Ok("image/jpeg")
        );
        for (ct, size) in [
            (Some("application/pdf"), 10),
            (Some("image/svg+xml"), 10),
            (None, 10),
            (Some("image/png"), MAX_PHOTO_BYTES + 1),
        ] {
            assert_eq!(check_photo(ct, size).map_err(|e| e.field), Err("Photo"));
        }
    }

    #[test]
    fn inventory_edits_parse_price_and_stock() {
        assert_eq!(
            InventoryEdit::parse("$1,299.99", " 3 ", Some("artisan")),
            Ok(InventoryEdit {
                price: Cents::new(129_999),
                stock: 3,
                guild: Some(GuildTag::Artisan)
            })
        );
        assert_eq!(
            InventoryEdit::parse("450", "0", None).map(|e| (e.stock, e.guild)),
            Ok((0, None))
        );
        assert_eq!(
            InventoryEdit::parse("450", "1", Some("pastel")).map_err(|e| e.field),
            Err("Guild badge")
        );
        for (price, stock, field) in [
            ("abc", "1", "Price"),
            ("0.49", "1", "Price"),
            ("450", "-1", "Available"),
            ("450", "1000", "Available"),
            ("450", "2.5", "Available"),
            ("450", "", "Available"),
        ] {
            assert_eq!(
                InventoryEdit::parse(price, stock, None).map_err(|e| e.field),
                Err(field)
            );
        }
    }

    const NOW: u64 = 1_764_000_000_000; // 2025-11-24T16:00:00Z

    fn form(title: &str, price: &str, image: &str) -> Result<DropForm, FieldError> {
        DropForm::parse(title, price, "A lovely board", image, "")
    }

    #[test]
    fn the_modal_validation_matrix() {
        for (price, expect) in [
            ("abc", Err("Price")),
            ("-5", Err("Price")),
            ("0.49", Err("Price")),
            ("10000.01", Err("Price")),
            ("1,299.99", Ok(129_999)),
            ("450", Ok(45_000)),
        ] {
            let got = form("Board", price, "")
                .map(|f| f.price.get())
                .map_err(|e| e.field);
            assert_eq!(got, expect, "{price}");
        }
        assert_eq!(
            form("Board", "450", "http://i.imgur.com/x.jpg")
                .unwrap_err()
                .field,
            "Image URL"
        );
        assert_eq!(
            form("Board", "450", "https://i.imgur.com/a b.jpg")
                .unwrap_err()
                .field,
            "Image URL"
        );
        assert_eq!(
            form("Board", "450", "https://").unwrap_err().field,
            "Image URL"
        );
        assert_eq!(
            form(&"x".repeat(201), "450", "").unwrap_err().field,
            "Item Title"
        );
        assert_eq!(
            form(&"é".repeat(100), "450", "").map(|f| f.title.chars().count()),
            Ok(100)
        );
        assert_eq!(form("   ", "450", "").unwrap_err().field, "Item Title");
        assert_eq!(
            DropForm::parse("Board", "450", " ", "", "")
                .unwrap_err()
                .field,
            "Description"
        );
        assert_eq!(
            DropForm::parse("Board", "", "d", "", "").unwrap_err().field,
            "Price"
        );
        let ok = DropForm::parse(
            " Snow White TKL ",
            "$450",
            " Lubed ",
            "https://i.imgur.com/x.jpg",
            " Gateron Ink ",
        )
        .unwrap();
        assert_eq!(ok.title, "Snow White TKL");
        assert_eq!(ok.specs.as_deref(), Some("Gateron Ink"));
    }

    #[test]
    fn a_raffle_takes_entries_for_hours_and_one_unit_each_by_default() {
        let two = DropOptions::parse(Some("ready_to_ship"), Some(2), None, None, None, None, NOW)
            .unwrap();
        let raffle = two.clone().with_raffle(Some(24), Some(30)).unwrap();
        assert_eq!(
            (
                raffle.raffle_hours,
                raffle.min_age_days,
                raffle.per_buyer_limit()
            ),
            (Some(24), Some(30), Some(1))
        );
        let limited = two.clone().with_per_buyer(Some(2)).unwrap();
        assert_eq!(
            limited
                .with_raffle(Some(1), None)
                .unwrap()
                .per_buyer_limit(),
            Some(2)
        );
        assert_eq!(
            two.per_buyer_limit(),
            None,
            "no limit unless a raffle or given"
        );
        assert_eq!(two.clone().with_raffle(None, None).unwrap(), two);
        for (hours, age, field) in [
            (Some(0), None, "raffle_hours"),
            (Some(73), None, "raffle_hours"),
            (Some(1), Some(0), "min_account_days"),
            (Some(1), Some(366), "min_account_days"),
            (None, Some(7), "min_account_days"),
        ] {
            assert_eq!(
                two.clone().with_raffle(hours, age).unwrap_err().field,
                field
            );
        }
    }

    #[test]
    fn a_raffle_may_be_gated_by_role_and_tier() {
        let two = DropOptions::parse(Some("ready_to_ship"), Some(2), None, None, None, None, NOW)
            .unwrap();
        let raffle = two.clone().with_raffle(Some(24), None).unwrap();
        let gated = raffle
            .clone()
            .with_gates(Some("1300000000000000777"), Some("vip"))
            .unwrap();
        assert_eq!(
            (gated.role_gate, gated.min_tier),
            (Some(1_300_000_000_000_000_777), Some(Tier::Vip))
        );
        assert_eq!(raffle.clone().with_gates(None, None).unwrap(), raffle);
        assert_eq!(
            raffle
                .clone()
                .with_gates(None, Some("member"))
                .unwrap()
                .min_tier,
            Some(Tier::Member)
        );
        for (base, role, tier, field) in [
            (&two, Some("1"), None, "raffle_role"),
            (&two, None, Some("vip"), "raffle_tier"),
            (&raffle, Some("@mods"), None, "raffle_role"),
            (&raffle, Some("0"), None, "raffle_role"),
            (&raffle, None, Some("guest"), "raffle_tier"),
            (&raffle, None, Some("gold"), "raffle_tier"),
        ] {
            assert_eq!(
                base.clone().with_gates(role, tier).unwrap_err().field,
                field,
                "{role:?} {tier:?}"
            );
        }
    }

    #[test]
    fn the_per_buyer_limit_fits_the_quantity() {
        let three = DropOptions::parse(Some("ready_to_ship"), Some(3), None, None, None, None, NOW)
            .unwrap();
        assert_eq!(three.clone().with_per_buyer(None).unwrap().per_buyer, None);
        assert_eq!(
            three.clone().with_per_buyer(Some(1)).unwrap().per_buyer,
            Some(1)
        );
        assert_eq!(
            three.clone().with_per_buyer(Some(3)).unwrap().per_buyer,
            Some(3)
        );
        for bad in [0, -1, 4, 100] {
            assert_eq!(
                three.clone().with_per_buyer(Some(bad)).unwrap_err().field,
                "limit"
            );
        }
    }

    #[test]
    fn slash_options() {
        let rts =
            DropOptions::parse(Some("ready_to_ship"), None, None, None, None, None, NOW).unwrap();
        assert_eq!(
            (rts.quantity, rts.shipping, rts.guild, rts.release_at),
            (1, Cents::ZERO, GuildTag::Builder, None)
        );
        let field = |r: Result<DropOptions, FieldError>| r.unwrap_err().field;
        assert_eq!(
            field(DropOptions::parse(
                Some("auction"),
                None,
                None,
                None,
                None,
                None,
                NOW
            )),
            "type"
        );
        assert_eq!(
            field(DropOptions::parse(
                Some("ready_to_ship"),
                Some(0),
                None,
                None,
                None,
                None,
                NOW
            )),
            "quantity"
        );
        assert_eq!(
            field(DropOptions::parse(
                Some("ready_to_ship"),
                None,
                Some("abc"),
                None,
                None,
                None,
                NOW
            )),
            "shipping"
        );
        assert_eq!(
            field(DropOptions::parse(
                Some("ready_to_ship"),
                None,
                None,
                Some(4),
                None,
                None,
                NOW
            )),
            "lead_time_weeks"
        );
        assert_eq!(
            field(DropOptions::parse(
                Some("commission"),
                None,
                None,
                Some(60),
                None,
                None,
                NOW
            )),
            "lead_time_weeks"
        );
        assert_eq!(
            field(DropOptions::parse(
                Some("commission"),
                None,
                None,
                None,
                None,
                Some("tomorrow"),
                NOW
            )),
            "release_at"
        );
        assert_eq!(
            field(DropOptions::parse(
                Some("commission"),
                None,
                None,
                None,
                None,
                Some("2025-11-24 15:00"),
                NOW
            )),
            "release_at"
        );
        let c = DropOptions::parse(
            Some("commission"),
            Some(3),
            Some("25"),
            Some(6),
            Some("modder"),
            Some("2025-12-01 18:00"),
            NOW,
        )
        .unwrap();
        assert_eq!(c.release_at, Some(1_764_612_000_000));
        assert_eq!(
            (c.quantity, c.shipping, c.lead_time_weeks, c.guild),
            (3, Cents::new(2_500), Some(6), GuildTag::Modder)
        );
    }

    #[test]
    fn utc_times() {
        assert_eq!(parse_utc("2000-01-01 00:00"), Some(946_684_800_000));
        assert_eq!(parse_utc("1999-12-31 23:59"), None);
        assert_eq!(parse_utc("2024-02-29T12:30Z"), Some(1_709_209_800_000));
        assert_eq!(parse_utc("2023-02-29 12:30"), None);
        assert_eq!(parse_utc("2026-13-01 00:00"), None);
        assert_eq!(parse_utc("2026-12-01 24:00"), None);
        assert_eq!(parse_utc("2026-12-01"), None);
    }
}
