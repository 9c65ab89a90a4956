//! `POST /interactions`: verify the raw bytes, parse the interaction, dispatch, reply.

pub mod commands;
pub mod help;

use crate::discord::model::{kind, Interaction};
use crate::discord::response::{InteractionResponse, Message};
use crate::domain::custom_id::{CustomId, CustomIdError};
use crate::{config, http, log};
use serde_json::json;
use worker::{Env, Request, Response};

/// Discord never sends more than this; a larger body is refused before parsing.
const MAX_BODY: usize = 64 * 1024;

/// What a Discord user can get wrong; each becomes a friendly ephemeral reply.
/// This enum is the contract between the handlers and what people see.
#[derive(Debug)]
pub enum UserError {
    UnknownCommand,
    NotOpenYet,
    OutdatedButton,
    UnknownButton,
    UnknownForm,
}

impl UserError {
    pub fn message(&self) -> Message {
        match self {
            UserError::UnknownCommand => Message::oops(
                "Unknown command",
                "I don't know that command. Try `/c500 help` for the full list.",
            ),
            UserError::NotOpenYet => Message::oops(
                "Not open yet",
                "This part of the Collective is still being built. Stay cozy; it's coming soon!",
            ),
            UserError::OutdatedButton => Message::oops(
                "This button is out of date",
                "It belongs to an older version of C500. Look for a newer post of this drop.",
            ),
            UserError::UnknownButton => Message::oops(
                "Oops!",
                "I couldn't tell what that button does. Try `/c500 help`.",
            ),
            UserError::UnknownForm => Message::oops(
                "Oops!",
                "I couldn't read that form. Please run the command again.",
            ),
        }
    }
}

pub async fn handle(mut req: Request, env: &Env) -> Response {
    let key = match config::discord_public_key(env) {
        Ok(key) => key,
        Err(e) => {
            log::error("config", &e);
            return http::text(500, "server misconfigured");
        }
    };
    let headers = req.headers();
    let signature = headers.get("x-signature-ed25519").ok().flatten();
    let timestamp = headers.get("x-signature-timestamp").ok().flatten();
    let body = match req.bytes().await {
        Ok(body) if body.len() <= MAX_BODY => body,
        _ => return http::text(401, "invalid request signature"),
    };
    if let Err(e) = key.verify(signature.as_deref(), timestamp.as_deref(), &body) {
        log::event(
            "interaction_rejected",
            json!({ "reason": format!("{e:?}") }),
        );
        return http::text(401, "invalid request signature");
    }
    let Ok(interaction) = serde_json::from_slice::<Interaction>(&body) else {
        return http::text(400, "malformed interaction");
    };
    let reply = dispatch(&interaction);
    http::json(200, reply.to_json())
}

fn dispatch(interaction: &Interaction) -> InteractionResponse {
    let data = interaction.data.as_ref();
    match interaction.kind {
        kind::PING => InteractionResponse::pong(),
        kind::APPLICATION_COMMAND => {
            let (path, _options) = data.map(|d| d.subcommand_path()).unwrap_or_default();
            let name = data.and_then(|d| d.name.as_deref()).unwrap_or_default();
            log::event(
                "command",
                json!({ "name": name, "path": path.join(" "),
                "guild": interaction.guild_id, "user": interaction.invoker().map(|u| &u.id) }),
            );
            let message = match (name, path.as_slice()) {
                (commands::ROOT, ["help"]) => help::message(),
                (commands::ROOT, p) if commands::exists(p) => UserError::NotOpenYet.message(),
                _ => UserError::UnknownCommand.message(),
            };
            InteractionResponse::message(message)
        }
        kind::MESSAGE_COMPONENT => {
            let custom_id = data
                .and_then(|d| d.custom_id.as_deref())
                .unwrap_or_default();
            let error = match CustomId::parse(custom_id) {
                Ok(CustomId::Buy(_)) => UserError::NotOpenYet,
                Err(CustomIdError::Outdated) => UserError::OutdatedButton,
                Err(CustomIdError::Unknown) => UserError::UnknownButton,
            };
            InteractionResponse::message(error.message())
        }
        kind::AUTOCOMPLETE => InteractionResponse::autocomplete(Vec::new()),
        kind::MODAL_SUBMIT => InteractionResponse::message(UserError::UnknownForm.message()),
        _ => InteractionResponse::message(UserError::UnknownCommand.message()),
    }
}
