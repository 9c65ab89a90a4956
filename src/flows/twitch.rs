//! Linking Twitch, as both `/c500 setup twitch` and the OAuth callback page use it.

use crate::config;
use crate::context::Cx;

/// Where Twitch sends people back after they authorise C500.
pub fn callback_url(cx: &Cx) -> String {
    let env = &cx.env;
    format!("{}/oauth/twitch/callback", config::public_base_url(env))
}
