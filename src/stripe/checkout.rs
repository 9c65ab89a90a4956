//! The Checkout Session for a held unit, as a Stripe form (pure, so its money and escrow
//! parameters are unit-tested). Separate charges and transfers: the platform is charged
//! (no `transfer_data`), and the order id groups the later transfer to the builder.

use super::form::Form;
use crate::domain::money::Cents;

pub struct CheckoutRequest<'a> {
    pub order_id: &'a str,
    pub listing_id: &'a str,
    pub buyer_id: &'a str,
    pub seller_id: &'a str,
    pub title: &'a str,
    pub image_url: Option<&'a str>,
    pub item: Cents,
    pub shipping: Cents,
    /// Unix seconds; the hold's own expiry, so the two end together.
    pub expires_at: i64,
    pub base_url: &'a str,
}

/// Where a buyer can have a build shipped. Stripe needs an explicit list.
pub const SHIP_TO: [&str; 16] = [
    "US", "CA", "GB", "IE", "AU", "NZ", "DE", "FR", "NL", "BE", "SE", "NO", "DK", "FI", "JP", "SG",
];

pub fn checkout_form(r: &CheckoutRequest<'_>) -> Form {
    let mut form = Form::new()
        .field("mode", "payment")
        // The buyer pays the drop's price in US dollars, as C500 asked: with Adaptive Pricing
        // on the account, an older API version reports the session in the buyer's currency,
        // and the webhook refuses any payment that isn't the held price in dollars.
        .field("adaptive_pricing[enabled]", "false")
        .field("client_reference_id", r.order_id)
        .field("line_items[0][quantity]", "1")
        .field("line_items[0][price_data][currency]", "usd")
        .field(
            "line_items[0][price_data][unit_amount]",
            r.item.get().to_string(),
        )
        .field("line_items[0][price_data][product_data][name]", r.title);
    if let Some(image) = r.image_url {
        form = form.field("line_items[0][price_data][product_data][images][0]", image);
    }
    if r.shipping.get() > 0 {
        form = form
            .field("line_items[1][quantity]", "1")
            .field("line_items[1][price_data][currency]", "usd")
            .field(
                "line_items[1][price_data][unit_amount]",
                r.shipping.get().to_string(),
            )
            .field("line_items[1][price_data][product_data][name]", "Shipping");
    }
    for (i, country) in SHIP_TO.iter().enumerate() {
        form = form.field(
            &format!("shipping_address_collection[allowed_countries][{i}]"),
            *country,
        );
    }
    let metadata = [
        ("order_id", r.order_id),
        ("listing_id", r.listing_id),
        ("buyer_id", r.buyer_id),
        ("seller_id", r.seller_id),
    ];
    for (key, value) in metadata {
        form = form.field(&format!("metadata[{key}]"), value);
    }
    form = form.field("payment_intent_data[transfer_group]", r.order_id);
    for (key, value) in metadata {
        form = form.field(&format!("payment_intent_data[metadata][{key}]"), value);
    }
    form.field("expires_at", r.expires_at.to_string())
        .field(
            "success_url",
            format!("{}/success?session_id={{CHECKOUT_SESSION_ID}}", r.base_url),
        )
        .field(
            "cancel_url",
            format!("{}/cancel?order={}", r.base_url, r.order_id),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CheckoutRequest<'static> {
        CheckoutRequest {
            order_id: "C5-7K2M9Q",
            listing_id: "D-8F3KQ2TX",
            buyer_id: "1",
            seller_id: "2",
            title: "Snow White TKL",
            image_url: Some("https://i.imgur.com/x.jpg"),
            item: Cents::new(45_000),
            shipping: Cents::new(1_500),
            expires_at: 1_800_000_000,
            base_url: "https://c500.store",
        }
    }

    #[test]
    fn charges_the_platform_and_groups_the_transfer_by_order() {
        let encoded = checkout_form(&request()).encode();
        assert!(!encoded.contains("transfer_data"), "{encoded}");
        assert!(!encoded.contains("application_fee"), "{encoded}");
        assert!(encoded.contains("payment_intent_data%5Btransfer_group%5D=C5-7K2M9Q"));
        assert!(encoded.contains("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=45000"));
        assert!(encoded.contains("line_items%5B1%5D%5Bprice_data%5D%5Bunit_amount%5D=1500"));
        assert!(encoded.contains("metadata%5Border_id%5D=C5-7K2M9Q"));
        assert!(encoded.contains("expires_at=1800000000"));
        assert!(encoded.contains("adaptive_pricing%5Benabled%5D=false"));
        assert!(encoded.contains("shipping_address_collection%5Ballowed_countries%5D%5B0%5D=US"));
        assert!(encoded.contains(
            "success_url=https%3A%2F%2Fc500.store%2Fsuccess%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D"
        ));
    }

    #[test]
    fn free_shipping_is_one_line_item_and_the_form_is_deterministic() {
        let mut r = request();
        r.shipping = Cents::ZERO;
        r.image_url = None;
        let encoded = checkout_form(&r).encode();
        assert!(!encoded.contains("line_items%5B1%5D"));
        assert!(!encoded.contains("images"));
        // The same hold always sends the same body (an Idempotency-Key replay needs it).
        assert_eq!(checkout_form(&r), checkout_form(&r));
    }
}
