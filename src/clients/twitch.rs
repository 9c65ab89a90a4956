//! The Twitch calls C500 makes: the OAuth code exchange and the linked user, the app access
//! token (client credentials, cached in KV until it expires), Helix Get Streams, and the
//! EventSub `stream.offline` subscription.

use crate::config::{self, ConfigError};
use crate::stripe::form::Form;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Env, Method};

#[derive(Debug)]
pub enum TwitchError {
    Config(ConfigError),
    Transport(String),
    Api { status: u16, message: String },
}

impl std::fmt::Display for TwitchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TwitchError::Config(e) => write!(f, "twitch: {e}"),
            TwitchError::Transport(e) => write!(f, "twitch: transport: {e}"),
            TwitchError::Api { status, message } => write!(f, "twitch: {status}: {message}"),
        }
    }
}

/// A Twitch account, as Helix Get Users gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct TwitchUser {
    pub id: String,
    pub login: String,
}

/// A live stream, as Helix Get Streams gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct Stream {
    pub user_login: String,
    #[serde(default)]
    pub title: String,
}

#[derive(Serialize, Deserialize)]
struct CachedToken {
    token: String,
    expires_at_ms: f64,
}

const APP_TOKEN_KEY: &str = "twitch:app-token";

pub struct Twitch {
    api: String,
    auth: String,
    client_id: String,
    client_secret: String,
    env: Env,
    /// The clock of the request this client serves (for the cached token's expiry).
    now_ms: f64,
}

impl Twitch {
    pub fn from_env(env: &Env, now_ms: f64) -> Result<Twitch, TwitchError> {
        let base = |name: &str, default: &str| {
            env.var(name)
                .map(|v| v.to_string().trim_end_matches('/').to_owned())
                .unwrap_or_else(|_| default.to_owned())
        };
        Ok(Twitch {
            api: base("TWITCH_API_BASE", "https://api.twitch.tv"),
            auth: base("TWITCH_AUTH_BASE", "https://id.twitch.tv"),
            client_id: config::secret(env, "TWITCH_CLIENT_ID").map_err(TwitchError::Config)?,
            client_secret: config::secret(env, "TWITCH_CLIENT_SECRET")
                .map_err(TwitchError::Config)?,
            env: env.clone(),
            now_ms,
        })
    }

    /// Where to send someone to authorise C500 (no scopes: only their identity).
    /// `force_verify` shows Twitch's consent screen even to someone who authorised C500
    /// before: whoever opens a builder's link sees whose Twitch account is about to be linked
    /// instead of being linked silently.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let query = Form::new()
            .field("client_id", self.client_id.as_str())
            .field("redirect_uri", redirect_uri)
            .field("response_type", "code")
            .field("scope", "")
            .field("force_verify", "true")
            .field("state", state)
            .encode();
        format!("{}/oauth2/authorize?{query}", self.auth)
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        content_type: &str,
        body: Option<String>,
    ) -> Result<(u16, Value), TwitchError> {
        let authorization = bearer.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("client-id", self.client_id.as_str())];
        if let Some(a) = &authorization {
            headers.push(("authorization", a.as_str()));
        }
        if body.is_some() {
            headers.push(("content-type", content_type));
        }
        let (status, value) = super::send(method, url, &headers, body)
            .await
            .map_err(|e| TwitchError::Transport(e.to_string()))?;
        if (200..300).contains(&status) {
            return Ok((status, value));
        }
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message")
            .to_owned();
        Err(TwitchError::Api { status, message })
    }

    async fn token(&self, form: Form) -> Result<(String, f64), TwitchError> {
        let url = format!("{}/oauth2/token", self.auth);
        let (_, value) = self
            .call(
                Method::Post,
                &url,
                None,
                "application/x-www-form-urlencoded",
                Some(form.encode()),
            )
            .await?;
        let token = value
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| TwitchError::Transport("no access_token".to_owned()))?;
        let expires_in = value
            .get("expires_in")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        Ok((token.to_owned(), expires_in))
    }

    /// Exchanges an authorisation code for the user's token, and reads who they are.
    pub async fn user_from_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<TwitchUser, TwitchError> {
        let (token, _) = self
            .token(
                Form::new()
                    .field("client_id", self.client_id.as_str())
                    .field("client_secret", self.client_secret.as_str())
                    .field("code", code)
                    .field("grant_type", "authorization_code")
                    .field("redirect_uri", redirect_uri),
            )
            .await?;
        let url = format!("{}/helix/users", self.api);
        let (_, value) = self.call(Method::Get, &url, Some(&token), "", None).await?;
        let users: Vec<TwitchUser> =
            serde_json::from_value(value.get("data").cloned().unwrap_or(Value::Null))
                .map_err(|e| TwitchError::Transport(e.to_string()))?;
        users
            .into_iter()
            .next()
            .ok_or_else(|| TwitchError::Transport("Get Users returned nobody".to_owned()))
    }

    /// The app access token: from KV while it is valid, otherwise a fresh one (cached
    /// until five minutes before it expires).
    async fn app_token(&self) -> Result<String, TwitchError> {
        let kv = self
            .env
            .kv("KV")
            .map_err(|_| TwitchError::Config(ConfigError::missing("the KV binding KV")))?;
        let now = self.now_ms;
        if let Ok(Some(cached)) = kv.get(APP_TOKEN_KEY).json::<CachedToken>().await {
            if cached.expires_at_ms > now {
                return Ok(cached.token);
            }
        }
        let (token, expires_in) = self
            .token(
                Form::new()
                    .field("client_id", self.client_id.as_str())
                    .field("client_secret", self.client_secret.as_str())
                    .field("grant_type", "client_credentials"),
            )
            .await?;
        let ttl = (expires_in - 300.0).max(60.0);
        let cached = CachedToken {
            token: token.clone(),
            expires_at_ms: now + ttl * 1000.0,
        };
        if let Ok(put) = kv.put(APP_TOKEN_KEY, &cached) {
            // KV wants a whole number of seconds, at least 60.
            let _ = put.expiration_ttl(ttl as u64).execute().await;
        }
        Ok(token)
    }

    /// The user's stream if they are live right now (Helix Get Streams).
    pub async fn live_stream(&self, user_id: &str) -> Result<Option<Stream>, TwitchError> {
        let token = self.app_token().await?;
        let url = format!("{}/helix/streams?user_id={user_id}", self.api);
        let (_, value) = self.call(Method::Get, &url, Some(&token), "", None).await?;
        let streams: Vec<Value> = value
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(streams
            .into_iter()
            .find(|s| s.get("type").and_then(Value::as_str) == Some("live"))
            .and_then(|s| serde_json::from_value(s).ok()))
    }

    /// Asks Twitch to tell `callback` when the user's stream goes offline. Already
    /// subscribed (409) counts as done.
    pub async fn subscribe_offline(
        &self,
        user_id: &str,
        callback: &str,
        secret: &str,
    ) -> Result<(), TwitchError> {
        let token = self.app_token().await?;
        let body = json!({
            "type": "stream.offline",
            "version": "1",
            "condition": { "broadcaster_user_id": user_id },
            "transport": { "method": "webhook", "callback": callback, "secret": secret },
        });
        let url = format!("{}/helix/eventsub/subscriptions", self.api);
        match self
            .call(
                Method::Post,
                &url,
                Some(&token),
                "application/json",
                Some(body.to_string()),
            )
            .await
        {
            Ok(_) | Err(TwitchError::Api { status: 409, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
