//! `/c500 config set|show`: this server's shop, announcements and orders channels and its
//! drop and LIVE roles, set by members who may manage the server.
//!
//! Discord's `default_member_permissions` applies to a whole top-level command, and `/c500`
//! is for everyone, so the check is here: `member.permissions` is what Discord resolved for
//! this member in this channel (administrators included).

use super::{later, Answer, UserError};
use crate::context::Cx;
use crate::discord::model::{option_str, CommandOption, Interaction};
use crate::discord::response::{
    colour, Embed, EmbedField, EmbedFooter, InteractionResponse, Message,
};
use crate::domain::ids::Snowflake;
use crate::domain::settings::SettingsUpdate;
use crate::log;
use crate::store::{self, guilds::GuildSettings};
use serde_json::json;

const ADMINISTRATOR: u64 = 1 << 3;
const MANAGE_GUILD: u64 = 1 << 5;
const MANAGE_ROLES: u64 = 1 << 28;

/// The settings a `/c500 config set` names, read from its options.
fn update_from(options: &[CommandOption]) -> SettingsUpdate {
    let get = |name: &str| option_str(options, name).and_then(Snowflake::parse);
    SettingsUpdate {
        shop_channel: get("shop_channel"),
        announcements_channel: get("announcements_channel"),
        orders_channel: get("orders_channel"),
        drop_role: get("drop_role"),
        live_role: get("live_role"),
    }
}

/// Whether a member's resolved permissions (a decimal bitfield) include any of `wanted`
/// (or Administrator, which implies every permission).
fn allows(permissions: Option<&str>, wanted: u64) -> bool {
    permissions
        .and_then(|p| p.parse::<u64>().ok())
        .is_some_and(|bits| bits & (ADMINISTRATOR | wanted) != 0)
}

/// Whether a member's resolved permissions allow managing the server.
pub fn may_manage(permissions: Option<&str>) -> bool {
    allows(permissions, MANAGE_GUILD)
}

/// Whether they may choose a role the bot will hand out: the bot gives the drop and LIVE
/// roles on its own authority, so a member who could not give a role themselves must not be
/// able to make the bot give it (Manage Server alone is not enough).
pub fn may_choose_roles(permissions: Option<&str>) -> bool {
    allows(permissions, MANAGE_ROLES)
}

fn refuse(error: UserError) -> Answer {
    Answer::Built(InteractionResponse::message(error.message()))
}

pub(super) fn set(interaction: &Interaction, options: &[CommandOption], cx: &Cx) -> Answer {
    let update = update_from(options);
    let Some(guild_id) = interaction.guild_id.clone() else {
        return refuse(UserError::NeedsServer);
    };
    let permissions = interaction
        .member
        .as_ref()
        .and_then(|m| m.permissions.as_deref());
    if !may_manage(permissions) {
        return refuse(UserError::NeedsManageServer);
    }
    if update.is_empty() {
        return refuse(UserError::NothingToSet);
    }
    if (update.drop_role.is_some() || update.live_role.is_some()) && !may_choose_roles(permissions)
    {
        return refuse(UserError::NeedsManageRoles);
    }
    let by = interaction
        .invoker()
        .map(|u| u.id.clone())
        .unwrap_or_default();
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        let now = cx.now_ms;
        let settings =
            store::guilds::save_guild_settings(&db, &guild_id, &update, &by, now).await?;
        log::event(
            "guild_settings_saved",
            json!({ "guild": guild_id, "by": by }),
        );
        Ok(settings)
    };
    later(
        "guild_settings_failed",
        UserError::Internal,
        work,
        |settings| {
            InteractionResponse::message(settings_message(
                &settings,
                "✅ Saved. C500 in this server",
            ))
        },
    )
}

pub(super) fn show(interaction: &Interaction, cx: &Cx) -> Answer {
    let Some(guild_id) = interaction.guild_id.clone() else {
        return refuse(UserError::NeedsServer);
    };
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        let settings = store::guilds::guild_settings(&db, &guild_id).await?;
        Ok(settings.unwrap_or_else(|| GuildSettings::empty(&guild_id)))
    };
    later(
        "guild_settings_failed",
        UserError::Internal,
        work,
        |settings| {
            InteractionResponse::message(settings_message(&settings, "⚙️ C500 in this server"))
        },
    )
}

fn channel(id: &Option<String>, unset: &str) -> String {
    id.as_ref()
        .map_or_else(|| unset.to_owned(), |id| format!("<#{id}>"))
}

fn role(id: &Option<String>, unset: &str) -> String {
    id.as_ref()
        .map_or_else(|| unset.to_owned(), |id| format!("<@&{id}>"))
}

/// The settings as an ephemeral embed (mentions in embeds never ping).
pub fn settings_message(s: &GuildSettings, title: &str) -> Message {
    Message::ephemeral_embed(Embed {
        title: Some(title.to_owned()),
        color: Some(colour::LAVENDER),
        fields: vec![
            EmbedField::new(
                "🛍️ Shop channel",
                channel(
                    &s.shop_channel_id,
                    "Not set: drops post where `/c500 drop` is used",
                ),
                false,
            ),
            EmbedField::new(
                "📣 Announcements",
                channel(
                    &s.announcements_channel_id,
                    "Not set: live posts go to the shop channel",
                ),
                false,
            ),
            EmbedField::new(
                "📦 Orders channel",
                channel(
                    &s.orders_channel_id,
                    "Not set: builders get new orders by DM",
                ),
                false,
            ),
            EmbedField::new(
                "🔔 Drop role",
                role(&s.drop_role_id, "Not set: live drops ping nobody"),
                true,
            ),
            EmbedField::new("🔴 LIVE role", role(&s.live_role_id, "Not set"), true),
        ],
        footer: Some(EmbedFooter {
            text: "Change with /c500 config set (Manage Server)".to_owned(),
        }),
        ..Embed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn option(name: &str, value: &str) -> CommandOption {
        serde_json::from_value(json!({ "name": name, "type": 7, "value": value })).unwrap()
    }

    #[test]
    fn reads_only_valid_snowflakes() {
        let update = update_from(&[
            option("shop_channel", "123456789012345678"),
            option("drop_role", "not-a-snowflake"),
            option("unknown", "1"),
        ]);
        assert_eq!(
            update.shop_channel.as_ref().map(Snowflake::as_str),
            Some("123456789012345678")
        );
        assert_eq!(update.drop_role, None);
        assert!(!update.is_empty());
        assert!(update_from(&[]).is_empty());
    }

    #[test]
    fn manage_server_or_administrator_may_manage() {
        assert!(may_manage(Some("32")));
        assert!(may_manage(Some("8")));
        assert!(may_manage(Some("2147483647")));
        assert!(!may_manage(Some("0")));
        assert!(!may_manage(Some("16")));
        assert!(!may_manage(Some("garbage")));
        assert!(!may_manage(None));
    }

    #[test]
    fn the_embed_mentions_what_is_set() {
        let mut s = GuildSettings::empty("1");
        s.shop_channel_id = Some("42".into());
        s.live_role_id = Some("7".into());
        let json: Value = serde_json::to_value(settings_message(&s, "t")).unwrap();
        let text = json.to_string();
        assert!(text.contains("<#42>"));
        assert!(text.contains("<@&7>"));
        assert!(text.contains("Not set: builders get new orders by DM"));
        assert_eq!(json["flags"], 64);
    }
}
