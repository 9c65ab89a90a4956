//! `/c500 drop`: slash options → a form → a validated, saved listing and its public embed
//! (with a Buy button) in the server's shop channel, or where the command was used.

use super::{io, later, Answer, UserError};
use crate::clients::discord::{Discord, DiscordError};
use crate::discord::model::{modal_value, option_str, option_value, CommandOption, Interaction};
use crate::discord::response::{
    colour, ActionRow, Button, Embed, EmbedField, EmbedFooter, EmbedMedia, InteractionResponse,
    Message, Modal, ModalRow, TextInput,
};
use crate::domain::custom_id::CustomId;
use crate::domain::ids::ListingId;
use crate::domain::listing::{DropForm, DropOptions, FieldError, Kind};
use crate::domain::seller::SellerStanding;
use crate::store::{self, BuilderStripe, NewListing};
use crate::{config, log, pages};
use serde_json::{json, Value};
use worker::{Date, Env};

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
pub(super) fn start(interaction: &Interaction, o: &[CommandOption], env: &Env) -> Answer {
    let int = |name| option_value(o, name).and_then(Value::as_i64);
    let now = Date::now().as_millis();
    let options = match DropOptions::parse(
        option_str(o, "type"),
        int("quantity"),
        option_str(o, "shipping"),
        int("lead_time_weeks"),
        option_str(o, "guild"),
        option_str(o, "release_at"),
        now,
    ) {
        Ok(options) => options,
        Err(e) => return field_error(&e),
    };
    let Some(seller) = interaction.invoker().map(|u| u.id.clone()) else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let env = env.clone();
    let work = async move {
        let db = config::db(&env).map_err(io)?;
        Ok(standing(store::builder_stripe(&db, &seller).await.map_err(io)?).missing())
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

fn form(options: &DropOptions) -> Modal {
    Modal {
        custom_id: CustomId::DropForm(options.clone()).encode(),
        title: "Create New C500 Drop 🛍️".to_owned(),
        components: vec![
            ModalRow::new(
                TextInput::new("item_title", "Item Title", false, 100, true)
                    .placeholder("e.g., Snow White TKL"),
            ),
            ModalRow::new(
                TextInput::new("price", "Price ($)", false, 10, true).placeholder("450.00"),
            ),
            ModalRow::new(
                TextInput::new("description", "Description", true, 1000, true)
                    .placeholder("Switches, keycaps, mods, and build stream status..."),
            ),
            ModalRow::new(
                TextInput::new("image_url", "Image URL (Direct Link)", false, 500, false)
                    .placeholder("https://i.imgur.com/your-keyboard.jpg"),
            ),
            ModalRow::new(
                TextInput::new("specs", "Specs", true, 1000, false)
                    .placeholder("Keycap profile, switches, PCB/plate"),
            ),
        ],
    }
}

/// The form's submission: validate, save, post the public embed, confirm privately.
pub(super) fn submit(interaction: &Interaction, options: DropOptions, env: &Env) -> Answer {
    let components = interaction
        .data
        .as_ref()
        .map(|d| d.components.as_slice())
        .unwrap_or_default();
    let value = |id| modal_value(components, id).unwrap_or_default();
    let form = match DropForm::parse(
        value("item_title"),
        value("price"),
        value("description"),
        value("image_url"),
        value("specs"),
    ) {
        Ok(form) => form,
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
    let env = env.clone();
    let work = async move {
        let db = config::db(&env).map_err(io)?;
        let (seller_row, shop_channel) = store::drop_context(&db, &seller, guild.as_deref())
            .await
            .map_err(io)?;
        let missing = standing(seller_row).missing();
        if !missing.is_empty() {
            return Ok(Posted::NotReady(missing));
        }
        let target = shop_channel.unwrap_or(channel);
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(io)?;
        let id = ListingId::from_random(&random);
        let now = Date::now().as_millis() as f64;
        let listing = NewListing {
            id: id.as_str(),
            seller_id: &seller,
            guild_id: guild.as_deref(),
            channel_id: &target,
            options: &options,
            form: &form,
        };
        store::insert_listing(&db, &listing, now)
            .await
            .map_err(io)?;
        let embed = drop_embed(&id, &seller, &options, &form);
        match Discord::from_env(&env)
            .map_err(io)?
            .post_message(&target, &embed)
            .await
        {
            Ok(message_id) => {
                store::set_listing_message(&db, id.as_str(), &message_id)
                    .await
                    .map_err(io)?;
                pages::invalidate();
                log::event(
                    "drop_posted",
                    json!({ "listing": id.as_str(), "seller": seller, "channel": target }),
                );
                Ok(Posted::Live { channel: target })
            }
            Err(e) => {
                // No embed, no Buy button: the drop must not be on sale either.
                store::delist(&db, id.as_str(), now).await.map_err(io)?;
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
        |posted| match posted {
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
        },
    )
}

enum Posted {
    Live { channel: String },
    NotReady(Vec<crate::domain::seller::Missing>),
    CouldNotPost { channel: String, forbidden: bool },
}

/// The public drop embed: one standard template for every builder (a trust mark).
pub fn drop_embed(listing: &ListingId, seller: &str, o: &DropOptions, f: &DropForm) -> Message {
    let mut fields = vec![
        EmbedField::new(
            "🏷️ Price",
            if o.shipping.get() == 0 {
                format!("**{}** · free shipping", f.price)
            } else {
                format!("**{}** + {} shipping", f.price, o.shipping)
            },
            true,
        ),
        EmbedField::new(
            "Builder",
            format!("<@{seller}> · {}", o.guild.badge()),
            true,
        ),
        EmbedField::new(
            "Type",
            match (o.kind, o.lead_time_weeks) {
                (Kind::Commission, Some(w)) => {
                    format!("✨ Live Build Experience · ships in ~{w} weeks")
                }
                (Kind::Commission, None) => "✨ Live Build Experience".to_owned(),
                (Kind::ReadyToShip, _) => "📦 IN STOCK · SHIPS IMMEDIATELY".to_owned(),
            },
            true,
        ),
        EmbedField::new("Stock", format!("🟢 Available ({0}/{0})", o.quantity), true),
    ];
    if let Some(specs) = &f.specs {
        fields.push(EmbedField::new("Specs", specs.clone(), false));
    }
    if let Some(at) = o.release_at {
        fields.push(EmbedField::new(
            "Release",
            format!("<t:{}:f> (VIPs: 10 minutes early)", at / 1000),
            false,
        ));
    }
    Message {
        embeds: vec![Embed {
            title: Some(f.title.clone()),
            description: Some(f.description.clone()),
            color: Some(colour::SAKURA),
            fields,
            image: f.image_url.clone().map(|url| EmbedMedia { url }),
            footer: Some(EmbedFooter {
                text: "Powered by the C500 Collective | Verified Build".to_owned(),
            }),
            ..Embed::default()
        }],
        components: vec![ActionRow::new(vec![Button::success(
            "Buy Now with C500",
            CustomId::Buy(listing.clone()).encode(),
            Some("🛒"),
        )])],
        ..Message::default()
    }
}
