//! The parts of Discord's Interaction object this app reads. Unknown fields are ignored,
//! so Discord adding fields never breaks parsing.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

pub mod kind {
    pub const PING: u8 = 1;
    pub const APPLICATION_COMMAND: u8 = 2;
    pub const MESSAGE_COMPONENT: u8 = 3;
    pub const AUTOCOMPLETE: u8 = 4;
    pub const MODAL_SUBMIT: u8 = 5;
}

pub mod option_kind {
    pub const SUB_COMMAND: u8 = 1;
    pub const SUB_COMMAND_GROUP: u8 = 2;
}

#[derive(Debug, Deserialize)]
pub struct Interaction {
    #[serde(rename = "type")]
    pub kind: u8,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub token: String,
    pub data: Option<InteractionData>,
    pub guild_id: Option<String>,
    pub channel_id: Option<String>,
    pub member: Option<Member>,
    pub user: Option<User>,
    pub locale: Option<String>,
}

impl Interaction {
    /// Who clicked or typed: `member.user` in a server, `user` in a DM.
    pub fn invoker(&self) -> Option<&User> {
        self.member.as_ref().map(|m| &m.user).or(self.user.as_ref())
    }
}

#[derive(Debug, Deserialize)]
pub struct Member {
    pub user: User,
    /// The member's resolved permissions in this channel, a decimal bitfield.
    pub permissions: Option<String>,
    /// The member's roles in the server the click came from (ids), for a raffle's role gate.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub username: String,
    pub global_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct InteractionData {
    pub name: Option<String>,
    #[serde(default)]
    pub options: Vec<CommandOption>,
    pub custom_id: Option<String>,
    pub component_type: Option<u8>,
    #[serde(default)]
    pub values: Vec<String>,
    /// Modal submissions: rows (or labels) of submitted components.
    #[serde(default)]
    pub components: Vec<Value>,
    /// Users (and more) named by options, with their details.
    pub resolved: Option<Resolved>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Resolved {
    #[serde(default)]
    pub users: HashMap<String, User>,
    /// Files given to an attachment option or a modal's file upload.
    #[serde(default)]
    pub attachments: HashMap<String, Attachment>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub filename: String,
    pub content_type: Option<String>,
    #[serde(default)]
    pub size: u64,
}

/// The values a modal submission gave for component `custom_id` (a file upload's
/// attachment ids, a select's choices).
pub fn modal_values<'a>(components: &'a [Value], custom_id: &str) -> Vec<&'a str> {
    components
        .iter()
        .filter_map(|item| item.get("component"))
        .chain(
            components
                .iter()
                .filter_map(|row| row.get("components").and_then(Value::as_array))
                .flatten(),
        )
        .find(|c| c.get("custom_id").and_then(Value::as_str) == Some(custom_id))
        .and_then(|c| c.get("values").and_then(Value::as_array))
        .map(|values| values.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The text a modal submission gave for input `custom_id` (inputs sit in action rows, or
/// in labels in Discord's newer modals).
pub fn modal_value<'a>(components: &'a [Value], custom_id: &str) -> Option<&'a str> {
    components.iter().find_map(|row| {
        let children = row
            .get("components")
            .and_then(Value::as_array)
            .map(|c| c.iter().collect::<Vec<_>>())
            .or_else(|| row.get("component").map(|c| vec![c]))?;
        children
            .into_iter()
            .find(|c| c.get("custom_id").and_then(Value::as_str) == Some(custom_id))
            .and_then(|c| c.get("value").and_then(Value::as_str))
    })
}

/// The value of option `name` among `options`, if given.
pub fn option_value<'a>(options: &'a [CommandOption], name: &str) -> Option<&'a Value> {
    options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| o.value.as_ref())
}

/// A string (or snowflake) option's value.
pub fn option_str<'a>(options: &'a [CommandOption], name: &str) -> Option<&'a str> {
    option_value(options, name).and_then(Value::as_str)
}

#[derive(Debug, Deserialize)]
pub struct CommandOption {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: u8,
    pub value: Option<Value>,
    #[serde(default)]
    pub options: Vec<CommandOption>,
    #[serde(default)]
    pub focused: bool,
}

impl InteractionData {
    /// The subcommand path under the top-level command, e.g. `["setup", "stripe"]`,
    /// and the options of the innermost subcommand.
    pub fn subcommand_path(&self) -> (Vec<&str>, &[CommandOption]) {
        let mut path = Vec::new();
        let mut options: &[CommandOption] = &self.options;
        while let Some(first) = options.first() {
            if first.kind == option_kind::SUB_COMMAND
                || first.kind == option_kind::SUB_COMMAND_GROUP
            {
                path.push(first.name.as_str());
                options = &first.options;
            } else {
                break;
            }
        }
        (path, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_modal_values_from_rows_and_labels() {
        let components: Vec<Value> = serde_json::from_str(
            r#"[{"type":1,"components":[{"type":4,"custom_id":"price","value":"450"}]},
                {"type":18,"component":{"type":4,"custom_id":"item_title","value":"Snow"}}]"#,
        )
        .unwrap();
        assert_eq!(modal_value(&components, "price"), Some("450"));
        assert_eq!(modal_value(&components, "item_title"), Some("Snow"));
        assert_eq!(modal_value(&components, "specs"), None);
    }

    #[test]
    fn reads_a_file_uploads_attachment_ids() {
        let components: Vec<Value> = serde_json::from_str(
            r#"[{"type":18,"component":{"type":4,"custom_id":"item_title","value":"Snow"}},
                {"type":18,"component":{"type":19,"custom_id":"photo","values":["111","222"]}}]"#,
        )
        .unwrap();
        assert_eq!(modal_values(&components, "photo"), ["111", "222"]);
        assert!(modal_values(&components, "item_title").is_empty());
        assert!(modal_values(&components, "nothing").is_empty());
    }

    #[test]
    fn reads_a_nested_subcommand() {
        let i: Interaction = serde_json::from_str(
            r#"{"type":2,"id":"1","token":"t","application_id":"9","data":{"id":"5","name":"c500","type":1,
            "options":[{"name":"setup","type":2,"options":[{"name":"stripe","type":1,"options":[]}]}]},
            "guild_id":"3","member":{"user":{"id":"42","username":"keyz"},"permissions":"8","roles":[]},
            "future_field":{"x":1}}"#,
        )
        .unwrap();
        let data = i.data.as_ref().unwrap();
        let (path, opts) = data.subcommand_path();
        assert_eq!(path, ["setup", "stripe"]);
        assert!(opts.is_empty());
        assert_eq!(i.invoker().unwrap().id, "42");
    }

    #[test]
    fn dm_invoker_is_user() {
        let i: Interaction =
            serde_json::from_str(r#"{"type":2,"user":{"id":"7","username":"a"}}"#).unwrap();
        assert_eq!(i.invoker().unwrap().id, "7");
    }
}
