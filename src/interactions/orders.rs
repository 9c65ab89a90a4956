//! `/c500 orders`: the buyer's orders across the whole Collective, newest first, five to a
//! page with Newer/Older buttons. Works in DMs too (the invoker is `user` there).

use super::{later, Answer, UserError};
use crate::config;
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{
    colour, ActionRow, Button, Embed, EmbedField, EmbedFooter, InteractionResponse, Message,
};
use crate::domain::custom_id::CustomId;
use crate::domain::markdown::escape as md;
use crate::domain::money::Cents;
use crate::domain::seller::GuildTag;
use crate::store::orders::{self, OrderRow};

pub const PER_PAGE: u32 = 5;

/// `paging`: a Newer/Older click (the message is updated in place) rather than the command.
pub(super) fn show(interaction: &Interaction, page: u32, paging: bool, cx: &Cx) -> Answer {
    let Some(buyer) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let cx = cx.clone();
    let env = cx.env.clone();
    let work = async move {
        let db = cx.db()?;
        let (rows, more) = orders::buyer_orders(&db, &buyer, page, PER_PAGE).await?;
        Ok((rows, more, config::public_base_url(&env)))
    };
    later(
        "orders_failed",
        UserError::Internal,
        work,
        move |(rows, more, base)| {
            let message = collection(&rows, page, more, &base);
            if paging {
                InteractionResponse::update(message)
            } else {
                InteractionResponse::message(message)
            }
        },
    )
}

fn order_field(o: &OrderRow, base: &str) -> EmbedField {
    let badge = GuildTag::parse(&o.guild_tag)
        .unwrap_or(GuildTag::Builder)
        .badge();
    let mut status = o.status.label().to_owned();
    if let Some(url) = &o.stream_url {
        status.push_str(&format!(" (Live Stream Proof: {url})"));
    }
    if let (Some(carrier), Some(tracking)) = (&o.carrier, &o.tracking) {
        status.push_str(&format!(" (Tracking: {carrier} {})", md(tracking)));
    }
    EmbedField::new(
        format!("{} (Order #{})", md(&o.title), o.id),
        format!(
            "Builder <@{}> ({badge})\nStatus {status}\nPrice {}\n[Order page]({base}/orders/{})",
            o.seller_id,
            Cents::new(o.gross_cents),
            o.status_token
        ),
        false,
    )
}

pub fn collection(rows: &[OrderRow], page: u32, more: bool, base: &str) -> Message {
    let description = if rows.is_empty() && page == 0 {
        "No orders yet. Find a drop in any C500 server and click **Buy**!".to_owned()
    } else {
        format!("Page {}", page + 1)
    };
    let mut message = Message::ephemeral_embed(Embed {
        title: Some("My Cozy Collection 📦".to_owned()),
        description: Some(description),
        color: Some(colour::DREAMY),
        fields: rows.iter().map(|o| order_field(o, base)).collect(),
        footer: Some(EmbedFooter {
            text: "Need help with an order? Contact the builder directly in their server."
                .to_owned(),
        }),
        ..Embed::default()
    });
    if page > 0 || more {
        let newer = Button::secondary(
            "Newer",
            CustomId::OrdersPage(page.saturating_sub(1)).encode(),
            Some("◀️"),
        );
        let older = Button::secondary("Older", CustomId::OrdersPage(page + 1).encode(), Some("▶️"));
        message.components = vec![ActionRow::new(vec![
            if page == 0 { newer.disabled() } else { newer },
            if more { older } else { older.disabled() },
        ])];
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> OrderRow {
        OrderRow {
            id: id.into(),
            status_token: "t".repeat(32),
            status: crate::domain::order::OrderStatus::Paid,
            escrow: crate::domain::escrow::Escrow::Held,
            title: "Snow White TKL".into(),
            item_cents: 45_000,
            shipping_cents: 0,
            gross_cents: 45_000,
            promised_by: None,
            seller_id: "2".into(),
            guild_tag: "artisan".into(),
            carrier: None,
            tracking: None,
            stream_url: None,
            created_at: 0.0,
        }
    }

    #[test]
    fn pages_have_buttons_only_when_there_is_somewhere_to_go() {
        let one = collection(&[row("C5-AAAAAA")], 0, false, "https://c500.store");
        assert!(one.components.is_empty());
        let json = serde_json::to_string(&one).unwrap();
        assert!(json.contains("Snow White TKL (Order #C5-AAAAAA)"), "{json}");
        assert!(json.contains("https://c500.store/orders/tttt"), "{json}");
        let first = serde_json::to_string(&collection(&[row("C5-AAAAAA")], 0, true, "b")).unwrap();
        assert!(first.contains(r#""custom_id":"c5:v1:orders:1""#), "{first}");
        assert!(first.contains(r#""disabled":true"#), "{first}");
        let empty = serde_json::to_string(&collection(&[], 0, false, "b")).unwrap();
        assert!(empty.contains("No orders yet"));
    }
}
