//! A server's C500 settings as `/c500 config set` changes them.

use super::ids::Snowflake;

/// The settings a `/c500 config set` names; absent ones stay as they are.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SettingsUpdate {
    pub shop_channel: Option<Snowflake>,
    pub announcements_channel: Option<Snowflake>,
    pub orders_channel: Option<Snowflake>,
    pub drop_role: Option<Snowflake>,
    pub live_role: Option<Snowflake>,
}

impl SettingsUpdate {
    pub fn is_empty(&self) -> bool {
        *self == SettingsUpdate::default()
    }
}
