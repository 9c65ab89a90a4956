//! Every message C500 posts or sends outside a command's own reply: the public drop embed
//! and the notices about orders. One place for the brand's wording (design-notes.md).

use crate::discord::response::{
    colour, ActionRow, AllowedMentions, Button, Embed, EmbedField, EmbedFooter, EmbedMedia, Message,
};
use crate::domain::custom_id::CustomId;
use crate::domain::ids::ListingId;
use crate::domain::listing::Kind;
use crate::domain::listing::ListingStatus;
use crate::domain::markdown::escape as md;
use crate::domain::money::{self, Cents};
use crate::domain::seller::GuildTag;
use crate::store::outbox::{ListingCard, OrderView, RefusedPayment};

/// Where a drop's stock stands, as its embed shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Available,
    /// The seller can't sell now (revoked, banned, or Stripe disabled their account).
    Paused,
    /// No unit free, but some are in someone's checkout and may come back.
    AllInCheckout,
    SoldOut,
    Delisted,
}

pub fn availability(card: &ListingCard) -> Availability {
    if card.status == ListingStatus::Paused {
        Availability::Paused
    } else if card.status != ListingStatus::Live {
        Availability::Delisted
    } else if card.stock > 0 {
        Availability::Available
    } else if card.held > 0 {
        Availability::AllInCheckout
    } else {
        Availability::SoldOut
    }
}

/// The public drop embed: one standard template for every builder (a trust mark).
/// `base`: this site, for an uploaded photo's URL.
pub fn drop_embed(card: &ListingCard, base: &str) -> Message {
    let price = Cents::new(card.price_cents);
    let shipping = Cents::new(card.shipping_cents);
    let guild = GuildTag::parse(&card.guild_tag).unwrap_or(GuildTag::Builder);
    let state = availability(card);
    let mut fields = vec![
        EmbedField::new(
            "🏷️ Price",
            if shipping.get() == 0 {
                format!("**{price}** · free shipping")
            } else {
                format!("**{price}** + {shipping} shipping")
            },
            true,
        ),
        EmbedField::new(
            "Builder",
            format!("<@{}> · {}", card.seller_id, guild.badge()),
            true,
        ),
        EmbedField::new(
            "Type",
            match (card.kind, card.lead_time_weeks) {
                (Kind::Commission, Some(w)) => {
                    format!("✨ Live Build Experience · ships in ~{w} weeks")
                }
                (Kind::Commission, None) => "✨ Live Build Experience".to_owned(),
                _ => "📦 IN STOCK · SHIPS IMMEDIATELY".to_owned(),
            },
            true,
        ),
        EmbedField::new(
            "Stock",
            match state {
                Availability::Available => {
                    format!("🟢 Available ({}/{})", card.stock, card.quantity)
                }
                Availability::AllInCheckout => {
                    "⏳ All in checkout: a unit comes back if a checkout lapses".to_owned()
                }
                Availability::SoldOut if card.waiting > 0 => {
                    format!(
                        "🔴 Sold out · {} in line for a unit that comes back",
                        card.waiting
                    )
                }
                Availability::SoldOut => "🔴 Sold out".to_owned(),
                Availability::Delisted => "Delisted by the builder".to_owned(),
                Availability::Paused => {
                    "⏸️ Paused: the builder's shop is closed for now".to_owned()
                }
            },
            true,
        ),
    ];
    if let Some(limit) = card.per_buyer {
        fields.push(EmbedField::new(
            "Limit",
            format!("{limit} per buyer, so more of the community gets one"),
            true,
        ));
    }
    let raffle_open = card.raffle_closes_at.is_some() && card.raffle_drawn_at.is_none();
    match (&card.raffle_closes_at, &card.raffle_seed) {
        (Some(closes), None) => fields.push(EmbedField::new(
            "🎲 Raffle",
            format!(
                "Enter until <t:{}:R> · {} entered · one entry per account. {}A fair draw picks the buyers; its seed's fingerprint: `{}`",
                (closes / 1000.0) as i64,
                card.raffle_entries,
                match raffle_gates(
                    card.raffle_min_age_days,
                    card.raffle_role_id.as_deref(),
                    card.raffle_min_tier.as_deref(),
                    Surface::Discord,
                ) {
                    gates if gates.is_empty() => gates,
                    gates => format!("{gates} "),
                },
                card.raffle_commitment.as_deref().unwrap_or_default()
            ),
            false,
        )),
        (Some(_), Some(seed)) => fields.push(EmbedField::new(
            "🎲 Raffle drawn",
            format!(
                "{} entries · seed `{seed}` · winners were DMed; check the draw on the drop's page",
                card.raffle_entries
            ),
            false,
        )),
        _ => {}
    }
    if let Some(specs) = card.specs.as_ref().filter(|s| !s.is_empty()) {
        fields.push(EmbedField::new("Specs", md(specs), false));
    }
    if let Some(at) = card.release_at {
        fields.push(EmbedField::new(
            "Release",
            format!("<t:{}:f> (VIPs: 10 minutes early)", (at / 1000.0) as i64),
            false,
        ));
    }
    // Ids come from D1, where only valid ones are written; a bad one just gets no button.
    let buy = ListingId::parse(&card.id).map(|id| CustomId::Buy(id).encode());
    let button = buy.map(|buy| match state {
        Availability::Available if raffle_open => Button::success(
            "Enter the raffle",
            ListingId::parse(&card.id)
                .map(|id| CustomId::Enter(id).encode())
                .unwrap_or(buy),
            Some("🎲"),
        ),
        Availability::Available | Availability::AllInCheckout => {
            Button::success("Buy Now with C500", buy, Some("🛒"))
        }
        Availability::SoldOut => Button::success("Sold out", buy, Some("🔴")).disabled(),
        Availability::Delisted => Button::success("No longer available", buy, None).disabled(),
        Availability::Paused => Button::success("Paused", buy, Some("⏸️")).disabled(),
    });
    // Sold out (or every unit in a checkout): a place in line for a unit that comes back.
    let line = (matches!(state, Availability::SoldOut | Availability::AllInCheckout)
        && !raffle_open)
        .then(|| ListingId::parse(&card.id))
        .flatten()
        .map(|id| {
            Button::secondary(
                "Join the waitlist",
                CustomId::Waitlist(id).encode(),
                Some("🎟️"),
            )
        });
    Message {
        embeds: vec![Embed {
            title: Some(md(&card.title)),
            description: Some(md(&card.description)),
            // The title links to the drop's page on the site (its photos, specs, the shop).
            url: ListingId::parse(&card.id).map(|id| format!("{base}/drops/{id}")),
            color: Some(match state {
                Availability::Available | Availability::AllInCheckout => colour::SAKURA,
                // The brand's sold-out colour: lavender, "instead of harsh red".
                Availability::SoldOut | Availability::Delisted | Availability::Paused => {
                    colour::LAVENDER
                }
            }),
            fields,
            image: card.image_url.as_deref().map(|url| EmbedMedia {
                url: crate::config::absolute(base, url),
            }),
            footer: Some(EmbedFooter {
                text: "Powered by the C500 Collective | Verified Build".to_owned(),
            }),
            ..Embed::default()
        }],
        components: button
            .map(|b| vec![ActionRow::new(std::iter::once(b).chain(line).collect())])
            .unwrap_or_default(),
        ..Message::default()
    }
}

fn order_link(base: &str, order: &OrderView) -> Button {
    Button::link(
        "Order status",
        format!("{base}/orders/{}", order.status_token),
        Some("📦"),
    )
}

/// The DM to a buyer whose turn in a drop's line came: a unit held for them, and Buy.
pub fn waitlist_offer(offer: &crate::store::buying::HoldCheckout) -> Message {
    let buy = ListingId::parse(&offer.listing_id).map(|id| CustomId::Buy(id).encode());
    Message {
        embeds: vec![Embed {
            title: Some("🎟️ Your turn!".to_owned()),
            description: Some(format!(
                "A unit of **{}** came back and it's held for you until <t:{}:R>. Click Buy for your secure checkout link: your 30 minutes to pay start then. C500 holds the payment until the builder proves the work.",
                md(&offer.title),
                (offer.hold_expires_at / 1000.0) as i64
            )),
            color: Some(colour::SAKURA),
            footer: Some(EmbedFooter {
                text: "Not for you any more? Let it lapse and it goes to the next person in line.".to_owned(),
            }),
            ..Embed::default()
        }],
        components: buy
            .map(|buy| vec![ActionRow::new(vec![Button::success("Buy Now with C500", buy, Some("🛒"))])])
            .unwrap_or_default(),
        ..Message::default()
    }
}

/// The buyer's confirmation DM.
pub fn order_confirmed(order: &OrderView, base: &str) -> Message {
    let next = if order.kind == Kind::Commission {
        "Your builder will go live on Twitch while building it: we'll DM you the stream link."
    } else {
        "Your builder ships it next: we'll DM you the tracking number."
    };
    Message {
        embeds: vec![Embed {
            title: Some("🎉 Order Confirmed!".to_owned()),
            description: Some(format!(
                "Hurray! Your purchase of **{}** is confirmed. C500 holds your payment until your builder proves the work.",
                md(&order.title)
            )),
            color: Some(colour::MINT),
            fields: vec![
                EmbedField::new("Total Paid", Cents::new(order.gross_cents).to_string(), true),
                EmbedField::new("Order #", format!("`{}`", order.id), true),
                EmbedField::new("What's Next?", next, false),
            ],
            footer: Some(EmbedFooter {
                text: "Thank you for supporting C500 builders!".to_owned(),
            }),
            ..Embed::default()
        }],
        components: vec![ActionRow::new(vec![order_link(base, order)])],
        ..Message::default()
    }
}

/// The builder's new-order notice (in the server's orders channel, else by DM).
pub fn new_order(order: &OrderView, in_channel: bool) -> Message {
    let shipping = if order.kind == Kind::Commission {
        "Go live with `/c500 live order` while you build it, then `/c500 ship`."
    } else {
        "Ship it, then `/c500 ship` with the tracking number to release your payout."
    };
    Message {
        content: in_channel.then(|| format!("<@{}>", order.seller_id)),
        embeds: vec![Embed {
            title: Some(format!("🔔 NEW ORDER! Order #{}", order.id)),
            description: Some(format!(
                "**{}** (x1) for <@{}>. Paid {}; your payout after C500's fee is **{}**, held by C500 until you ship.\n{shipping}",
                md(&order.title),
                order.buyer_id,
                Cents::new(order.gross_cents),
                Cents::new(order.payout_cents),
            )),
            color: Some(colour::DREAMY),
            ..Embed::default()
        }],
        allowed_mentions: AllowedMentions {
            users: if in_channel {
                vec![order.seller_id.clone()]
            } else {
                Vec::new()
            },
            ..AllowedMentions::default()
        },
        ..Message::default()
    }
}

/// The buyer paid after their hold lapsed and the drop sold out meanwhile.
pub fn late_payment_refunded(order: &OrderView) -> Message {
    embed_only(Embed {
        title: Some("💸 Refunded in full".to_owned()),
        description: Some(format!(
            "Your payment for **{}** arrived after your 30-minute hold had ended, and the last unit had sold meanwhile. We never oversell, so C500 refunded all {} to you (order `{}`). It shows on your statement in 5–10 days.",
            md(&order.title),
            Cents::new(order.gross_cents),
            order.id
        )),
        color: Some(colour::LAVENDER),
        ..Embed::default()
    })
}

/// What C500 shows of a refused payment: the amount charged and the price asked, and why.
fn refused_terms(p: &RefusedPayment) -> (String, String, &'static str) {
    let why = if p.refused == "currency" {
        "it wasn't in US dollars"
    } else {
        "it wasn't the drop's price"
    };
    (
        money::charged(p.charged_cents, &p.currency),
        Cents::new(p.asked_cents).to_string(),
        why,
    )
}

/// DM: a payment C500 did not ask for was refunded, and nothing was ordered.
pub fn refused_payment_refunded(p: &RefusedPayment) -> Message {
    let (charged, asked, why) = refused_terms(p);
    embed_only(Embed {
        title: Some("💸 Refunded in full".to_owned()),
        description: Some(format!(
            "Stripe charged you {charged} for **{}**, but {why} ({asked}), so C500 made no order from it and refunded all {charged} to you (ref `{}`). It shows on your statement in 5–10 days. The unit is back on sale if you'd like to try again.",
            md(&p.title),
            p.id
        )),
        color: Some(colour::LAVENDER),
        ..Embed::default()
    })
}

/// HQ: a payment that was not what C500 asked Stripe for.
pub fn hq_refused_payment(p: &RefusedPayment) -> Message {
    let (charged, asked, why) = refused_terms(p);
    Message {
        embeds: vec![Embed {
            title: Some("⚠️ Payment refused: not what C500 asked for".to_owned()),
            description: Some(format!(
                "Checkout `{}` for **{}** (ref `{}`, buyer <@{}>, builder <@{}>) was paid {charged}, but {why} ({asked}). C500 made no order from it and is refunding it in full. Nothing in C500 asks for that: look at the session and the account's Checkout settings in the Stripe Dashboard.",
                p.checkout_session_id.as_deref().unwrap_or("?"),
                md(&p.title),
                p.id,
                p.buyer_id,
                p.seller_id
            )),
            color: Some(colour::OOPS),
            fields: vec![
                EmbedField::new("Charged", charged, true),
                EmbedField::new("Asked", asked, true),
                EmbedField::new("Escrow", p.escrow.label(), true),
            ],
            ..Embed::default()
        }],
        ..Message::default()
    }
}

fn embed_only(embed: Embed) -> Message {
    Message {
        embeds: vec![embed],
        ..Message::default()
    }
}

/// A refund landed (from the builder, HQ or the Stripe Dashboard).
pub fn order_refunded(order: &OrderView, base: &str) -> Message {
    Message {
        embeds: vec![Embed {
            title: Some("↩️ Order refunded".to_owned()),
            description: Some(format!(
                "Your order `{}` for **{}** was refunded ({}). It shows on your statement in 5–10 days.",
                order.id,
                md(&order.title),
                Cents::new(order.gross_cents)
            )),
            color: Some(colour::LAVENDER),
            ..Embed::default()
        }],
        components: vec![ActionRow::new(vec![order_link(base, order)])],
        ..Message::default()
    }
}

/// The buyer's DM when their commission is proven live on the workbench.
pub fn live_proof(order: &OrderView, base: &str) -> Message {
    let link = order.stream_url.clone().unwrap_or_default();
    Message {
        embeds: vec![Embed {
            title: Some("✨ Exciting News!".to_owned()),
            description: Some(format!(
                "Your order (`{}`) is on the workbench RIGHT NOW.\n\nWatch **{}** being built live here: {link}",
                order.id, md(&order.title)
            )),
            color: Some(colour::SAKURA),
            ..Embed::default()
        }],
        components: vec![ActionRow::new(vec![
            Button::link("Watch live", link, Some("🔴")),
            order_link(base, order),
        ])],
        ..Message::default()
    }
}

/// The buyer's "it's on its way" DM, with the carrier's tracking link.
pub fn shipped(order: &OrderView, base: &str) -> Message {
    let carrier = order.carrier.as_deref().unwrap_or_default();
    let tracking = order.tracking.as_deref().unwrap_or_default();
    let number = match crate::domain::fulfilment::tracking_url(carrier, tracking) {
        Some(url) => format!("[{}]({url})", md(tracking)),
        None => md(tracking),
    };
    Message {
        embeds: vec![Embed {
            title: Some("📦 Order Dispatched!".to_owned()),
            description: Some(format!(
                "Your **{}** is on its way with {}. Tracking: {number}",
                md(&order.title),
                crate::domain::fulfilment::carrier_name(carrier)
            )),
            color: Some(colour::MINT),
            fields: vec![EmbedField::new("Order #", format!("`{}`", order.id), true)],
            footer: Some(EmbedFooter {
                text: "Something wrong when it arrives? /c500 report in a DM with C500 reaches HQ."
                    .to_owned(),
            }),
            ..Embed::default()
        }],
        components: vec![ActionRow::new(vec![order_link(base, order)])],
        ..Message::default()
    }
}

/// HQ's flag on a commission with no live proof a week past its promised date.
pub fn overdue_hq(order: &OrderView) -> Message {
    embed_only(Embed {
        title: Some("⏰ Overdue commission".to_owned()),
        description: Some(format!(
            "Order `{}` (**{}**) by <@{}> for <@{}> has no live proof 7 days past its promised date. The buyer may be refunded with `/c500 refund`.",
            order.id, md(&order.title), order.seller_id, order.buyer_id
        )),
        color: Some(colour::OOPS),
        ..Embed::default()
    })
}

/// The buyer's side of an overdue commission.
pub fn overdue_buyer(order: &OrderView, base: &str) -> Message {
    Message {
        embeds: vec![Embed {
            title: Some("⏰ Your commission is running late".to_owned()),
            description: Some(format!(
                "**{}** (order `{}`) hasn't been shown on the workbench a week past its promised date. C500 HQ has been told and will follow up; C500 still holds your payment.",
                md(&order.title), order.id
            )),
            color: Some(colour::LAVENDER),
            ..Embed::default()
        }],
        components: vec![ActionRow::new(vec![order_link(base, order)])],
        ..Message::default()
    }
}

/// HQ's ticket for a buyer's report (the builder never sees it).
pub fn hq_report(r: &crate::store::hq::ReportView) -> Message {
    embed_only(Embed {
        title: Some(format!("🚩 Report {}", r.id)),
        description: Some(format!(
            "<@{}> reported order `{}` (**{}**) by <@{}>:\n> {}\n\nResolve with `/c500-hq resolve report:{}`. The builder has not been told.",
            r.reporter_id,
            r.order_id,
            md(&r.title),
            r.seller_id,
            md(&r.reason),
            r.id
        )),
        color: Some(colour::OOPS),
        fields: vec![
            EmbedField::new("Order status", r.order_status.label(), true),
            EmbedField::new("Escrow", r.escrow.label(), true),
        ],
        ..Embed::default()
    })
}

/// The reporter's DM once HQ resolved their report.
pub fn report_resolved(r: &crate::store::hq::ReportView) -> Message {
    embed_only(Embed {
        title: Some(format!("Your report {} is resolved", r.id)),
        description: Some(format!(
            "About order `{}` (**{}**). C500 HQ: {}",
            r.order_id,
            md(&r.title),
            md(r.resolution.as_deref().unwrap_or("resolved"))
        )),
        color: Some(colour::DREAMY),
        ..Embed::default()
    })
}

/// The DM a banned user gets (the design notes' wording).
pub fn ban_notice(reason: &str) -> Message {
    embed_only(Embed {
        title: Some("⛔ Banned from C500".to_owned()),
        description: Some(format!(
            "You have been globally blacklisted from the C500 Marketplace for {}. To appeal, contact C500 HQ.",
            md(reason)
        )),
        color: Some(colour::OOPS),
        ..Embed::default()
    })
}

/// HQ's alert about a payment dispute.
pub fn hq_dispute(order: &OrderView, dispute: &str, opened: bool) -> Message {
    let (title, what) = if opened {
        (
            "⚠️ Payment dispute opened",
            "The order is frozen: nothing is released while the dispute is open.",
        )
    } else {
        (
            "Payment dispute closed",
            "See the order's timeline for the outcome; a lost dispute bans the buyer.",
        )
    };
    Message {
        embeds: vec![Embed {
            title: Some(title.to_owned()),
            description: Some(format!(
                "Order `{}` (**{}**), buyer <@{}>, builder <@{}>. Dispute `{dispute}`. {what}",
                order.id,
                md(&order.title),
                order.buyer_id,
                order.seller_id
            )),
            color: Some(colour::OOPS),
            fields: vec![
                EmbedField::new("Status", order.status.label(), true),
                EmbedField::new("Escrow", order.escrow.label(), true),
                EmbedField::new("Gross", Cents::new(order.gross_cents).to_string(), true),
            ],
            ..Embed::default()
        }],
        ..Message::default()
    }
}

/// HQ's ticket for a builder who owes C500: a refund or lost dispute after their payout,
/// and Stripe refused to take their share back (their balance is short).
pub fn hq_owed(order: &OrderView, cents: i64) -> Message {
    Message {
        embeds: vec![Embed {
            title: Some("🧾 A builder owes C500".to_owned()),
            description: Some(format!(
                "Order `{}` (**{}**): the buyer <@{}> got money back after the payout, and Stripe refused to take \
                 **{}** back from the builder <@{}> (their balance is short). It stays on the builder's record; \
                 C500 asks Stripe again every day. `/c500-hq absorb order:{}` takes the loss on C500 instead.",
                order.id, md(&order.title), order.buyer_id, Cents::new(cents), order.seller_id, order.id
            )),
            color: Some(colour::OOPS),
            fields: vec![
                EmbedField::new("Status", order.status.label(), true),
                EmbedField::new("Escrow", order.escrow.label(), true),
                EmbedField::new("Owed", Cents::new(cents).to_string(), true),
            ],
            ..Embed::default()
        }],
        ..Message::default()
    }
}

/// A report for HQ whose text was written when it was queued (reconciliation).
pub fn hq_notice(title: &str, body: &str) -> Message {
    Message {
        embeds: vec![Embed {
            title: Some(title.chars().take(256).collect()),
            description: Some(body.chars().take(4000).collect()),
            color: Some(colour::LAVENDER),
            ..Embed::default()
        }],
        ..Message::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_held_unit_waiting_for_its_checkout_is_told_roughly_when() {
        let (title, words) = held_early(300.0, Surface::Discord);
        assert!(title.contains("You're in"));
        assert!(
            words.contains("appear right here in about 1 second;"),
            "{words}"
        );
        assert!(words.contains("checkout link is being made"));
        assert!(words.contains("C500 holds the payment"));
        // The turn plus about half a second for Stripe, rounded up.
        assert!(held_early(1_600.0, Surface::Discord)
            .1
            .contains("in about 3 seconds;"));
        assert!(held_early(2_000.0, Surface::Discord)
            .1
            .contains("in about 3 seconds;"));
        let (_, web) = held_early(2_000.0, Surface::Web);
        assert!(
            web.contains("ready in about 3 seconds: then click below to open it;"),
            "{web}"
        );
    }

    #[test]
    fn a_raffles_gates_read_as_one_sentence_per_surface() {
        assert_eq!(raffle_gates(None, None, None, Surface::Discord), "");
        assert_eq!(
            raffle_gates(Some(30), None, None, Surface::Web),
            "Open to Discord accounts at least 30 days old."
        );
        assert_eq!(
            raffle_gates(Some(30), Some("42"), Some("vip"), Surface::Discord),
            "Open to Discord accounts at least 30 days old, members with <@&42> and VIPs."
        );
        let web = raffle_gates(None, Some("42"), Some("member"), Surface::Web);
        assert!(
            !web.contains("<@&"),
            "the site cannot render a role mention: {web}"
        );
        assert!(web.contains("enter from the drop's post in Discord"));
        assert!(web.ends_with("and Members and VIPs."));
        // A tier name D1 would never hold is no gate rather than a wrong one.
        assert_eq!(raffle_gates(None, None, Some("guest?"), Surface::Web), "");
    }

    /// A hostile text: a masked link, a header, a mention, @everyone and code.
    const HOSTILE: &str = "[Claim your refund](https://evil.example)\n# FREE <@666> @everyone `x`";

    /// Every string a message carries where Discord renders markdown.
    fn rendered(message: &Message) -> Vec<String> {
        let value = serde_json::to_value(message).unwrap();
        let mut out = vec![value["content"].as_str().unwrap_or_default().to_owned()];
        for embed in value["embeds"].as_array().into_iter().flatten() {
            for key in ["title", "description"] {
                out.push(embed[key].as_str().unwrap_or_default().to_owned());
            }
            for field in embed["fields"].as_array().into_iter().flatten() {
                out.push(field["name"].as_str().unwrap_or_default().to_owned());
                out.push(field["value"].as_str().unwrap_or_default().to_owned());
            }
        }
        out
    }

    fn assert_inert(name: &str, message: &Message) {
        for text in rendered(message) {
            for raw in [
                "[Claim your refund]",
                "(https://evil",
                "\n# FREE",
                "<@666>",
                " @everyone",
                "`x`",
            ] {
                assert!(!text.contains(raw), "{name}: {raw:?} survives in {text:?}");
            }
        }
        let all = rendered(message).join("\n");
        assert!(
            all.contains(r"\[Claim your refund\]"),
            "{name}: the text is shown, escaped: {all}"
        );
    }

    fn order() -> OrderView {
        serde_json::from_value(json!({
            "id": "C5-7K2M9QAB", "status_token": "tok", "status": "paid", "escrow": "held",
            "kind": "commission", "buyer_id": "1", "seller_id": "2", "guild_id": null,
            "listing_id": "D-1", "title": HOSTILE, "image_url": null, "item_cents": 45000,
            "shipping_cents": 1500, "gross_cents": 46500, "fee_cents": 4650, "payout_cents": 41850,
            "paid_at": 0.0, "promised_by": null, "orders_channel_id": null, "carrier": "usps",
            "tracking": "9400 1000", "stream_url": "https://twitch.tv/keyz"
        }))
        .unwrap()
    }

    #[test]
    fn a_sold_out_drop_offers_its_waitlist_and_shows_its_limit() {
        let card = |stock: i64, held: i64, waiting: i64| -> ListingCard {
            serde_json::from_value(json!({
                "id": "D-ABCDEFGH", "seller_id": "2", "channel_id": null, "message_id": null,
                "kind": "ready_to_ship", "title": "Board", "description": "d", "specs": null,
                "image_url": null, "guild_tag": "builder", "price_cents": 45000, "shipping_cents": 0,
                "lead_time_weeks": null, "quantity": 3, "stock": stock, "held": held,
                "status": "live", "release_at": null, "waiting": waiting, "per_buyer": 1,
                "raffle_closes_at": null, "raffle_drawn_at": null, "raffle_commitment": null,
                "raffle_seed": null, "raffle_entries": 0
            }))
            .unwrap()
        };
        let buttons =
            |m: &Message| serde_json::to_value(&m.components).unwrap()[0]["components"].clone();
        let open = drop_embed(&card(2, 0, 0), "https://c500.store");
        assert_eq!(
            buttons(&open).as_array().unwrap().len(),
            1,
            "on sale: Buy only"
        );
        let fields = serde_json::to_string(&open.embeds[0].fields).unwrap();
        assert!(fields.contains("1 per buyer"), "{fields}");
        let sold = drop_embed(&card(0, 0, 4), "https://c500.store");
        let b = buttons(&sold);
        assert_eq!(b[0]["disabled"], json!(true));
        assert_eq!(b[1]["custom_id"], json!("c5:v1:line:D-ABCDEFGH"));
        assert!(b[1].get("disabled").is_none());
        assert!(serde_json::to_string(&sold.embeds[0].fields)
            .unwrap()
            .contains("4 in line"));
        let in_checkout = drop_embed(&card(0, 2, 0), "https://c500.store");
        assert_eq!(
            buttons(&in_checkout)[1]["custom_id"],
            json!("c5:v1:line:D-ABCDEFGH")
        );
    }

    #[test]
    fn user_text_is_escaped_in_every_message_c500_sends() {
        let card: ListingCard = serde_json::from_value(json!({
            "id": "D-ABCDEFGH", "seller_id": "2", "channel_id": null, "message_id": null,
            "kind": "ready_to_ship", "title": HOSTILE, "description": HOSTILE, "specs": HOSTILE,
            "image_url": null, "guild_tag": "", "price_cents": 45000, "shipping_cents": 0,
            "lead_time_weeks": null, "quantity": 3, "stock": 3, "held": 0, "status": "live",
            "release_at": null, "waiting": 0, "per_buyer": 2, "raffle_closes_at": null,
            "raffle_drawn_at": null, "raffle_commitment": null, "raffle_seed": null, "raffle_entries": 0
        }))
        .unwrap();
        let report: crate::store::hq::ReportView = serde_json::from_value(json!({
            "id": "R-1", "order_id": "C5-7K2M9QAB", "reporter_id": "1", "reason": HOSTILE,
            "status": "resolved", "resolution": HOSTILE, "seller_id": "2", "title": HOSTILE,
            "order_status": "paid", "escrow": "held"
        }))
        .unwrap();
        let refused: RefusedPayment = serde_json::from_value(json!({
            "id": "C5-7K2M9QAB", "buyer_id": "1", "seller_id": "2", "title": HOSTILE,
            "refused": "amount", "currency": "usd", "charged_cents": 100, "asked_cents": 45000,
            "checkout_session_id": "cs_1", "escrow": "held"
        }))
        .unwrap();
        let offer: crate::store::buying::HoldCheckout = serde_json::from_value(json!({
            "hold_id": "C5-7K2M9QAB", "listing_id": "D-ABCDEFGH", "seller_id": "2", "title": HOSTILE,
            "image_url": null, "hold_item_cents": 45000, "hold_shipping_cents": 0, "hold_expires_at": 1.0e12
        }))
        .unwrap();
        let o = order();
        let base = "https://c500.store";
        assert_eq!(
            drop_embed(&card, base).embeds[0].url.as_deref(),
            Some("https://c500.store/drops/D-ABCDEFGH"),
            "the embed links back to the drop's page"
        );
        let table: Vec<(&str, Message)> = vec![
            ("drop_embed", drop_embed(&card, base)),
            ("waitlist_offer", waitlist_offer(&offer)),
            ("order_confirmed", order_confirmed(&o, base)),
            ("new_order in channel", new_order(&o, true)),
            ("new_order by DM", new_order(&o, false)),
            ("late_payment_refunded", late_payment_refunded(&o)),
            ("order_refunded", order_refunded(&o, base)),
            ("live_proof", live_proof(&o, base)),
            ("shipped", shipped(&o, base)),
            ("overdue_hq", overdue_hq(&o)),
            ("overdue_buyer", overdue_buyer(&o, base)),
            ("hq_report", hq_report(&report)),
            ("report_resolved", report_resolved(&report)),
            ("ban_notice", ban_notice(HOSTILE)),
            ("hq_dispute opened", hq_dispute(&o, "dp_1", true)),
            ("hq_dispute closed", hq_dispute(&o, "dp_1", false)),
            ("hq_owed", hq_owed(&o, 41850)),
            (
                "refused_payment_refunded",
                refused_payment_refunded(&refused),
            ),
            ("hq_refused_payment", hq_refused_payment(&refused)),
        ];
        for (name, message) in &table {
            assert_inert(name, message);
        }
    }
}

/// Where an answer is read: Discord renders `<t:…:R>` timestamps and knows the slash
/// commands; the site shows UTC times and links its own pages. The words are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Discord,
    Web,
}

impl Surface {
    /// A moment, as this surface shows one ("in 5 minutes" in Discord, a UTC time on the site).
    pub fn when(self, ms: f64) -> String {
        match self {
            Surface::Discord => format!("<t:{}:R>", (ms / 1000.0) as i64),
            Surface::Web => format!("on {} UTC", crate::domain::dates::utc_minute(ms)),
        }
    }

    fn orders(self) -> &'static str {
        match self {
            Surface::Discord => "`/c500 orders`",
            Surface::Web => "My orders",
        }
    }

    fn strong(self, words: &str) -> String {
        match self {
            Surface::Discord => format!("**{words}**"),
            Surface::Web => words.to_owned(),
        }
    }
}

/// A buyer's place in a drop's line, as the Buy and Join answers say it.
pub fn in_line(place: i64, on: Surface) -> String {
    match place {
        1 => format!("You're {}.", on.strong("next in line")),
        n => format!("You're {}.", on.strong(&format!("#{n} in line"))),
    }
}

/// What comes after the place: how a unit that comes back reaches the buyer.
pub const LINE_PROMISE: &str = "When a unit comes back (a checkout not finished in time, or a refund before shipping), it's held for the next person in line and we DM them a Buy button.";

/// Why a Buy (or a Join, or an Enter) was refused: a title and the explanation.
pub fn refusal(refusal: &crate::domain::buying::Refusal, on: Surface) -> (&'static str, String) {
    use crate::domain::buying::Refusal;
    let line = |lead: &str, place: &Option<i64>| match place {
        Some(place) => format!("{lead} {} {LINE_PROMISE}", in_line(*place, on)),
        None => format!("{lead} Join the waitlist for one that comes back: {LINE_PROMISE}"),
    };
    match refusal {
        Refusal::Banned => ("You can't buy on C500", "Your account is banned across the Collective. If you think this is a mistake, contact C500 HQ.".to_owned()),
        Refusal::NoSuchDrop => ("Drop not found", "This drop doesn't exist any more.".to_owned()),
        Refusal::Delisted => ("No longer available", "The builder took this drop down. Keep an eye on the shop channel for the next one!".to_owned()),
        Refusal::SellerPaused => ("This shop is paused", "The builder can't take orders right now, so this drop is off sale until their shop is back. Nothing was charged.".to_owned()),
        Refusal::OwnDrop => ("That's your own drop", "You can't buy from yourself. Share it with your community instead!".to_owned()),
        Refusal::NotReleased { at_ms } => ("Not released yet", format!("This drop opens {}. VIPs get in 10 minutes early.", on.when(*at_ms))),
        Refusal::OverCap { tier, cap } => ("Over your purchase cap", format!("As a {} you can buy items up to {cap} each. {}", tier.label(), tier.how_to_grow())),
        Refusal::OverLimit { limit } => ("You have your share", format!("This drop allows {limit} per buyer, so more of the community gets one. Your orders are in {}.", on.orders())),
        Refusal::SoldOut { place } => ("Too late, it's gone!", line("Every unit is sold or in someone's checkout.", place)),
        Refusal::LineFirst { place } => ("Waitlist first", line("A unit just came back, and it goes to the people waiting in line first.", place)),
        Refusal::Raffle { closes_at_ms } => ("This drop is a raffle", format!("Enter it instead: one entry per account, entries close {}, then a fair draw picks the buyers and DMs them a Buy button.", on.when(*closes_at_ms))),
        Refusal::Busy => busy(),
    }
}

fn busy() -> (&'static str, String) {
    (
        "So many clicks!",
        "We couldn't hold a unit for you just now. Please click Buy again.".to_owned(),
    )
}

/// The first answer to a Buy whose unit is held while its Checkout Session waits for its
/// turn (`wait_ms` until then); on Discord the link replaces it, on the site a button
/// fetches it. The Checkout's 30 minutes start when it is made: the hold runs 31 minutes and
/// the click gives up after 20 s.
pub fn held_early(wait_ms: f64, on: Surface) -> (&'static str, String) {
    let seconds = ((wait_ms + 500.0) / 1000.0).ceil().max(1.0) as u32;
    let plural = if seconds == 1 { "" } else { "s" };
    let when = match on {
        Surface::Discord => format!("will appear right here in about {seconds} second{plural}"),
        Surface::Web => {
            format!("will be ready in about {seconds} second{plural}: then click below to open it")
        }
    };
    (
        "🌸 You're in! A unit is held for you",
        format!(
            "Your secure checkout link is being made and {when}; you'll have 30 minutes to pay from then. C500 holds the payment until the builder proves the work."
        ),
    )
}

/// A Buy that did not end in a link, in words (the link itself each surface shows its way).
pub fn bought(b: &crate::flows::buying::Bought, on: Surface) -> (&'static str, String) {
    use crate::flows::buying::Bought;
    match b {
        Bought::Link { hold_expires_at_ms, .. } => (
            "🌸 Great choice!",
            format!(
                "We've reserved this item for you for 30 minutes. Click below to pay securely via Stripe; C500 holds the payment until the builder proves the work.{}",
                hold_expires_at_ms.map(|ms| format!(" Your hold ends {}.", on.when(ms))).unwrap_or_default()
            ),
        ),
        Bought::Refused(r) => refusal(r, on),
        Bought::AlmostReady => ("Almost ready", "Your checkout is being prepared. Click Buy again in a moment.".to_owned()),
        Bought::OneMoment => ("One moment", "You clicked Buy a moment ago. Give it a few seconds, then click again.".to_owned()),
        Bought::Busy => busy(),
        Bought::StripeUnavailable => ("Stripe didn't answer", "Nothing was charged and nothing is held. Please try again in a moment.".to_owned()),
    }
}

/// A Join the waitlist, in words.
pub fn joined(j: &crate::flows::buying::Joined, on: Surface) -> (&'static str, String) {
    use crate::flows::buying::Joined;
    match j {
        Joined::Refused(r) => refusal(r, on),
        Joined::Held => (
            "A unit is held for you",
            "Click Buy for your secure checkout link.".to_owned(),
        ),
        Joined::InLine { place, free_now } => (
            "🎟️ You're on the waitlist!",
            format!(
                "{} {LINE_PROMISE}{}",
                in_line(*place, on),
                if *free_now {
                    " A unit is free right now: click Buy to take it."
                } else {
                    ""
                }
            ),
        ),
        Joined::Failed => (
            "Couldn't join the line",
            "We couldn't add you to the waitlist just now. Please try again.".to_owned(),
        ),
    }
}

/// Who may enter a raffle, in words ("" when anyone may): the builder's gates, shown on the
/// embed and the drop page before anyone clicks.
pub fn raffle_gates(
    min_age_days: Option<i64>,
    role_id: Option<&str>,
    min_tier: Option<&str>,
    on: Surface,
) -> String {
    let mut who = Vec::new();
    if let Some(days) = min_age_days {
        who.push(format!("Discord accounts at least {days} days old"));
    }
    if let Some(role) = role_id {
        who.push(match on {
            Surface::Discord => format!("members with <@&{role}>"),
            Surface::Web => "members with the builder's chosen role in their Discord server (enter from the drop's post in Discord)".to_owned(),
        });
    }
    if let Some(tier) = min_tier.and_then(crate::domain::trust::Tier::parse) {
        who.push(tier_group(tier).to_owned());
    }
    match who.as_slice() {
        [] => String::new(),
        [only] => format!("Open to {only}."),
        [first @ .., last] => format!("Open to {} and {last}.", first.join(", ")),
    }
}

/// The buyers a tier gate lets in.
fn tier_group(t: crate::domain::trust::Tier) -> &'static str {
    use crate::domain::trust::Tier;
    match t {
        Tier::Vip => "VIPs",
        Tier::Member | Tier::Guest => "Members and VIPs",
    }
}

/// An Enter the raffle, in words.
pub fn entered(e: &crate::flows::buying::Entered, on: Surface) -> (&'static str, String) {
    use crate::flows::buying::Entered;
    match e {
        Entered::Refused(r) => refusal(r, on),
        Entered::NotARaffle => ("Not a raffle", "This drop is sold first come: click Buy instead.".to_owned()),
        Entered::In { entries, closes_at_ms, commitment } => (
            "🎲 You're in the raffle!",
            format!(
                "{entries} entries so far, one per account. The draw is {}: the winners get a DM with a Buy button, and everyone else keeps their place in line in the drawn order. The draw is fair and checkable: its seed's fingerprint is {}, and the seed is published at the draw (see the drop's page).",
                on.when(*closes_at_ms),
                match on { Surface::Discord => format!("`{commitment}`"), Surface::Web => commitment.clone() }
            ),
        ),
        Entered::Closed => ("Entries are closed", "This raffle has closed. If units are left after the winners, Buy and the waitlist open on the drop.".to_owned()),
        Entered::NotOpen { at_ms } => ("Not open yet", format!("Entries open {}.", on.when(*at_ms))),
        Entered::TooNew { days } => ("Your account is too new", format!("This raffle takes entries from Discord accounts at least {days} days old, so bots can't crowd out the community.")),
        Entered::NeedsRole { role, known: true } => (
            "This raffle is for a role",
            format!("The builder opened this raffle to members with <@&{role}> in their server. Ask in the server how to get the role, then enter again."),
        ),
        Entered::NeedsRole { known: false, .. } => (
            "Enter from Discord",
            match on {
                Surface::Discord => "This raffle is for members with a role in the builder's server: enter from the drop's post in that server, where Discord shows C500 your roles.".to_owned(),
                Surface::Web => "This raffle is for members with a role in the builder's Discord server, which only Discord can show C500: enter from the drop's post in Discord.".to_owned(),
            },
        ),
        Entered::TierTooLow { needed, have } => (
            "This raffle is for a higher tier",
            format!(
                "The builder opened this raffle to {} and you're a {} for now. {}",
                tier_group(*needed),
                have.label(),
                have.how_to_grow()
            ),
        ),
        Entered::Failed => ("Couldn't enter", "We couldn't add your entry just now. Please try again.".to_owned()),
    }
}

/// What an open order needs next from its builder (`/c500 queue`, the dashboard).
pub fn next_step(o: &crate::store::fulfilment::QueueRow, on: Surface) -> String {
    use crate::domain::order::OrderStatus;
    let proven = o.stream_url.is_some() || o.proof_waived_by.is_some();
    let command = |c: String| match on {
        Surface::Discord => format!("`{c}`"),
        Surface::Web => c,
    };
    match (o.status, o.kind, proven) {
        (OrderStatus::Shipped, _, _) => {
            "Payout pending: C500 pays out as soon as it can (it retries every minute)".to_owned()
        }
        (_, Kind::Commission, false) => format!(
            "Go live while you build it: {}",
            command(format!("/c500 live order order:{}", o.id))
        ),
        _ => format!("Ship it: {}", command(format!("/c500 ship order:{}", o.id))),
    }
}
