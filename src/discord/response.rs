//! Interaction responses and message bodies, typed so they serialise to exactly what
//! Discord's spec allows (empty collections and absent values are omitted).

use serde::Serialize;

pub mod colour {
    pub const SAKURA: u32 = 0xFFD1DC;
    pub const DREAMY: u32 = 0xAEEEEE;
    pub const LAVENDER: u32 = 0xE6E6FA;
    pub const MINT: u32 = 0x98FF98;
    pub const VANILLA: u32 = 0xFFFDD0;
    /// Refusals and errors: soft red, still pastel.
    pub const OOPS: u32 = 0xFF6961;
}

/// `flags` bit: only the invoking user sees the message.
pub const EPHEMERAL: u32 = 1 << 6;

#[derive(Debug, Serialize)]
pub struct InteractionResponse {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<ResponseData>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ResponseData {
    Message(Message),
    Choices { choices: Vec<Choice> },
    Modal(Modal),
}

/// A form (MODAL response): at most 5 items, each a labelled field (Discord's current
/// modals) or a classic row holding one text input.
#[derive(Debug, Serialize)]
pub struct Modal {
    pub custom_id: String,
    pub title: String,
    pub components: Vec<ModalItem>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ModalItem {
    Row(ModalRow),
    Label(Label),
}

impl From<ModalRow> for ModalItem {
    fn from(row: ModalRow) -> Self {
        ModalItem::Row(row)
    }
}

/// A labelled field (type 18): its label and hint sit above the one input it holds.
#[derive(Debug, Serialize)]
pub struct Label {
    #[serde(rename = "type")]
    kind: u8,
    label: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'static str>,
    component: LabelChild,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum LabelChild {
    Text(TextInput),
    Upload(FileUpload),
    Select(StringSelect),
}

impl ModalItem {
    /// A labelled text input (the input's own label is left out, as Discord requires).
    pub fn text(
        label: &'static str,
        description: Option<&'static str>,
        mut input: TextInput,
    ) -> Self {
        input.label = None;
        ModalItem::Label(Label {
            kind: 18,
            label,
            description,
            component: LabelChild::Text(input),
        })
    }

    /// A labelled select menu (one choice).
    pub fn select(
        label: &'static str,
        description: Option<&'static str>,
        select: StringSelect,
    ) -> Self {
        ModalItem::Label(Label {
            kind: 18,
            label,
            description,
            component: LabelChild::Select(select),
        })
    }

    /// A labelled file upload.
    pub fn upload(
        label: &'static str,
        description: Option<&'static str>,
        upload: FileUpload,
    ) -> Self {
        ModalItem::Label(Label {
            kind: 18,
            label,
            description,
            component: LabelChild::Upload(upload),
        })
    }
}

/// A file upload (type 19), only inside a Label.
#[derive(Debug, Serialize)]
pub struct FileUpload {
    #[serde(rename = "type")]
    kind: u8,
    custom_id: &'static str,
    min_values: u8,
    max_values: u8,
    required: bool,
}

impl FileUpload {
    /// Up to `max` files; none needed unless `required`.
    pub fn new(custom_id: &'static str, max: u8, required: bool) -> Self {
        FileUpload {
            kind: 19,
            custom_id,
            min_values: u8::from(required),
            max_values: max,
            required,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ModalRow {
    #[serde(rename = "type")]
    kind: u8,
    components: Vec<TextInput>,
}

impl ModalRow {
    pub fn new(input: TextInput) -> Self {
        ModalRow {
            kind: 1,
            components: vec![input],
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TextInput {
    #[serde(rename = "type")]
    kind: u8,
    custom_id: &'static str,
    /// 1: one line, 2: a paragraph.
    style: u8,
    /// Set in a classic row; left out inside a Label (which carries it).
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<&'static str>,
    /// Pre-filled text (editing something that exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    max_length: u16,
    required: bool,
}

impl TextInput {
    pub fn new(
        custom_id: &'static str,
        label: &'static str,
        paragraph: bool,
        max_length: u16,
        required: bool,
    ) -> Self {
        TextInput {
            kind: 4,
            custom_id,
            style: if paragraph { 2 } else { 1 },
            label: Some(label),
            placeholder: None,
            value: None,
            max_length,
            required,
        }
    }

    pub fn value(mut self, text: String) -> Self {
        self.value = Some(text);
        self
    }

    pub fn placeholder(mut self, text: &'static str) -> Self {
        self.placeholder = Some(text);
        self
    }
}

/// An autocomplete suggestion.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub name: String,
    pub value: String,
}

impl InteractionResponse {
    /// Answers a PING, serialised: Discord's health check is answered without building
    /// anything.
    pub const PONG_JSON: &'static str = r#"{"type":1}"#;

    /// The same, typed (the tests check the two agree).
    #[cfg(test)]
    pub fn pong() -> Self {
        InteractionResponse {
            kind: 1,
            data: None,
        }
    }

    /// CHANNEL_MESSAGE_WITH_SOURCE.
    pub fn message(message: Message) -> Self {
        InteractionResponse {
            kind: 4,
            data: Some(ResponseData::Message(message)),
        }
    }

    /// DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, ephemeral: "thinking…" until the reply is
    /// edited in (within 15 minutes).
    pub fn deferred_ephemeral() -> Self {
        InteractionResponse {
            kind: 5,
            data: Some(ResponseData::Message(Message {
                flags: Some(EPHEMERAL),
                ..Message::default()
            })),
        }
    }

    /// UPDATE_MESSAGE: a component replaces the message it is on (e.g. paging).
    pub fn update(message: Message) -> Self {
        InteractionResponse {
            kind: 7,
            data: Some(ResponseData::Message(message)),
        }
    }

    /// MODAL: opens a form.
    pub fn modal(modal: Modal) -> Self {
        InteractionResponse {
            kind: 9,
            data: Some(ResponseData::Modal(modal)),
        }
    }

    /// APPLICATION_COMMAND_AUTOCOMPLETE_RESULT (at most 25 choices).
    pub fn autocomplete(mut choices: Vec<Choice>) -> Self {
        choices.truncate(25);
        InteractionResponse {
            kind: 8,
            data: Some(ResponseData::Choices { choices }),
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail; fall back to a valid minimal reply.
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":1}"#.to_owned())
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Message {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub embeds: Vec<Embed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<ActionRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<u32>,
    /// Always sent: this app never pings anyone unless a message says so explicitly.
    pub allowed_mentions: AllowedMentions,
}

impl Message {
    /// An ephemeral message carrying one embed.
    pub fn ephemeral_embed(embed: Embed) -> Self {
        Message {
            embeds: vec![embed],
            flags: Some(EPHEMERAL),
            ..Message::default()
        }
    }

    /// An ephemeral refusal: title and a sentence saying what to do.
    pub fn oops(title: &str, description: impl Into<String>) -> Self {
        Message::ephemeral_embed(Embed {
            title: Some(format!("⚠️ {title}")),
            description: Some(description.into()),
            color: Some(colour::OOPS),
            ..Embed::default()
        })
    }
}

#[derive(Debug, Default, Serialize)]
pub struct AllowedMentions {
    pub parse: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Embed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<EmbedField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footer: Option<EmbedFooter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<EmbedMedia>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<EmbedMedia>,
}

#[derive(Debug, Serialize)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

impl EmbedField {
    pub fn new(name: impl Into<String>, value: impl Into<String>, inline: bool) -> Self {
        EmbedField {
            name: name.into(),
            value: value.into(),
            inline,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EmbedFooter {
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct EmbedMedia {
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct ActionRow {
    #[serde(rename = "type")]
    kind: u8,
    pub components: Vec<RowItem>,
}

/// What a message's action row holds: buttons, or one select menu.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum RowItem {
    Button(Button),
    Select(StringSelect),
}

impl ActionRow {
    pub fn new(components: Vec<Button>) -> Self {
        ActionRow {
            kind: 1,
            components: components.into_iter().map(RowItem::Button).collect(),
        }
    }

    pub fn select(select: StringSelect) -> Self {
        ActionRow {
            kind: 1,
            components: vec![RowItem::Select(select)],
        }
    }
}

/// A string select menu (type 3) on a message: 1–25 options, one chosen.
#[derive(Debug, Serialize)]
pub struct StringSelect {
    #[serde(rename = "type")]
    kind: u8,
    custom_id: String,
    placeholder: String,
    options: Vec<SelectOption>,
}

#[derive(Debug, Serialize)]
pub struct SelectOption {
    pub label: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Chosen when the menu opens.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
}

impl StringSelect {
    pub fn new(custom_id: String, placeholder: &str, mut options: Vec<SelectOption>) -> Self {
        options.truncate(25);
        StringSelect {
            kind: 3,
            custom_id,
            placeholder: placeholder.to_owned(),
            options,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Button {
    #[serde(rename = "type")]
    kind: u8,
    style: u8,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    emoji: Option<Emoji>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disabled: bool,
}

#[derive(Debug, Serialize)]
pub struct Emoji {
    pub name: String,
}

impl Button {
    /// A link button (style 5): opens `url`, sends no interaction.
    pub fn link(label: impl Into<String>, url: impl Into<String>, emoji: Option<&str>) -> Self {
        Button {
            kind: 2,
            style: 5,
            label: label.into(),
            emoji: emoji.map(|e| Emoji { name: e.to_owned() }),
            custom_id: None,
            url: Some(url.into()),
            disabled: false,
        }
    }

    /// A green (success, style 3) action button.
    pub fn success(label: impl Into<String>, custom_id: String, emoji: Option<&str>) -> Self {
        Button {
            kind: 2,
            style: 3,
            label: label.into(),
            emoji: emoji.map(|e| Emoji { name: e.to_owned() }),
            custom_id: Some(custom_id),
            url: None,
            disabled: false,
        }
    }

    /// A grey (secondary, style 2) action button.
    pub fn secondary(label: impl Into<String>, custom_id: String, emoji: Option<&str>) -> Self {
        Button {
            style: 2,
            ..Button::success(label, custom_id, emoji)
        }
    }

    pub fn disabled(mut self) -> Self {
        self.disabled = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pong_is_type_one_only() {
        assert_eq!(InteractionResponse::pong().to_json(), r#"{"type":1}"#);
        assert_eq!(
            InteractionResponse::pong().to_json(),
            InteractionResponse::PONG_JSON
        );
    }

    #[test]
    fn ephemeral_message_omits_empty_parts() {
        let json = InteractionResponse::message(Message::oops("Oops!", "Try again.")).to_json();
        assert_eq!(
            json,
            r#"{"type":4,"data":{"embeds":[{"title":"⚠️ Oops!","description":"Try again.","color":16738657}],"flags":64,"allowed_mentions":{"parse":[]}}}"#
        );
    }
}
