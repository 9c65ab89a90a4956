//! Linking Twitch, as both `/c500 setup twitch` and the OAuth callback page use it.

use crate::config;
use worker::Env;

/// Where Twitch sends people back after they authorise C500.
pub fn callback_url(env: &Env) -> String {
    format!("{}/oauth/twitch/callback", config::public_base_url(env))
}
