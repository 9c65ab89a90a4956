//! `/c500 inventory`: the builder's listings with stock and status; pick one to change its
//! price and available stock (a form) or to delist it. Every change edits the public embed
//! (through the outbox, queued in the same batch), including its Sold out state.

use super::{later, Answer, Failure, UserError};
use crate::clients::clicks::{self, Gate};
use crate::context::Cx;
use crate::discord::model::{modal_value, modal_values, Interaction};
use crate::discord::response::{
    colour, ActionRow, Button, Embed, EmbedField, InteractionResponse, Message, Modal, ModalItem,
    SelectOption, StringSelect, TextInput,
};
use crate::domain::custom_id::CustomId;
use crate::domain::ids::ListingId;
use crate::domain::listing::InventoryEdit;
use crate::domain::listing::ListingStatus;
use crate::domain::markdown::escape as md;
use crate::domain::money::Cents;
use crate::domain::seller::GuildTag;
use crate::log;
use crate::messages::{availability, Availability};
use crate::store::outbox::{self as views, ListingCard};
use crate::store::{self, listings::ListingChange};
use serde_json::json;
use worker::worker_sys::Context;

/// What a builder may be refused here.
enum Refused {
    NotYours,
    NotLive,
}

fn refused(r: &Refused) -> InteractionResponse {
    InteractionResponse::message(match r {
        Refused::NotYours => Message::oops(
            "Not your listing",
            "Only the builder who posted a drop can change it.",
        ),
        Refused::NotLive => Message::oops(
            "Already delisted",
            "This drop is off sale; post a new one with `/c500 drop`.",
        ),
    })
}

fn who(interaction: &Interaction) -> Option<String> {
    interaction.invoker().map(|u| u.id.clone())
}

fn stock_line(card: &ListingCard) -> String {
    match availability(card) {
        Availability::Available => format!("🟢 {}/{} available", card.stock, card.quantity),
        Availability::AllInCheckout => format!("⏳ 0/{} (all in checkout)", card.quantity),
        Availability::SoldOut => format!("🔴 Sold out ({} sold)", card.quantity),
        Availability::Delisted => "Delisted".to_owned(),
        Availability::Paused => {
            "⏸️ Paused: your shop can't sell right now (see `/c500 setup stripe`)".to_owned()
        }
    }
}

/// The list: one field per listing and a menu to pick one.
fn list_view(cards: &[ListingCard]) -> Message {
    if cards.is_empty() {
        return Message::ephemeral_embed(Embed {
            title: Some("Your Inventory 📦".to_owned()),
            description: Some("No drops yet. Post one with `/c500 drop`!".to_owned()),
            color: Some(colour::DREAMY),
            ..Embed::default()
        });
    }
    let fields = cards
        .iter()
        .take(10)
        .map(|c| {
            EmbedField::new(
                format!("{} · `{}`", md(&c.title), c.id),
                format!("{} · {}", Cents::new(c.price_cents), stock_line(c)),
                false,
            )
        })
        .collect();
    let options = cards
        .iter()
        .map(|c| SelectOption {
            label: c.title.chars().take(100).collect(),
            value: c.id.clone(),
            description: Some(format!("{} · {}", Cents::new(c.price_cents), stock_line(c))),
            default: false,
        })
        .collect();
    Message {
        components: vec![ActionRow::select(StringSelect::new(
            CustomId::InventoryPick.encode(),
            "Pick a drop to change",
            options,
        ))],
        ..Message::ephemeral_embed(Embed {
            title: Some("Your Inventory 📦".to_owned()),
            description: Some(format!(
                "{} drop(s). Pick one below to change its price or stock, or to delist it.",
                cards.len()
            )),
            color: Some(colour::DREAMY),
            fields,
            ..Embed::default()
        })
    }
}

/// One listing with its actions.
fn detail_view(card: &ListingCard) -> Message {
    let id = ListingId::parse(&card.id);
    let mut buttons = vec![Button::secondary(
        "Back",
        CustomId::InventoryList.encode(),
        Some("◀️"),
    )];
    if let (Some(id), true) = (id, card.status == ListingStatus::Live) {
        buttons.insert(
            0,
            Button::success(
                "Edit price & stock",
                CustomId::InventoryEdit(id.clone()).encode(),
                Some("✏️"),
            ),
        );
        buttons.insert(
            1,
            Button::secondary("Delist", CustomId::InventoryDelist(id).encode(), Some("🗑️")),
        );
    }
    Message {
        components: vec![ActionRow::new(buttons)],
        ..Message::ephemeral_embed(Embed {
            title: Some(md(&card.title)),
            description: Some(format!("`{}`", card.id)),
            color: Some(colour::SAKURA),
            fields: vec![
                EmbedField::new("Price", Cents::new(card.price_cents).to_string(), true),
                EmbedField::new(
                    "Shipping",
                    Cents::new(card.shipping_cents).to_string(),
                    true,
                ),
                EmbedField::new("Stock", stock_line(card), true),
                EmbedField::new("In checkout now", card.held.to_string(), true),
            ],
            ..Embed::default()
        })
    }
}

/// `/c500 inventory` (or Back): the list. `update`: replace the message it came from.
pub(super) fn show(interaction: &Interaction, update: bool, cx: &Cx) -> Answer {
    let Some(seller) = who(interaction) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let cx = cx.clone();
    let work = async move {
        let db = cx.db()?;
        Ok(views::seller_listings(&db, &seller).await?)
    };
    later(
        "inventory_failed",
        UserError::Internal,
        work,
        move |cards| {
            let message = list_view(&cards);
            if update {
                InteractionResponse::update(message)
            } else {
                InteractionResponse::message(message)
            }
        },
    )
}

/// The seller's own listing, or why not.
async fn own_listing(
    cx: &Cx,
    listing: &str,
    seller: &str,
) -> Result<Result<ListingCard, Refused>, Failure> {
    let db = cx.db()?;
    Ok(match views::listing_card(&db, listing).await? {
        Some(card) if card.seller_id == seller => Ok(card),
        _ => Err(Refused::NotYours),
    })
}

/// A listing picked from the menu.
pub(super) fn pick(interaction: &Interaction, cx: &Cx) -> Answer {
    let picked = interaction
        .data
        .as_ref()
        .and_then(|d| d.values.first())
        .and_then(|v| ListingId::parse(v));
    let (Some(seller), Some(listing)) = (who(interaction), picked) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownButton.message(),
        ));
    };
    let cx = cx.clone();
    let work = async move { own_listing(&cx, listing.as_str(), &seller).await };
    later(
        "inventory_failed",
        UserError::Internal,
        work,
        |found| match found {
            Ok(card) => InteractionResponse::update(detail_view(&card)),
            Err(r) => refused(&r),
        },
    )
}

/// "Edit price & stock": the form, pre-filled.
pub(super) fn edit(interaction: &Interaction, listing: ListingId, cx: &Cx) -> Answer {
    let Some(seller) = who(interaction) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownButton.message(),
        ));
    };
    let cx = cx.clone();
    let work = async move { own_listing(&cx, listing.as_str(), &seller).await };
    later(
        "inventory_failed",
        UserError::Internal,
        work,
        |found| match found {
            Ok(card) if card.status != ListingStatus::Live => refused(&Refused::NotLive),
            Ok(card) => match ListingId::parse(&card.id) {
                Some(id) => InteractionResponse::modal(Modal {
                    custom_id: CustomId::InventorySave(id).encode(),
                    title: "Update your drop".to_owned(),
                    // Discord's current modal: labelled fields, the badge a select menu.
                    components: vec![
                        ModalItem::text(
                            "Price ($)",
                            None,
                            TextInput::new("price", "Price ($)", false, 12, true).value(format!(
                                "{}.{:02}",
                                card.price_cents / 100,
                                card.price_cents % 100
                            )),
                        ),
                        ModalItem::text(
                            "Available now",
                            Some("0 marks it sold out; units sold or in checkout stay counted"),
                            TextInput::new("stock", "Available now", false, 3, true)
                                .value(card.stock.to_string()),
                        ),
                        ModalItem::select(
                            "Guild badge",
                            None,
                            StringSelect::new(
                                "guild".to_owned(),
                                "The guild this drop shows",
                                GuildTag::ALL
                                    .iter()
                                    .map(|g| SelectOption {
                                        label: g.badge().to_owned(),
                                        value: g.name().to_owned(),
                                        description: None,
                                        default: g.name() == card.guild_tag,
                                    })
                                    .collect(),
                            ),
                        ),
                    ],
                }),
                None => InteractionResponse::message(UserError::UnknownButton.message()),
            },
            Err(r) => refused(&r),
        },
    )
}

/// The form's submission: validate, save with the embed edit queued, deliver it now.
pub(super) fn save(
    interaction: &Interaction,
    listing: ListingId,
    cx: &Cx,
    ctx: &Context,
) -> Answer {
    let components = interaction
        .data
        .as_ref()
        .map(|d| d.components.as_slice())
        .unwrap_or_default();
    let value = |id| modal_value(components, id).unwrap_or_default();
    let guild = modal_values(components, "guild").first().copied();
    let change = match InventoryEdit::parse(value("price"), value("stock"), guild) {
        Ok(change) => change,
        Err(e) => {
            return Answer::Built(InteractionResponse::message(Message::oops(
                "Check your change",
                format!("**{}** {}. Nothing was changed.", e.field, e.message),
            )))
        }
    };
    let Some(seller) = who(interaction) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownForm.message(),
        ));
    };
    let cx = cx.clone();
    let ctx = super::share_context(ctx);
    // One batch: the change (only to their own live listing), the embed edit queued, the
    // card read back; a refusal is explained from the same read.
    let work = async move {
        let db = cx.db()?;
        let now = cx.now_ms;
        let result =
            store::listings::edit_listing(&db, listing.as_str(), &seller, &change, now).await?;
        if let ListingChange::Changed(_) = result {
            log::event(
                "listing_edited",
                json!({ "listing": listing.as_str(), "price": change.price.get(), "stock": change.stock }),
            );
            super::deliver_soon(&cx, &ctx);
        }
        Ok(result)
    };
    later(
        "inventory_failed",
        UserError::Internal,
        work,
        |result| match result {
            ListingChange::Changed(card) => InteractionResponse::message(Message {
                content: Some("✅ Saved. The drop's post is being updated.".to_owned()),
                ..detail_view(&card)
            }),
            ListingChange::NotLive => refused(&Refused::NotLive),
            ListingChange::NotYours => refused(&Refused::NotYours),
        },
    )
}

/// "Delist": off sale now; the public embed says so.
pub(super) fn delist(
    interaction: &Interaction,
    listing: ListingId,
    cx: &Cx,
    ctx: &Context,
) -> Answer {
    let Some(seller) = who(interaction) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownButton.message(),
        ));
    };
    let cx = cx.clone();
    let ctx = super::share_context(ctx);
    let work = async move {
        if clicks::gate(&cx.env, "delist", &seller, listing.as_str()).await == Gate::Again {
            // A repeated click (clients::clicks): the listing as it is now, no write.
            return Ok(match own_listing(&cx, listing.as_str(), &seller).await? {
                Ok(card) => ListingChange::Changed(Box::new(card)),
                Err(_) => ListingChange::NotYours,
            });
        }
        let db = cx.db()?;
        let now = cx.now_ms;
        let result = store::listings::delist_listing(&db, listing.as_str(), &seller, now).await?;
        if let ListingChange::Changed(_) = result {
            log::event(
                "listing_delisted",
                json!({ "listing": listing.as_str(), "seller": seller }),
            );
            crate::pages::invalidate();
            super::deliver_soon(&cx, &ctx);
        }
        Ok(result)
    };
    later(
        "inventory_failed",
        UserError::Internal,
        work,
        |result| match result {
            ListingChange::Changed(card) => InteractionResponse::update(detail_view(&card)),
            ListingChange::NotLive => refused(&Refused::NotLive),
            ListingChange::NotYours => refused(&Refused::NotYours),
        },
    )
}
