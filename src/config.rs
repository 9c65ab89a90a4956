//! Reads the Worker's bindings, vars and secrets (see the brief's configuration contract).
//! Only what a route needs is read: each read is a call across the JS boundary.

use crate::discord::signature::PublicKey;
use std::cell::RefCell;
use worker::{D1Database, Env};

/// Something the deployment is missing or has wrong: a 500 for us, never the caller's fault.
#[derive(Debug)]
pub struct ConfigError(pub &'static str);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration: {}", self.0)
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
        .map_err(|_| ConfigError("DISCORD_PUBLIC_KEY is not set"))?;
    let key = PublicKey::from_hex(&hex).ok_or(ConfigError(
        "DISCORD_PUBLIC_KEY is not a 32-byte hex Ed25519 key",
    ))?;
    DISCORD_KEY.with(|cell| *cell.borrow_mut() = Some(key.clone()));
    Ok(key)
}

pub fn secret(env: &Env, name: &'static str) -> Result<String, ConfigError> {
    env.secret(name)
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or(ConfigError(name))
}

pub fn db(env: &Env) -> Result<D1Database, ConfigError> {
    env.d1("DB")
        .map_err(|_| ConfigError("the D1 binding DB is missing"))
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
