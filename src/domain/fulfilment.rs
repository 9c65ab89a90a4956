//! Who may ship or refund an order, and what each needs first (the brief's "Orders" and
//! "Money"). Pure: every allowed and forbidden transition is unit-tested here; the store's
//! conditional updates make the same checks atomic.

use super::escrow::{Actor, Escrow};
use super::listing::FieldError;
use super::order::OrderStatus;

/// An order as these rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    pub seller_id: String,
    pub status: OrderStatus,
    pub escrow: Escrow,
    pub commission: bool,
    /// Live proof recorded, or waived by HQ.
    pub proven: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShipRefusal {
    NotYours,
    AlreadyShipped,
    Closed(OrderStatus),
    Disputed,
    NeedsProof,
}

/// Whether `user` may mark the order shipped now.
pub fn can_ship(o: &OrderFacts, user: &str) -> Result<(), ShipRefusal> {
    if o.seller_id != user {
        return Err(ShipRefusal::NotYours);
    }
    match o.status {
        OrderStatus::Paid | OrderStatus::Building => {}
        OrderStatus::Shipped | OrderStatus::Completed => return Err(ShipRefusal::AlreadyShipped),
        OrderStatus::Disputed => return Err(ShipRefusal::Disputed),
        closed => return Err(ShipRefusal::Closed(closed)),
    }
    if o.escrow != Escrow::Held {
        return Err(ShipRefusal::Closed(o.status));
    }
    if o.commission && !o.proven {
        return Err(ShipRefusal::NeedsProof);
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRefusal {
    NotYours,
    AlreadyRefunded,
}

/// Whether `user` (an HQ admin or not) may ask for a refund of the order, and as whom.
/// What the money allows (paid out, in flight, disputed) is domain::escrow's to say.
pub fn can_refund(o: &OrderFacts, user: &str, admin: bool) -> Result<Actor, RefundRefusal> {
    if !admin && o.seller_id != user {
        return Err(RefundRefusal::NotYours);
    }
    if matches!(o.status, OrderStatus::Refunded | OrderStatus::Cancelled) {
        return Err(RefundRefusal::AlreadyRefunded);
    }
    Ok(if admin { Actor::Hq } else { Actor::Builder })
}

/// A tracking number as carriers print them: 4 to 64 letters, digits, dashes or spaces.
pub fn parse_tracking(input: &str) -> Result<String, FieldError> {
    let t = input.trim();
    let ok = (4..=64).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ');
    if ok {
        Ok(t.to_owned())
    } else {
        Err(FieldError {
            field: "tracking",
            message: "must be the carrier's tracking number (letters, digits and dashes)"
                .to_owned(),
        })
    }
}

/// The carrier's public tracking page for a number, when C500 knows the carrier.
pub fn tracking_url(carrier: &str, tracking: &str) -> Option<String> {
    let number: String = tracking.chars().filter(|c| *c != ' ').collect();
    let base = match carrier {
        "usps" => "https://tools.usps.com/go/TrackConfirmAction?tLabels=",
        "ups" => "https://www.ups.com/track?tracknum=",
        "fedex" => "https://www.fedex.com/fedextrack/?trknbr=",
        "dhl" => "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=",
        _ => return None,
    };
    Some(format!("{base}{number}"))
}

pub fn carrier_name(carrier: &str) -> &'static str {
    match carrier {
        "usps" => "USPS",
        "ups" => "UPS",
        "fedex" => "FedEx",
        "dhl" => "DHL",
        _ => "the carrier",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> OrderFacts {
        OrderFacts {
            seller_id: "s".into(),
            status: OrderStatus::Paid,
            escrow: Escrow::Held,
            commission: false,
            proven: false,
        }
    }

    fn with(f: impl FnOnce(&mut OrderFacts)) -> OrderFacts {
        let mut o = order();
        f(&mut o);
        o
    }

    #[test]
    fn the_seller_ships_a_paid_order() {
        assert_eq!(can_ship(&order(), "s"), Ok(()));
        assert_eq!(
            can_ship(&with(|o| o.status = OrderStatus::Building), "s"),
            Ok(())
        );
    }

    #[test]
    fn forbidden_shipments() {
        assert_eq!(can_ship(&order(), "x"), Err(ShipRefusal::NotYours));
        assert_eq!(
            can_ship(&with(|o| o.status = OrderStatus::Shipped), "s"),
            Err(ShipRefusal::AlreadyShipped)
        );
        assert_eq!(
            can_ship(&with(|o| o.status = OrderStatus::Refunded), "s"),
            Err(ShipRefusal::Closed(OrderStatus::Refunded))
        );
        assert_eq!(
            can_ship(&with(|o| o.status = OrderStatus::Disputed), "s"),
            Err(ShipRefusal::Disputed)
        );
        assert_eq!(
            can_ship(&with(|o| o.commission = true), "s"),
            Err(ShipRefusal::NeedsProof)
        );
        assert_eq!(
            can_ship(
                &with(|o| {
                    o.commission = true;
                    o.proven = true;
                }),
                "s"
            ),
            Ok(())
        );
    }

    #[test]
    fn who_may_ask_for_a_refund() {
        assert_eq!(can_refund(&order(), "s", false), Ok(Actor::Builder));
        assert_eq!(
            can_refund(&order(), "x", false),
            Err(RefundRefusal::NotYours)
        );
        assert_eq!(can_refund(&order(), "hq", true), Ok(Actor::Hq));
        assert_eq!(
            can_refund(&with(|o| o.status = OrderStatus::Refunded), "hq", true),
            Err(RefundRefusal::AlreadyRefunded)
        );
        assert_eq!(
            can_refund(&with(|o| o.status = OrderStatus::Cancelled), "s", false),
            Err(RefundRefusal::AlreadyRefunded)
        );
    }

    #[test]
    fn tracking_numbers_and_links() {
        assert_eq!(
            parse_tracking(" 9400 1000 0000 "),
            Ok("9400 1000 0000".into())
        );
        assert!(parse_tracking("abc").is_err());
        assert!(parse_tracking("<script>").is_err());
        assert_eq!(
            tracking_url("usps", "9400 1000"),
            Some("https://tools.usps.com/go/TrackConfirmAction?tLabels=94001000".into())
        );
        assert_eq!(tracking_url("other", "X1"), None);
    }
}
