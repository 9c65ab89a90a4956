//! The Discord REST calls C500 makes with its bot token.

use crate::config::{self, ConfigError};
use crate::discord::response::Message;
use serde_json::Value;
use worker::{Env, Method};

#[derive(Debug)]
pub enum DiscordError {
    Config(ConfigError),
    Transport(String),
    /// Discord refused: status and its message (403 is usually missing channel permissions).
    Api {
        status: u16,
        message: String,
    },
}

impl std::fmt::Display for DiscordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscordError::Config(e) => write!(f, "discord: {e}"),
            DiscordError::Transport(e) => write!(f, "discord: transport: {e}"),
            DiscordError::Api { status, message } => write!(f, "discord: {status}: {message}"),
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

    /// Posts a message in a channel; returns the new message's id.
    pub async fn post_message(
        &self,
        channel_id: &str,
        message: &Message,
    ) -> Result<String, DiscordError> {
        let body =
            serde_json::to_string(message).map_err(|e| DiscordError::Transport(e.to_string()))?;
        let authorization = format!("Bot {}", self.token);
        let headers = [
            ("authorization", authorization.as_str()),
            ("content-type", "application/json"),
            ("user-agent", "DiscordBot (https://c500.store, 1.0)"),
        ];
        let url = format!("{}/channels/{channel_id}/messages", self.base);
        let (status, value) = super::send(Method::Post, &url, &headers, Some(body))
            .await
            .map_err(|e| DiscordError::Transport(e.to_string()))?;
        if !(200..300).contains(&status) {
            let message = value
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_owned();
            return Err(DiscordError::Api { status, message });
        }
        value
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| DiscordError::Transport("no message id".to_owned()))
    }
}
