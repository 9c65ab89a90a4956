//! `/c500 drop`: slash options → a form → a validated, saved listing and its public embed
//! (with a Buy button) in the server's shop channel, or where the command was used.

use super::{later, Answer, UserError};
use crate::clients::discord::{Discord, DiscordError};
use crate::context::Cx;
use crate::discord::model::{
    modal_value, modal_values, option_str, option_value, Attachment, CommandOption, Interaction,
};
use crate::discord::response::{
    colour, Embed, FileUpload, InteractionResponse, Message, Modal, ModalItem, TextInput,
};
use crate::domain::custom_id::CustomId;
use crate::domain::ids::ListingId;
use crate::domain::listing::ListingStatus;
use crate::domain::listing::{check_photo, parse_image_url, DropForm, DropOptions, FieldError};
use crate::domain::seller::SellerStanding;
use crate::store::outbox::ListingCard;
use crate::store::{self, builders::BuilderStripe, listings::NewListing};
use crate::{config, log, messages, pages, photos};
use serde_json::{json, Value};

fn standing(row: Option<BuilderStripe>) -> SellerStanding {
    row.map_or_else(SellerStanding::default, |b| SellerStanding {
        approved: b.approved == 1,
        has_stripe_account: b.stripe_account_id.is_some(),
        details_submitted: b.details_submitted == 1,
        charges_enabled: b.charges_enabled == 1,
        payouts_enabled: b.payouts_enabled == 1,
    })
}

fn not_yet(missing: &[crate::domain::seller::Missing]) -> InteractionResponse {
    let steps: Vec<String> = missing.iter().map(|m| format!("• {m}")).collect();
    InteractionResponse::message(Message::oops("Not ready to sell yet", steps.join("\n")))
}

fn field_error(e: &FieldError) -> Answer {
    Answer::Built(InteractionResponse::message(Message::oops(
        "Check your drop",
        format!(
            "**{}** {}. Nothing was saved; run `/c500 drop` again.",
            e.field, e.message
        ),
    )))
}

/// The slash command: options checked, standing checked, then the form.
pub(super) fn start(interaction: &Interaction, o: &[CommandOption], cx: &Cx) -> Answer {
    let int = |name| option_value(o, name).and_then(Value::as_i64);
    let now = cx.now_ms as u64;
    let mut options = match DropOptions::parse(
        option_str(o, "type"),
        int("quantity"),
        option_str(o, "shipping"),
        int("lead_time_weeks"),
        option_str(o, "guild"),
        option_str(o, "release_at"),
        now,
    )
    .and_then(|options| options.with_per_buyer(int("limit")))
    .and_then(|options| options.with_raffle(int("raffle_hours"), int("min_account_days")))
    // @everyone's id is the server's: a gate on it lets everyone in, so it is no gate.
    .and_then(|options| {
        let role =
            option_str(o, "raffle_role").filter(|r| Some(*r) != interaction.guild_id.as_deref());
        options.with_gates(role, option_str(o, "raffle_tier"))
    }) {
        Ok(options) => options,
        Err(e) => return field_error(&e),
    };
    // A photo link named here waits in KV for the form (the custom_id has no room for it).
    let link = match parse_image_url(option_str(o, "image_url").unwrap_or_default(), "image_url") {
        Ok(link) => link,
        Err(e) => return field_error(&e),
    };
    if link.is_some() {
        options.image_draft = interaction.id.parse::<u64>().ok();
    }
    let Some(seller) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let cx = cx.clone();
    let draft = options.image_draft;
    let work = async move {
        let db = cx.db()?;
        let missing = standing(store::builders::builder_stripe(&db, &seller).await?).missing();
        if let (Some(id), Some(url), true) = (draft, link, missing.is_empty()) {
            photos::save_link(&cx, id, &url).await?;
        }
        Ok(missing)
    };
    later(
        "drop_start_failed",
        UserError::Internal,
        work,
        move |missing| {
            if !missing.is_empty() {
                return not_yet(&missing);
            }
            InteractionResponse::modal(form(&options))
        },
    )
}

/// The form, in Discord's current modal components: every field a Label (its hint under
/// the title), and the photo a file upload, which beats finding a direct image link.
fn form(options: &DropOptions) -> Modal {
    Modal {
        custom_id: CustomId::DropForm(options.clone()).encode(),
        title: "Create New C500 Drop 🛍️".to_owned(),
        components: vec![
            ModalItem::text(
                "Item Title",
                None,
                TextInput::new("item_title", "Item Title", false, 100, true)
                    .placeholder("e.g., Snow White TKL"),
            ),
            ModalItem::text(
                "Price ($)",
                Some("$0.50 to $10,000, e.g. 450 or 1,299.99"),
                TextInput::new("price", "Price ($)", false, 10, true).placeholder("450.00"),
            ),
            ModalItem::text(
                "Description",
                None,
                TextInput::new("description", "Description", true, 1000, true)
                    .placeholder("Switches, keycaps, mods, and build stream status..."),
            ),
            ModalItem::upload(
                "Photo",
                Some(if options.image_draft.is_some() {
                    "Optional: replaces the image link you gave"
                } else {
                    "One picture of the build (PNG, JPEG, WebP or GIF)"
                }),
                FileUpload::new("photo", 1, false),
            ),
            ModalItem::text(
                "Specs",
                Some("Optional"),
                TextInput::new("specs", "Specs", true, 1000, false)
                    .placeholder("Keycap profile, switches, PCB/plate"),
            ),
        ],
    }
}

/// The photo uploaded with the form, checked: its attachment and type.
fn uploaded_photo(
    interaction: &Interaction,
) -> Result<Option<(Attachment, &'static str)>, FieldError> {
    let Some(data) = interaction.data.as_ref() else {
        return Ok(None);
    };
    let Some(id) = modal_values(&data.components, "photo").first().copied() else {
        return Ok(None);
    };
    let attachment = data
        .resolved
        .as_ref()
        .and_then(|r| r.attachments.get(id))
        .ok_or(FieldError {
            field: "Photo",
            message: "didn't arrive; please attach it again".to_owned(),
        })?;
    let kind = check_photo(attachment.content_type.as_deref(), attachment.size)?;
    Ok(Some((attachment.clone(), kind)))
}

/// The form's submission: validate, save, post the public embed, confirm privately.
pub(super) fn submit(interaction: &Interaction, options: DropOptions, cx: &Cx) -> Answer {
    let components = interaction
        .data
        .as_ref()
        .map(|d| d.components.as_slice())
        .unwrap_or_default();
    let value = |id| modal_value(components, id).unwrap_or_default();
    let mut form = match DropForm::parse(
        value("item_title"),
        value("price"),
        value("description"),
        // Only forms from before photo uploads have this field.
        value("image_url"),
        value("specs"),
    ) {
        Ok(form) => form,
        Err(e) => return field_error(&e),
    };
    let photo = match uploaded_photo(interaction) {
        Ok(photo) => photo,
        Err(e) => return field_error(&e),
    };
    let (Some(seller), Some(channel)) = (
        interaction.invoker().map(|u| u.id.clone()),
        interaction.channel_id.clone(),
    ) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownForm.message(),
        ));
    };
    let guild = interaction.guild_id.clone();
    let cx = cx.clone();
    let env = cx.env.clone();
    let work = async move {
        let db = cx.db()?;
        let (seller_row, shop_channel) =
            store::builders::drop_context(&db, &seller, guild.as_deref()).await?;
        let missing = standing(seller_row).missing();
        if !missing.is_empty() {
            return Ok(Posted::NotReady(missing));
        }
        let target = shop_channel.unwrap_or(channel);
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)?;
        let id = ListingId::from_random(&random);
        let now = cx.now_ms;
        if let Some((attachment, kind)) = &photo {
            if let Err(e) = photos::keep(&cx, id.as_str(), attachment, kind).await {
                log::error("photo_keep_failed", &e);
                return Ok(Posted::PhotoUnavailable);
            }
        } else if let (None, Some(draft)) = (&form.image_url, options.image_draft) {
            form.image_url = photos::link(&cx, draft).await?;
        }
        let photo_type = photo.as_ref().map(|(_, kind)| *kind);
        // A raffle's seed, committed to now (its hash is public), revealed at the draw.
        let raffle = match options.raffle_hours {
            Some(hours) => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed)?;
                let seed = crate::domain::hex::encode(&seed);
                let opens = options.release_at.map_or(now, |at| (at as f64).max(now));
                Some(store::listings::NewRaffle {
                    closes_at_ms: opens + f64::from(hours) * 3_600_000.0,
                    commitment: crate::domain::raffle::commitment(&seed),
                    seed,
                })
            }
            None => None,
        };
        let listing = NewListing {
            id: id.as_str(),
            seller_id: &seller,
            guild_id: guild.as_deref(),
            channel_id: &target,
            options: &options,
            form: &form,
            photo_type,
            raffle: raffle.as_ref(),
        };
        store::listings::insert_listing(&db, &listing, now).await?;
        let mut card = new_card(&id, &seller, &options, &form);
        if let Some(r) = &raffle {
            card.raffle_closes_at = Some(r.closes_at_ms);
            card.raffle_commitment = Some(r.commitment.clone());
        }
        if photo_type.is_some() {
            card.image_url = Some(format!("/photos/{id}"));
        }
        let embed = messages::drop_embed(&card, &config::public_base_url(&env));
        match Discord::from_env(&env)?.post_message(&target, &embed).await {
            Ok(message_id) => {
                store::listings::set_listing_message(&db, id.as_str(), &message_id).await?;
                pages::invalidate();
                log::event(
                    "drop_posted",
                    json!({ "listing": id.as_str(), "seller": seller, "channel": target }),
                );
                Ok(Posted::Live { channel: target })
            }
            Err(e) => {
                // No embed, no Buy button: the drop must not be on sale either.
                store::listings::delist(&db, id.as_str(), now).await?;
                log::error("drop_post_failed", &e);
                Ok(Posted::CouldNotPost {
                    channel: target,
                    forbidden: matches!(e, DiscordError::Api { status: 403, .. }),
                })
            }
        }
    };
    later(
        "drop_submit_failed",
        UserError::Internal,
        work,
        |posted| {
            match posted {
            Posted::Live { channel } => {
                InteractionResponse::message(Message::ephemeral_embed(Embed {
                    title: Some("✅ Your drop is live".to_owned()),
                    description: Some(format!(
                        "Posted in <#{channel}> with its Buy button. Stay cozy!"
                    )),
                    color: Some(colour::MINT),
                    ..Embed::default()
                }))
            }
            Posted::NotReady(missing) => not_yet(&missing),
            Posted::PhotoUnavailable => InteractionResponse::message(Message::oops(
                "Couldn't read your photo",
                "Discord didn't hand us the picture. Nothing was saved; please run `/c500 drop` again.",
            )),
            Posted::CouldNotPost { channel, forbidden } => {
                InteractionResponse::message(Message::oops(
                    "Couldn't post the drop",
                    if forbidden {
                        format!("C500 can't post in <#{channel}>: give it Send Messages and Embed Links there. Nothing is on sale.")
                    } else {
                        format!("Discord didn't take the post in <#{channel}>. Nothing is on sale; please try again.")
                    },
                ))
            }
        }
        },
    )
}

enum Posted {
    Live { channel: String },
    PhotoUnavailable,
    NotReady(Vec<crate::domain::seller::Missing>),
    CouldNotPost { channel: String, forbidden: bool },
}

/// The new drop as its embed shows it (the same template the outbox renders from D1).
fn new_card(id: &ListingId, seller: &str, o: &DropOptions, f: &DropForm) -> ListingCard {
    ListingCard {
        id: id.as_str().to_owned(),
        seller_id: seller.to_owned(),
        channel_id: None,
        message_id: None,
        kind: o.kind,
        title: f.title.clone(),
        description: f.description.clone(),
        specs: f.specs.clone(),
        image_url: f.image_url.clone(),
        guild_tag: o.guild.name().to_owned(),
        price_cents: f.price.get(),
        shipping_cents: o.shipping.get(),
        lead_time_weeks: o.lead_time_weeks.map(i64::from),
        quantity: i64::from(o.quantity),
        stock: i64::from(o.quantity),
        held: 0,
        status: ListingStatus::Live,
        release_at: o.release_at.map(|ms| ms as f64),
        waiting: 0,
        per_buyer: o.per_buyer_limit().map(i64::from),
        raffle_closes_at: None,
        raffle_drawn_at: None,
        raffle_commitment: None,
        raffle_seed: None,
        raffle_entries: 0,
        raffle_min_age_days: o.min_age_days.map(i64::from),
        raffle_role_id: o.role_gate.map(|role| role.to_string()),
        raffle_min_tier: o.min_tier.map(|t| t.name().to_owned()),
    }
}
