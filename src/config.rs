//! Reads the Worker's bindings, vars and secrets (see the brief's configuration contract).
//! Only what a route needs is read: each read is a call across the JS boundary.

use crate::discord::signature::PublicKey;
use std::cell::RefCell;
use worker::{D1Database, Env};

/// Something the deployment is missing or has wrong: ours, never the caller's fault. It
/// names the setting (never its value), in the log and in what users are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable, secret or binding, as the README names it.
    pub setting: &'static str,
    /// `None`: not set at all; otherwise what is wrong with it.
    pub malformed: Option<&'static str>,
}

impl ConfigError {
    pub const fn missing(setting: &'static str) -> ConfigError {
        ConfigError {
            setting,
            malformed: None,
        }
    }

    pub const fn malformed(setting: &'static str, why: &'static str) -> ConfigError {
        ConfigError {
            setting,
            malformed: Some(why),
        }
    }

    /// What a user is told: the deployment is unfinished, and which setting it lacks.
    pub fn user_message(&self) -> String {
        match self.malformed {
            None => format!(
                "C500 isn't fully set up yet: the maintainer must set {}.",
                self.setting
            ),
            Some(why) => format!(
                "C500 isn't fully set up yet: the maintainer must fix {} ({why}).",
                self.setting
            ),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.malformed {
            None => write!(f, "configuration: {} is not set", self.setting),
            Some(why) => write!(f, "configuration: {} is malformed: {why}", self.setting),
        }
    }
}

thread_local! {
    /// The parsed Discord key, read once per isolate: a secret cannot change under a
    /// running isolate (changing one deploys a new version), and the read and the point
    /// decompression would otherwise be paid on every interaction.
    static DISCORD_KEY: RefCell<Option<PublicKey>> = const { RefCell::new(None) };
}

pub fn discord_public_key(env: &Env) -> Result<PublicKey, ConfigError> {
    if let Some(key) = DISCORD_KEY.with(|cell| cell.borrow().clone()) {
        return Ok(key);
    }
    let hex = env
        .var("DISCORD_PUBLIC_KEY")
        .map(|v| v.to_string())
        .map_err(|_| ConfigError::missing("DISCORD_PUBLIC_KEY"))?;
    let key = PublicKey::from_hex(&hex).ok_or(ConfigError::malformed(
        "DISCORD_PUBLIC_KEY",
        "not a 32-byte hex Ed25519 key",
    ))?;
    DISCORD_KEY.with(|cell| *cell.borrow_mut() = Some(key.clone()));
    Ok(key)
}

/// The secrets and vars the product cannot work without (README, Configuration); `make
/// doctor` (dev/doctor.mjs) checks the same list before a deploy, and a test keeps the two
/// equal.
pub const REQUIRED: [&str; 11] = [
    "DISCORD_PUBLIC_KEY",
    "DISCORD_APPLICATION_ID",
    "DISCORD_BOT_TOKEN",
    "DISCORD_CLIENT_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "TWITCH_CLIENT_ID",
    "TWITCH_CLIENT_SECRET",
    "TWITCH_EVENTSUB_SECRET",
    "LINK_SIGNING_SECRET",
    "PUBLIC_BASE_URL",
];

/// Everything missing or malformed in this deployment, by name (never a value): what
/// `/healthz` reports. Reads every setting, so it is for health checks, not hot paths.
pub fn problems(env: &Env) -> Vec<ConfigError> {
    let value = |name: &str| {
        env.secret(name)
            .map(|s| s.to_string())
            .or_else(|_| env.var(name).map(|v| v.to_string()))
            .ok()
            .filter(|v| !v.trim().is_empty())
    };
    let mut found = Vec::new();
    for name in REQUIRED {
        let Some(v) = value(name) else {
            found.push(ConfigError::missing(name));
            continue;
        };
        let malformed = match name {
            "DISCORD_PUBLIC_KEY" if PublicKey::from_hex(&v).is_none() => {
                Some("not a 32-byte hex Ed25519 key")
            }
            "DISCORD_APPLICATION_ID" if !v.trim().bytes().all(|b| b.is_ascii_digit()) => {
                Some("not a Discord id")
            }
            "STRIPE_SECRET_KEY" if !(v.starts_with("sk_") || v.starts_with("rk_")) => {
                Some("not a Stripe secret key (sk_… or rk_…)")
            }
            "STRIPE_WEBHOOK_SECRET" if !v.split(',').all(|s| s.trim().starts_with("whsec_")) => {
                Some("not Stripe signing secrets (whsec_…, comma-separated)")
            }
            "PUBLIC_BASE_URL" if !(v.starts_with("https://") || v.starts_with("http://")) => {
                Some("not an http(s) URL")
            }
            _ => None,
        };
        if let Some(why) = malformed {
            found.push(ConfigError::malformed(name, why));
        }
    }
    if env.d1("DB").is_err() {
        found.push(ConfigError::missing("DB"));
    }
    if env.kv("KV").is_err() {
        found.push(ConfigError::missing("KV"));
    }
    if env.rate_limiter(CLICKS).is_err() {
        found.push(ConfigError::missing(CLICKS));
    }
    if env.durable_object(CHECKOUT_PACE).is_err() {
        found.push(ConfigError::missing(CHECKOUT_PACE));
    }
    if let Ok(rate) = env.var(CHECKOUTS_PER_SECOND) {
        if parse_checkout_rate(&rate.to_string()).is_none() {
            found.push(ConfigError::malformed(
                CHECKOUTS_PER_SECOND,
                "not a whole number from 1 to 100",
            ));
        }
    }
    found
}

/// The Durable Object that hands out Checkout turns to every isolate (src/pace.rs;
/// wrangler.toml `[[durable_objects.bindings]]`).
pub const CHECKOUT_PACE: &str = "CHECKOUT_PACE";

/// Checkout Sessions C500 starts per second at most, over all isolates: a share of the 25 a
/// second Stripe allows one endpoint by default (docs/scale.md). Optional; default
/// [`DEFAULT_CHECKOUTS_PER_SECOND`].
pub const CHECKOUTS_PER_SECOND: &str = "CHECKOUTS_PER_SECOND";

/// 23 of Stripe's 25: the 2 left absorb the bunching of requests released on time but sent
/// late by a busy isolate (measured in the hot-drop bench: 16 Stripe 429s at 22/s, 24 at 23,
/// 40 at 24, each answered by another turn), and links reach 300 buyers in 1.13x Stripe's
/// floor (1.26x at 20). docs/scale.md.
pub const DEFAULT_CHECKOUTS_PER_SECOND: u32 = 23;

/// The configured Checkout pace, or the default when unset or malformed (`/healthz` names a
/// malformed one).
pub fn checkouts_per_second(env: &Env) -> u32 {
    env.var(CHECKOUTS_PER_SECOND)
        .ok()
        .and_then(|v| parse_checkout_rate(&v.to_string()))
        .unwrap_or(DEFAULT_CHECKOUTS_PER_SECOND)
}

fn parse_checkout_rate(value: &str) -> Option<u32> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|rate| (1..=100).contains(rate))
}

/// The Rate Limiting binding that keeps button storms off D1 (clients/clicks.rs;
/// wrangler.toml `[[ratelimits]]`).
pub const CLICKS: &str = "CLICKS";

/// A setting that may be a var or a secret (wrangler.toml or `wrangler secret put`), not empty.
pub fn setting(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    env.var(name)
        .map(|v| v.to_string())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| secret(env, name).ok())
        .map(|v| v.trim().to_owned())
        .ok_or(ConfigError::missing(name))
}

pub fn secret(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    env.secret(name)
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or(ConfigError::missing(name))
}

pub fn db(env: &Env) -> Result<D1Database, ConfigError> {
    env.d1("DB")
        .map_err(|_| ConfigError::missing("the D1 binding DB"))
}

/// `PUBLIC_BASE_URL` without a trailing slash, for links in embeds and redirects.
pub fn public_base_url(env: &Env) -> String {
    env.var("PUBLIC_BASE_URL")
        .map(|v| v.to_string().trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| "https://c500.store".to_owned())
}

/// A full URL for `url`, which may be a path on this site (an uploaded photo).
pub fn absolute(base: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        url.to_owned()
    }
}

/// Whether an interaction from `guild` may use HQ's command: from the HQ guild, when
/// HQ_GUILD_ID is set (where `make register` put the command); the admin check follows.
pub fn in_hq_guild(env: &Env, guild: Option<&str>) -> bool {
    match env.var("HQ_GUILD_ID").map(|v| v.to_string()) {
        Ok(hq) if !hq.trim().is_empty() => guild == Some(hq.trim()),
        _ => true,
    }
}

/// HQ admins: `ADMIN_USER_IDS`, comma separated.
pub fn is_admin(env: &Env, user_id: &str) -> bool {
    env.var("ADMIN_USER_IDS")
        .map(|v| v.to_string())
        .is_ok_and(|ids| {
            ids.split(',')
                .any(|id| id.trim() == user_id && !user_id.is_empty())
        })
}

/// Whether C500 runs on a live Stripe key (`sk_live_…` or a restricted `rk_live_…`).
pub fn stripe_live(env: &Env) -> bool {
    env.secret("STRIPE_SECRET_KEY")
        .map(|k| {
            let k = k.to_string();
            k.starts_with("sk_live_") || k.starts_with("rk_live_")
        })
        .unwrap_or(false)
}

/// Tests only: `ORDER_ID_SEED` makes order ids a function of the seed, the buyer, the drop
/// and the attempt, so a test can replay an id collision. Ignored with a live Stripe key.
pub fn order_id_seed(env: &Env) -> Option<String> {
    if stripe_live(env) {
        return None;
    }
    env.var("ORDER_ID_SEED")
        .ok()
        .map(|v| v.to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::parse_checkout_rate;

    #[test]
    fn the_checkout_pace_is_a_whole_number_from_1_to_100() {
        assert_eq!(parse_checkout_rate(" 20 "), Some(20));
        assert_eq!(parse_checkout_rate("1"), Some(1));
        assert_eq!(parse_checkout_rate("100"), Some(100));
        for bad in ["0", "101", "-5", "2.5", "", "fast"] {
            assert_eq!(parse_checkout_rate(bad), None, "{bad:?}");
        }
    }
}
