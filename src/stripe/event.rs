//! The envelope every Stripe webhook event shares. The object stays raw JSON until a
//! handler for its type reads the fields it needs.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub livemode: bool,
    /// When Stripe created the event (unix seconds): orders late and out-of-order events.
    #[serde(default)]
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: Value,
}

impl Event {
    pub fn parse(body: &[u8]) -> Option<Event> {
        let event: Event = serde_json::from_slice(body).ok()?;
        (event.id.starts_with("evt_") && !event.kind.is_empty()).then_some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_envelope_only() {
        let e = Event::parse(br#"{"id":"evt_1","object":"event","type":"checkout.session.completed","livemode":false,"data":{"object":{"id":"cs_1"}}}"#).unwrap();
        assert_eq!(e.kind, "checkout.session.completed");
        assert_eq!(e.data.object["id"], "cs_1");
        assert!(Event::parse(b"{}").is_none());
        assert!(Event::parse(br#"{"id":"x","type":"a","data":{"object":{}}}"#).is_none());
        assert!(Event::parse(b"not json").is_none());
    }
}
