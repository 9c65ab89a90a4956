//! The SQL of a server's C500 settings (`/c500 config`).

use super::{Counted, StoreError};
use crate::domain::ids::Snowflake;
use crate::domain::settings::SettingsUpdate;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;
/// One server's C500 settings (ids are snowflakes as text).
#[derive(Debug, Clone, Deserialize)]
pub struct GuildSettings {
    pub guild_id: String,
    pub shop_channel_id: Option<String>,
    pub announcements_channel_id: Option<String>,
    pub orders_channel_id: Option<String>,
    pub drop_role_id: Option<String>,
    pub live_role_id: Option<String>,
}

impl GuildSettings {
    pub fn empty(guild_id: &str) -> GuildSettings {
        GuildSettings {
            guild_id: guild_id.to_owned(),
            shop_channel_id: None,
            announcements_channel_id: None,
            orders_channel_id: None,
            drop_role_id: None,
            live_role_id: None,
        }
    }
}

const GUILD_SETTINGS_COLUMNS: &str =
    "guild_id, shop_channel_id, announcements_channel_id, orders_channel_id, drop_role_id, live_role_id";

fn opt(id: &Option<Snowflake>) -> JsValue {
    id.as_ref().map_or(JsValue::NULL, |s| s.as_str().into())
}

/// Sets the named settings, keeps the others, and returns the result (one round trip).
pub async fn save_guild_settings(
    db: &D1Database,
    guild_id: &str,
    update: &SettingsUpdate,
    by: &str,
    now_ms: f64,
) -> Result<GuildSettings, StoreError> {
    let row = db
        .prepare(format!(
            "INSERT INTO guild_settings ({GUILD_SETTINGS_COLUMNS}, updated_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (guild_id) DO UPDATE SET
               shop_channel_id = COALESCE(excluded.shop_channel_id, shop_channel_id),
               announcements_channel_id = COALESCE(excluded.announcements_channel_id, announcements_channel_id),
               orders_channel_id = COALESCE(excluded.orders_channel_id, orders_channel_id),
               drop_role_id = COALESCE(excluded.drop_role_id, drop_role_id),
               live_role_id = COALESCE(excluded.live_role_id, live_role_id),
               updated_by = excluded.updated_by,
               updated_at = excluded.updated_at
             RETURNING {GUILD_SETTINGS_COLUMNS}"
        ))
        .bind(&[
            guild_id.into(),
            opt(&update.shop_channel),
            opt(&update.announcements_channel),
            opt(&update.orders_channel),
            opt(&update.drop_role),
            opt(&update.live_role),
            by.into(),
            JsValue::from_f64(now_ms),
        ])?
        .first::<GuildSettings>(None)
        .counted().await?;
    row.ok_or_else(|| StoreError::Unexpected("guild settings upsert returned no row".to_owned()))
}

pub async fn guild_settings(
    db: &D1Database,
    guild_id: &str,
) -> Result<Option<GuildSettings>, StoreError> {
    Ok(db
        .prepare(format!(
            "SELECT {GUILD_SETTINGS_COLUMNS} FROM guild_settings WHERE guild_id = ?1"
        ))
        .bind(&[guild_id.into()])?
        .first::<GuildSettings>(None)
        .counted()
        .await?)
}
