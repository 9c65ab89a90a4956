//! Order states as people see them (the money's states and transitions are domain::escrow;
//! the order's own are conditional updates in store, so two deliveries of one event can
//! never both apply).

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Paid,
    Building,
    Shipped,
    Completed,
    Refunded,
    Disputed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Paid,
        OrderStatus::Building,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Refunded,
        OrderStatus::Disputed,
        OrderStatus::Cancelled,
    ];

    /// The stored literal (schema.sql's CHECK lists exactly these).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Paid => "paid",
            OrderStatus::Building => "building",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Disputed => "disputed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// A short label with an emoji, for embeds and pages.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Paid => "💸 Paid · held by C500",
            OrderStatus::Building => "🔨 Building",
            OrderStatus::Shipped => "📦 Shipped",
            OrderStatus::Completed => "✅ Completed",
            OrderStatus::Refunded => "↩️ Refunded",
            OrderStatus::Disputed => "⚠️ Disputed",
            OrderStatus::Cancelled => "✖️ Cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_status_has_a_label() {
        for s in [
            "paid",
            "building",
            "shipped",
            "completed",
            "refunded",
            "disputed",
            "cancelled",
        ] {
            assert!(OrderStatus::parse(s).is_some(), "{s}");
        }
        assert_eq!(OrderStatus::parse("weird"), None);
        assert_eq!(super::super::escrow::Escrow::Held.label(), "Held by C500");
        for o in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(o.as_str()), Some(o));
        }
    }
}
