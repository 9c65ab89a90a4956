//! The Discord REST calls C500 makes with its bot token (and, for interaction follow-ups,
//! the interaction's own token).

use crate::config::{self, ConfigError};
use crate::discord::ratelimit::{self, Buckets};
use crate::discord::response::Message;
use crate::stripe::form::Form;
use serde::Serialize;
use serde_json::{json, Value};
use std::cell::RefCell;
use worker::{Env, Method};

thread_local! {
    /// What this isolate has learnt of Discord's buckets from its answers, shared by every
    /// call it makes (another isolate learns its own; Discord's 429 covers the rest).
    static BUCKETS: RefCell<Buckets> = RefCell::new(Buckets::default());
}

/// A bucket that refills within this long is waited for inside the call; a longer wait
/// hands the call back (`Throttled`) without sending it, so no 429 is spent.
const MAX_INLINE_WAIT_MS: f64 = 1_000.0;

#[derive(Debug)]
pub enum DiscordError {
    Config(ConfigError),
    Transport(String),
    /// Discord refused: status and its message (403 is usually missing channel permissions).
    Api {
        status: u16,
        message: String,
        /// On a 429: how long Discord asks us to wait, in seconds.
        retry_after: Option<f64>,
    },
    /// Not sent: Discord's headers said this route's bucket (or the global limit) is empty
    /// for `retry_after` more seconds. Sending anyway would be a 429, an invalid request.
    Throttled {
        retry_after: f64,
    },
}

impl DiscordError {
    /// Worth retrying later (rate limits, Discord's own failures, the network).
    pub fn is_transient(&self) -> bool {
        match self {
            DiscordError::Transport(_) => true,
            DiscordError::Api { status, .. } => *status == 429 || *status >= 500,
            DiscordError::Throttled { .. } => true,
            DiscordError::Config(_) => false,
        }
    }
}

impl std::fmt::Display for DiscordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscordError::Config(e) => write!(f, "discord: {e}"),
            DiscordError::Transport(e) => write!(f, "discord: transport: {e}"),
            DiscordError::Api {
                status, message, ..
            } => write!(f, "discord: {status}: {message}"),
            DiscordError::Throttled { retry_after } => write!(
                f,
                "discord: not sent, its rate limit resets in {} ms",
                (retry_after * 1000.0) as u64
            ),
        }
    }
}

pub struct Discord {
    base: String,
    token: String,
}

/// Before a call on `route`: goes ahead at once if its bucket (and, for a bot call, the
/// global limit) has a call left (counting it), waits if it refills within
/// [`MAX_INLINE_WAIT_MS`], else hands the call back unsent.
async fn wait_for_bucket(route: &str, bot: bool) -> Result<(), DiscordError> {
    let Some(wait) = BUCKETS.with(|b| b.borrow_mut().take(route, bot, crate::sleep::now_ms()))
    else {
        return Ok(());
    };
    if wait > MAX_INLINE_WAIT_MS {
        return Err(DiscordError::Throttled {
            retry_after: wait / 1000.0,
        });
    }
    crate::sleep::sleep_ms(wait + 1.0).await;
    match BUCKETS.with(|b| b.borrow_mut().take(route, bot, crate::sleep::now_ms())) {
        None => Ok(()),
        Some(wait) => Err(DiscordError::Throttled {
            retry_after: wait / 1000.0,
        }),
    }
}

impl Discord {
    pub fn from_env(env: &Env) -> Result<Discord, DiscordError> {
        let token = config::secret(env, "DISCORD_BOT_TOKEN").map_err(DiscordError::Config)?;
        let base = env
            .var("DISCORD_API_BASE")
            .map(|v| v.to_string().trim_end_matches('/').to_owned())
            .unwrap_or_else(|_| "https://discord.com/api/v10".to_owned());
        Ok(Discord { base, token })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: &impl Serialize,
        bot: bool,
    ) -> Result<Value, DiscordError> {
        let body =
            serde_json::to_string(body).map_err(|e| DiscordError::Transport(e.to_string()))?;
        self.send(method, path, Some(body), bot).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        bot: bool,
    ) -> Result<Value, DiscordError> {
        let authorization = format!("Bot {}", self.token);
        let mut headers = vec![
            ("content-type", "application/json"),
            ("user-agent", "DiscordBot (https://c500.store, 1.0)"),
        ];
        if bot {
            headers.push(("authorization", authorization.as_str()));
        }
        let url = format!("{}{path}", self.base);
        if body.is_none() {
            headers.retain(|(name, _)| *name != "content-type");
        }
        let route = ratelimit::route_key(method.as_ref(), path);
        wait_for_bucket(&route, bot).await?;
        let (status, value, answer) = super::send_reading(method, &url, &headers, body)
            .await
            .map_err(|e| DiscordError::Transport(e.to_string()))?;
        let header = |name: &str| answer.get(name).ok().flatten();
        let now = crate::sleep::now_ms();
        if let Some((remaining, reset_ms)) = ratelimit::bucket_state(
            header("x-ratelimit-remaining").as_deref(),
            header("x-ratelimit-reset-after").as_deref(),
        ) {
            BUCKETS.with(|b| b.borrow_mut().record(&route, remaining, reset_ms, now));
        }
        if status == 429 {
            let global = header("x-ratelimit-global").as_deref() == Some("true")
                || value.get("global").and_then(Value::as_bool) == Some(true);
            let wait = ratelimit::retry_after_ms(
                value
                    .get("retry_after")
                    .and_then(Value::as_f64)
                    .unwrap_or(1.0),
            );
            BUCKETS.with(|b| b.borrow_mut().limited(&route, global, wait, now));
        }
        if (200..300).contains(&status) {
            return Ok(value);
        }
        Err(DiscordError::Api {
            status,
            message: value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_owned(),
            retry_after: if status == 429 {
                value.get("retry_after").and_then(Value::as_f64)
            } else {
                None
            },
        })
    }

    fn id_of(value: &Value) -> Result<String, DiscordError> {
        value
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| DiscordError::Transport("no id in Discord's answer".to_owned()))
    }

    /// Posts a message in a channel; returns the new message's id.
    pub async fn post_message(
        &self,
        channel_id: &str,
        message: &Message,
    ) -> Result<String, DiscordError> {
        let path = format!("/channels/{channel_id}/messages");
        Self::id_of(&self.call(Method::Post, &path, message, true).await?)
    }

    /// Replaces a message's content, embeds and components.
    pub async fn edit_message(
        &self,
        channel_id: &str,
        message_id: &str,
        message: &Message,
    ) -> Result<(), DiscordError> {
        let path = format!("/channels/{channel_id}/messages/{message_id}");
        self.call(Method::Patch, &path, message, true).await?;
        Ok(())
    }

    /// Sends a direct message (opening the DM channel first, as Discord requires).
    pub async fn direct_message(
        &self,
        user_id: &str,
        message: &Message,
    ) -> Result<String, DiscordError> {
        let channel = self
            .call(
                Method::Post,
                "/users/@me/channels",
                &json!({ "recipient_id": user_id }),
                true,
            )
            .await?;
        self.post_message(&Self::id_of(&channel)?, message).await
    }

    /// Gives (or takes back) a member's role (Manage Roles; the bot's role must be higher).
    pub async fn set_role(
        &self,
        guild_id: &str,
        user_id: &str,
        role_id: &str,
        give: bool,
    ) -> Result<(), DiscordError> {
        let path = format!("/guilds/{guild_id}/members/{user_id}/roles/{role_id}");
        let method = if give { Method::Put } else { Method::Delete };
        self.send(method, &path, None, true).await?;
        Ok(())
    }

    /// Edits the reply to an interaction (after a deferred answer), with its token.
    pub async fn edit_original(
        &self,
        application_id: &str,
        interaction_token: &str,
        message: &Message,
    ) -> Result<(), DiscordError> {
        let path = format!("/webhooks/{application_id}/{interaction_token}/messages/@original");
        self.call(Method::Patch, &path, message, false).await?;
        Ok(())
    }
}

/// Who signed in with Discord (OAuth2 `identify`): `GET /users/@me` with their token.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DiscordUser {
    pub id: String,
    pub username: String,
}

/// Sign in with Discord (issue 12.1): the OAuth2 authorization-code grant, scope `identify`
/// only. The user's token is used once, to read who they are, and then revoked: C500 keeps
/// no Discord token of a buyer.
pub struct DiscordOAuth {
    /// The API (`DISCORD_API_BASE`), for the token and `/users/@me`.
    api: String,
    /// Where browsers consent (`DISCORD_WEB_BASE`, discord.com).
    web: String,
    client_id: String,
    client_secret: String,
}

impl DiscordOAuth {
    pub fn from_env(env: &Env) -> Result<DiscordOAuth, DiscordError> {
        let var = |name: &str, default: &str| {
            env.var(name)
                .map(|v| v.to_string())
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
                .trim_end_matches('/')
                .to_owned()
        };
        let client_id =
            config::setting(env, "DISCORD_APPLICATION_ID").map_err(DiscordError::Config)?;
        Ok(DiscordOAuth {
            api: var("DISCORD_API_BASE", "https://discord.com/api/v10"),
            web: var("DISCORD_WEB_BASE", "https://discord.com"),
            client_secret: config::secret(env, "DISCORD_CLIENT_SECRET")
                .map_err(DiscordError::Config)?,
            client_id,
        })
    }

    /// Discord's consent page for this sign-in.
    pub fn authorize_url(&self, state: &str, redirect_uri: &str) -> String {
        let query = Form::new()
            .field("response_type", "code")
            .field("client_id", self.client_id.as_str())
            .field("scope", "identify")
            .field("state", state)
            .field("redirect_uri", redirect_uri)
            .field("prompt", "none")
            .encode();
        format!("{}/oauth2/authorize?{query}", self.web)
    }

    async fn form(&self, path: &str, form: Form) -> Result<Value, DiscordError> {
        let url = format!("{}{path}", self.api);
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("user-agent", "DiscordBot (https://c500.store, 1.0)"),
        ];
        let (status, value) = super::send(Method::Post, &url, &headers, Some(form.encode()))
            .await
            .map_err(|e| DiscordError::Transport(e.to_string()))?;
        if (200..300).contains(&status) {
            return Ok(value);
        }
        Err(DiscordError::Api {
            status,
            message: value
                .get("error_description")
                .or_else(|| value.get("error"))
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_owned(),
            retry_after: None,
        })
    }

    /// Exchanges the callback's code for a token, reads who it belongs to, revokes it.
    pub async fn user_from_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<DiscordUser, DiscordError> {
        let grant = self
            .form(
                "/oauth2/token",
                Form::new()
                    .field("grant_type", "authorization_code")
                    .field("code", code)
                    .field("redirect_uri", redirect_uri)
                    .field("client_id", self.client_id.as_str())
                    .field("client_secret", self.client_secret.as_str()),
            )
            .await?;
        let token = grant
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| DiscordError::Transport("no access_token".to_owned()))?;
        let authorization = format!("Bearer {token}");
        let headers = [
            ("authorization", authorization.as_str()),
            ("user-agent", "DiscordBot (https://c500.store, 1.0)"),
        ];
        let url = format!("{}/users/@me", self.api);
        let (status, value) = super::send(Method::Get, &url, &headers, None)
            .await
            .map_err(|e| DiscordError::Transport(e.to_string()))?;
        let revoked = self
            .form(
                "/oauth2/token/revoke",
                Form::new()
                    .field("token", token)
                    .field("token_type_hint", "access_token")
                    .field("client_id", self.client_id.as_str())
                    .field("client_secret", self.client_secret.as_str()),
            )
            .await;
        if let Err(e) = revoked {
            // The token expires by itself within a week; the sign-in goes on.
            crate::log::error("discord_token_revoke_failed", &e);
        }
        if !(200..300).contains(&status) {
            return Err(DiscordError::Api {
                status,
                message: "users/@me refused the token".to_owned(),
                retry_after: None,
            });
        }
        serde_json::from_value(value).map_err(|e| DiscordError::Transport(e.to_string()))
    }
}
