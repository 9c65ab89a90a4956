//! `/c500 drop`: slash options → a form → a validated, saved listing and its public embed
//! (with a Buy button) in the server's shop channel, or where the command was used.

use super::{io, later, Answer, UserError};
use crate::clients::discord::{Discord, DiscordError};
use crate::discord::model::{modal_value, option_str, option_value, CommandOption, Interaction};
use crate::discord::response::{
    colour, Embed, InteractionResponse, Message, Modal, ModalRow, TextInput,
};
use crate::domain::custom_id::CustomId;
use crate::domain::ids::ListingId;
use crate::domain::listing::{DropForm, DropOptions, FieldError};
use crate::domain::seller::SellerStanding;
use crate::store::outbox::ListingCard;
use crate::store::{self, BuilderStripe, NewListing};
use crate::{config, log, messages, pages};
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
        let embed = messages::drop_embed(&new_card(&id, &seller, &options, &form));
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

/// The new drop as its embed shows it (the same template the outbox renders from D1).
fn new_card(id: &ListingId, seller: &str, o: &DropOptions, f: &DropForm) -> ListingCard {
    ListingCard {
        id: id.as_str().to_owned(),
        seller_id: seller.to_owned(),
        channel_id: None,
        message_id: None,
        kind: o.kind.name().to_owned(),
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
        status: "live".to_owned(),
        release_at: o.release_at.map(|ms| ms as f64),
    }
}
