//! Order states as people see them (the transitions themselves are conditional updates in
//! store::buying, so two deliveries of one event can never both apply).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub fn parse(s: &str) -> Option<OrderStatus> {
        Some(match s {
            "paid" => OrderStatus::Paid,
            "building" => OrderStatus::Building,
            "shipped" => OrderStatus::Shipped,
            "completed" => OrderStatus::Completed,
            "refunded" => OrderStatus::Refunded,
            "disputed" => OrderStatus::Disputed,
            "cancelled" => OrderStatus::Cancelled,
            _ => return None,
        })
    }

    /// A short label with an emoji, for embeds and pages.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Paid => "💸 Paid · in escrow",
            OrderStatus::Building => "🔨 Building",
            OrderStatus::Shipped => "📦 Shipped",
            OrderStatus::Completed => "✅ Completed",
            OrderStatus::Refunded => "↩️ Refunded",
            OrderStatus::Disputed => "⚠️ Disputed",
            OrderStatus::Cancelled => "✖️ Cancelled",
        }
    }
}

/// The label for a stored status (unknown values shown as they are).
pub fn status_label(s: &str) -> String {
    OrderStatus::parse(s).map_or_else(|| s.to_owned(), |o| o.label().to_owned())
}

/// How the escrow stands, in words.
pub fn escrow_label(s: &str) -> &'static str {
    match s {
        "held" => "Held by C500",
        "released" => "Released to the builder",
        "refunded" => "Refunded to you",
        "reversed" => "Reversed",
        _ => "Unknown",
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
        assert_eq!(status_label("weird"), "weird");
        assert_eq!(escrow_label("held"), "Held by C500");
    }
}
