//! `/c500 help`: the quick list of commands, in the brand's voice.

use crate::discord::response::{
    colour, Embed, EmbedField, EmbedFooter, InteractionResponse, Message,
};
use std::sync::OnceLock;

/// The whole reply is static: serialised once per isolate.
pub fn reply_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| InteractionResponse::message(message()).to_json())
}

pub fn message() -> Message {
    Message::ephemeral_embed(Embed {
        title: Some("🌸 Welcome to the C500 Collective".to_owned()),
        description: Some(
            "Cozy custom keyboards, bought safely. Buyers click **Buy** on a drop and pay on \
             Stripe; C500 holds the payment until the builder proves the build live on Twitch \
             or ships it with tracking."
                .to_owned(),
        ),
        color: Some(colour::SAKURA),
        fields: vec![
            EmbedField::new(
                "🛍️ Buying",
                "Click **Buy** on any drop.\n`/c500 orders` · your orders everywhere\n\
                 `/c500 profile` · your Citizen Passport\n`/c500 report` · tell HQ privately (in a DM)",
                false,
            ),
            EmbedField::new(
                "🛠️ Selling (Certified Builders)",
                "`/c500 setup stripe` · get paid\n`/c500 setup twitch` · link your stream\n\
                 `/c500 drop` · post a drop\n`/c500 inventory` · stock and prices\n\
                 `/c500 dashboard` · your shop at a glance",
                false,
            ),
            EmbedField::new(
                "📦 Fulfilling",
                "`/c500 queue` · what's waiting on you\n`/c500 live order` · build it live\n\
                 `/c500 ship` · add tracking, release escrow\n`/c500 vouch` · vouch for a buyer",
                false,
            ),
            EmbedField::new(
                "⚙️ Server admins",
                "`/c500 config set` · shop, announcement and order channels, drop and LIVE roles",
                false,
            ),
        ],
        footer: Some(EmbedFooter {
            text: "Powered by the C500 Collective | Stay cozy".to_owned(),
        }),
        ..Embed::default()
    })
}
