//! Every command C500 registers, defined once: `make register` sends exactly this to
//! Discord. Two registrations: `/c500`, global, for everyone (in servers and in DMs with the
//! bot); and `/c500-hq`, HQ's tools, registered only in the HQ guild and hidden there from
//! everyone but server admins until HQ grants more (`default_member_permissions` 0), so no
//! buyer ever sees them. The handlers still check ADMIN_USER_IDS.

use crate::domain::seller::GuildTag;
use serde_json::{json, Value};

pub const ROOT: &str = "c500";
/// HQ's command, in the HQ guild only.
pub const HQ: &str = "c500-hq";

// Option types, from Discord's ApplicationCommandOptionType.
const SUB_COMMAND: u8 = 1;
const SUB_COMMAND_GROUP: u8 = 2;
const STRING: u8 = 3;
const INTEGER: u8 = 4;
const USER: u8 = 6;
const CHANNEL: u8 = 7;
const ROLE: u8 = 8;

/// Text and announcement channels.
const POSTABLE_CHANNELS: [u8; 2] = [0, 5];

fn sub(name: &str, description: &str, options: Vec<Value>) -> Value {
    json!({ "type": SUB_COMMAND, "name": name, "description": description, "options": options })
}

fn group(name: &str, description: &str, subs: Vec<Value>) -> Value {
    json!({ "type": SUB_COMMAND_GROUP, "name": name, "description": description, "options": subs })
}

fn string(name: &str, description: &str, required: bool) -> Value {
    json!({ "type": STRING, "name": name, "description": description, "required": required })
}

fn with(mut option: Value, key: &str, value: Value) -> Value {
    if let Some(map) = option.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
    option
}

fn order_option(description: &str) -> Value {
    with(
        string("order", description, true),
        "autocomplete",
        json!(true),
    )
}

fn choices(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect(),
    )
}

/// One choice per guild: its badge shown, its name stored.
fn guild_choices() -> Value {
    Value::Array(
        GuildTag::ALL
            .iter()
            .map(|t| json!({ "name": t.badge(), "value": t.name() }))
            .collect(),
    )
}

/// The commands to register: a JSON array for `PUT /applications/{id}/commands`.
#[rustfmt::skip]
pub fn registration() -> Value {
    let user = |name: &str, description: &str, required: bool| json!({ "type": USER, "name": name, "description": description, "required": required });
    let channel = |name: &str, description: &str| {
        json!({ "type": CHANNEL, "name": name, "description": description,
                "required": false, "channel_types": POSTABLE_CHANNELS })
    };
    let role = |name: &str, description: &str| json!({ "type": ROLE, "name": name, "description": description, "required": false });
    let options = vec![
        sub("help", "What C500 can do, and where to start", vec![]),
        group("setup", "Get ready to sell", vec![
            sub("stripe", "Connect (or manage) the Stripe account your payouts go to", vec![]),
            sub("twitch", "Link your Twitch channel for live build proof", vec![]),
        ]),
        sub("drop", "Post a new drop (a form opens next)", vec![
            with(string("type", "Ready to ship, or built to order", true), "choices", choices(&[
                ("📦 Ready to ship (in stock)", "ready_to_ship"),
                ("✨ Commission (built to order, live build)", "commission"),
            ])),
            json!({ "type": INTEGER, "name": "quantity", "description": "How many you can sell (default 1)",
                    "required": false, "min_value": 1, "max_value": 999 }),
            with(string("shipping", "Flat shipping fee, e.g. 15 (default free)", false), "max_length", json!(10)),
            json!({ "type": INTEGER, "name": "lead_time_weeks", "description": "Commission: weeks until it ships",
                    "required": false, "min_value": 1, "max_value": 52 }),
            with(string("guild", "Which guild badge the drop carries", false), "choices", guild_choices()),
            with(string("release_at", "Release time in UTC, e.g. 2026-12-01 18:00 (VIPs get 10 min early)", false),
                 "max_length", json!(20)),
            with(string("image_url", "A https link to a photo (or upload one in the form)", false),
                 "max_length", json!(500)),
            json!({ "type": INTEGER, "name": "limit", "description": "Most units one buyer may take (default no limit)",
                    "required": false, "min_value": 1, "max_value": 99 }),
            json!({ "type": INTEGER, "name": "raffle_hours", "description": "Make it a raffle: hours it takes entries, then a fair draw",
                    "required": false, "min_value": 1, "max_value": 72 }),
            json!({ "type": INTEGER, "name": "min_account_days", "description": "Raffle: enter only with a Discord account this many days old",
                    "required": false, "min_value": 1, "max_value": 365 }),
            role("raffle_role", "Raffle: enter only with this role in this server"),
            with(string("raffle_tier", "Raffle: enter only at this C500 tier or higher", false), "choices", choices(&[
                ("Members and VIPs", "member"), ("VIPs only", "vip"),
            ])),
        ]),
        sub("inventory", "Your listings: stock, price, delist", vec![]),
        sub("dashboard", "Your shop at a glance: listings, orders, escrow", vec![]),
        sub("queue", "Orders waiting on you, oldest first", vec![]),
        group("live", "Go live on Twitch", vec![
            sub("order", "Prove a commission is on the workbench right now", vec![order_option("The order you are building")]),
            sub("orders", "Prove several commissions at once", vec![
                with(string("ids", "Order ids, comma separated (C5-XXXXXX, C5-YYYYYY)", true), "max_length", json!(200)),
            ]),
            sub("chat", "Post a cozy hangout announcement", vec![]),
            sub("drop", "Hype a drop you will list during the stream", vec![]),
        ]),
        sub("ship", "Mark an order shipped with tracking (releases escrow)", vec![
            order_option("The order you shipped"),
            with(string("carrier", "Who carries it", true), "choices", choices(&[
                ("USPS", "usps"), ("UPS", "ups"), ("FedEx", "fedex"), ("DHL", "dhl"), ("Other", "other"),
            ])),
            with(string("tracking", "The tracking number", true), "max_length", json!(64)),
        ]),
        sub("refund", "Refund an order", vec![
            order_option("The order to refund"),
            with(string("reason", "Why (the buyer sees this)", true), "max_length", json!(200)),
        ]),
        sub("orders", "Your orders across the whole Collective", vec![]),
        sub("profile", "Your C500 Citizen Passport", vec![user("user", "Whose passport (default: yours)", false)]),
        sub("vouch", "Vouch for a buyer you trust (builders only)", vec![user("user", "The buyer", true)]),
        sub("report", "Report an order to C500 HQ (in a DM with the bot)", vec![
            order_option("The order"),
            with(string("reason", "What happened", true), "max_length", json!(1000)),
        ]),
        group("config", "This server's C500 settings (Manage Server)", vec![
            sub("set", "Set channels and roles", vec![
                channel("shop_channel", "Where drops are posted"),
                channel("announcements_channel", "Where live and hangout posts go"),
                channel("orders_channel", "Where new orders are announced to the builder"),
                role("drop_role", "Pinged for live drops"),
                role("live_role", "Given to builders while they stream"),
            ]),
            sub("show", "Show the current settings", vec![]),
        ]),
    ];
    json!([{
        "name": ROOT,
        "type": 1,
        "description": "C500 Collective: cozy keyboard drops, escrow and builders",
        // Usable in servers (0) and in DMs with the bot (1: orders, report, profile, help);
        // installed to servers only (integration type 0, a guild install).
        "contexts": [0, 1],
        "integration_types": [0],
        "options": options,
    }])
}

/// HQ's commands: a JSON array for `PUT /applications/{id}/guilds/{HQ_GUILD_ID}/commands`.
#[rustfmt::skip]
pub fn hq_registration() -> Value {
    let user = |name: &str, description: &str, required: bool| json!({ "type": USER, "name": name, "description": description, "required": required });
    let options = vec![
        sub("approve", "Approve a Certified Builder", vec![
            user("user", "The builder", true),
            string("guilds", "Guild tags, comma separated (builder, artisan, modder, vintage, merch)", false),
        ]),
        sub("revoke", "Revoke a builder's certification", vec![user("user", "The builder", true)]),
        sub("ban", "Ban a user everywhere", vec![
            user("user", "Who", true),
            with(string("reason", "Why", true), "max_length", json!(200)),
        ]),
        sub("unban", "Lift a global ban", vec![user("user", "Who", true)]),
        sub("waive", "Waive live proof for a commission", vec![order_option("The order")]),
        sub("absorb", "C500 takes an order's loss (a builder's debt, or an open dispute)", vec![order_option("The order")]),
        sub("reconcile", "Compare the ledger with Stripe now (HQ gets every mismatch)", vec![]),
        sub("resolve", "Resolve a report", vec![
            string("report", "The report id", true),
            with(string("resolution", "What was decided", true), "max_length", json!(500)),
        ]),
    ];
    json!([{
        "name": HQ,
        "type": 1,
        "description": "C500 HQ tools (admins only)",
        // Only server admins see it until HQ grants a role in Server Settings → Integrations.
        // An integer in the request, as Discord's OpenAPI spec types it (Discord shows it
        // back as the string "0").
        "default_member_permissions": 0,
        // In the HQ server only: never in DMs.
        "contexts": [0],
        "integration_types": [0],
        "options": options,
    }])
}

/// Both registrations, as `make commands` prints them and `make register` sends them.
pub fn registrations() -> Value {
    json!({ "global": registration(), "hq_guild": hq_registration() })
}

/// Whether `/<command> <path…>` is a leaf subcommand of a registered tree.
pub fn exists(command: &str, path: &[&str]) -> bool {
    let tree = if command == HQ {
        hq_registration()
    } else {
        registration()
    };
    let mut options = tree.get(0).and_then(|c| c.get("options"));
    let mut found_leaf = false;
    for (depth, name) in path.iter().enumerate() {
        let next = options.and_then(Value::as_array).and_then(|opts| {
            opts.iter()
                .find(|o| o.get("name").and_then(Value::as_str) == Some(name))
        });
        let Some(next) = next else { return false };
        let kind = next.get("type").and_then(Value::as_u64);
        found_leaf = kind == Some(u64::from(SUB_COMMAND)) && depth + 1 == path.len();
        if kind != Some(u64::from(SUB_COMMAND_GROUP)) && !found_leaf {
            return false;
        }
        options = next.get("options");
    }
    found_leaf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(value: &Value, f: &mut dyn FnMut(&Value)) {
        f(value);
        if let Some(opts) = value.get("options").and_then(Value::as_array) {
            for o in opts {
                walk(o, f);
            }
        }
    }

    #[test]
    fn respects_discords_limits() {
        for tree in [registration(), hq_registration()] {
            respects_limits(&tree[0]);
        }
    }

    fn respects_limits(root: &Value) {
        walk(root, &mut |o| {
            let name = o["name"].as_str().unwrap();
            assert!((1..=32).contains(&name.chars().count()), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-' || c.is_ascii_digit()),
                "{name}"
            );
            let description = o["description"].as_str().unwrap();
            assert!(
                (1..=100).contains(&description.chars().count()),
                "{name}: {description}"
            );
            if let Some(opts) = o.get("options").and_then(Value::as_array) {
                assert!(opts.len() <= 25, "{name}");
                // Required options come first.
                let first_optional = opts.iter().position(|x| x["required"] == json!(false));
                if let Some(i) = first_optional {
                    assert!(
                        opts[i..].iter().all(|x| x["required"] != json!(true)),
                        "{name}"
                    );
                }
            }
            if let Some(ch) = o.get("choices").and_then(Value::as_array) {
                assert!(ch.len() <= 25);
            }
        });
    }

    #[test]
    fn knows_its_leaves() {
        assert!(exists(ROOT, &["help"]));
        assert!(exists(ROOT, &["setup", "stripe"]));
        assert!(exists(HQ, &["approve"]));
        assert!(
            !exists(ROOT, &["admin", "approve"]),
            "HQ's tools are not in /c500"
        );
        assert!(!exists(ROOT, &["setup"]));
        assert!(!exists(ROOT, &["help", "me"]));
        assert!(!exists(ROOT, &["nope"]));
        assert!(!exists(ROOT, &[]));
    }

    #[test]
    fn hqs_command_is_hidden_and_guild_only() {
        let hq = &hq_registration()[0];
        assert_eq!(hq["default_member_permissions"], json!(0));
        assert_eq!(hq["contexts"], json!([0]));
        let global = &registration()[0];
        assert!(global.get("default_member_permissions").is_none());
        assert_eq!(global["contexts"], json!([0, 1]));
    }
}
