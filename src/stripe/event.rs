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
    /// Set on events about a connected account's own objects (Connect).
    #[serde(default)]
    pub account: Option<String>,
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: Value,
}

impl Event {
    pub fn parse(body: &[u8]) -> Option<Event> {
        let event: Event = crate::domain::json::decode(body)?;
        (event.id.starts_with("evt_") && !event.kind.is_empty()).then_some(event)
    }

    /// Why this signed event cannot be one C500 caused, if it cannot: a live event while C500
    /// runs on a test key (or the reverse), or a connected account's own event about anything
    /// but the account (C500 takes payments on its platform account, never on a builder's).
    pub fn foreign(&self, live_key: bool) -> Option<&'static str> {
        if self.livemode != live_key {
            return Some("livemode differs from the secret key's mode");
        }
        if self.account.is_some() && !self.kind.starts_with("account.") {
            return Some("a connected account's event about something other than the account");
        }
        None
    }
}

/// The parts of a Checkout Session the payment events need.
#[derive(Debug, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    #[serde(default)]
    pub metadata: SessionMetadata,
    /// `paid`, `unpaid` (a delayed method still on its way) or `no_payment_required`.
    #[serde(default)]
    pub payment_status: String,
    pub payment_intent: Option<String>,
    pub amount_total: Option<i64>,
    /// Lowercase ISO code of what the buyer was charged in.
    pub currency: Option<String>,
    /// Where the address lives depends on the API version: both are read.
    pub shipping_details: Option<Value>,
    pub collected_information: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionMetadata {
    pub order_id: Option<String>,
    pub listing_id: Option<String>,
}

impl CheckoutSession {
    pub fn shipping_address(&self) -> Option<String> {
        self.collected_information
            .as_ref()
            .and_then(|c| c.get("shipping_details"))
            .filter(|v| !v.is_null())
            .or(self.shipping_details.as_ref().filter(|v| !v.is_null()))
            .map(Value::to_string)
    }
}

#[derive(Debug, Deserialize)]
pub struct Charge {
    pub id: String,
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub refunded: bool,
    #[serde(default)]
    pub amount_refunded: i64,
}

#[derive(Debug, Deserialize)]
pub struct Dispute {
    pub id: String,
    pub payment_intent: Option<String>,
    /// `won`, `lost`, `warning_closed`, … once closed.
    #[serde(default)]
    pub status: String,
    /// What the bank took back (cents).
    #[serde(default)]
    pub amount: i64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_events_c500_could_have_caused_are_its_own() {
        let event = |livemode: bool, account: Option<&str>, kind: &str| Event {
            id: "evt_1".into(),
            kind: kind.into(),
            livemode,
            created: 0,
            account: account.map(str::to_owned),
            data: EventData {
                object: serde_json::Value::Null,
            },
        };
        assert_eq!(
            event(false, None, "checkout.session.completed").foreign(false),
            None
        );
        assert_eq!(event(true, None, "charge.refunded").foreign(true), None);
        assert_eq!(
            event(false, Some("acct_1"), "account.updated").foreign(false),
            None
        );
        assert!(event(true, None, "checkout.session.completed")
            .foreign(false)
            .is_some());
        assert!(event(false, None, "checkout.session.completed")
            .foreign(true)
            .is_some());
        assert!(event(false, Some("acct_1"), "checkout.session.completed")
            .foreign(false)
            .is_some());
        assert!(event(false, Some("acct_1"), "charge.refunded")
            .foreign(false)
            .is_some());
    }

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

    #[test]
    fn reads_the_shipping_address_wherever_the_api_version_puts_it() {
        let newer: CheckoutSession = serde_json::from_str(
            r#"{"id":"cs_1","collected_information":{"shipping_details":{"name":"A"}},"shipping_details":null}"#,
        )
        .unwrap();
        assert_eq!(newer.shipping_address().as_deref(), Some(r#"{"name":"A"}"#));
        let older: CheckoutSession =
            serde_json::from_str(r#"{"id":"cs_1","shipping_details":{"name":"B"}}"#).unwrap();
        assert_eq!(older.shipping_address().as_deref(), Some(r#"{"name":"B"}"#));
        let none: CheckoutSession = serde_json::from_str(r#"{"id":"cs_1"}"#).unwrap();
        assert_eq!(none.shipping_address(), None);
        assert!(none.metadata.order_id.is_none());
    }
}
