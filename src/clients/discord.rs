//! The Discord REST calls C500 makes with its bot token (and, for interaction follow-ups,
//! the interaction's own token).

use crate::config::{self, ConfigError};
use crate::discord::response::Message;
use serde::Serialize;
use serde_json::{json, Value};
use worker::{Env, Method};

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
}

impl DiscordError {
    /// Worth retrying later (rate limits, Discord's own failures, the network).
    pub fn is_transient(&self) -> bool {
        match self {
            DiscordError::Transport(_) => true,
            DiscordError::Api { status, .. } => *status == 429 || *status >= 500,
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
        }
    }
}

pub struct Discord {
    base: String,
    token: String,
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
        let (status, value) = super::send(method, &url, &headers, body)
            .await
            .map_err(|e| DiscordError::Transport(e.to_string()))?;
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
