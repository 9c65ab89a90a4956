//! One JSON line per event, so Workers Logs can filter on any field. Never pass secrets.

use serde_json::Value;

pub fn event(event: &str, mut fields: Value) {
    if let Some(map) = fields.as_object_mut() {
        map.insert("event".to_owned(), Value::String(event.to_owned()));
    }
    worker::console_log!("{fields}");
}

pub fn error(event: &str, error: &dyn std::fmt::Display) {
    let line = serde_json::json!({ "event": event, "level": "error", "error": error.to_string() });
    worker::console_error!("{line}");
}
