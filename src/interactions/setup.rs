//! `/c500 setup stripe`: one Stripe Connect Express account per Discord user (created with an
//! Idempotency-Key, so a retry never makes two), and a private link to continue: onboarding
//! until Stripe enables the account, then the Express dashboard.

use super::{later, Answer, Failure, UserError};
use crate::clients::stripe::Stripe;
use crate::context::Cx;
use crate::discord::model::Interaction;
use crate::discord::response::{colour, ActionRow, Button, Embed, InteractionResponse, Message};
use crate::domain::link_token::LinkClaims;
use crate::domain::seller::{fallback_handle, handle_from};
use crate::flows::onboarding;
use crate::{config, log, store};
use serde_json::json;

pub(super) fn stripe(interaction: &Interaction, cx: &Cx) -> Answer {
    let Some(user) = interaction.invoker() else {
        return Answer::Built(InteractionResponse::message(
            UserError::UnknownCommand.message(),
        ));
    };
    let (discord_id, username) = (user.id.clone(), user.username.clone());
    let interaction_id = interaction.id.clone();
    let cx = cx.clone();
    let work = async move { run(&cx, &discord_id, &username, &interaction_id).await };
    later(
        "setup_stripe_failed",
        UserError::StripeUnavailable,
        work,
        InteractionResponse::message,
    )
}

async fn run(
    cx: &Cx,
    discord_id: &str,
    username: &str,
    interaction_id: &str,
) -> Result<Message, Failure> {
    let env = &cx.env;
    let db = cx.db()?;
    let stripe = Stripe::from_env(env)?;
    let secret = config::secret(env, "LINK_SIGNING_SECRET")?;
    let now = cx.now_ms;
    let handle = handle_from(username, discord_id);
    let fallback = fallback_handle(&handle, discord_id);
    let standing =
        store::builders::ensure_builder(&db, discord_id, username, &handle, &fallback, now).await?;
    let account = match standing.stripe_account_id {
        Some(id) => {
            // Fresh flags from Stripe, in case a webhook is late.
            let account = stripe.account(&id).await?;
            store::builders::sync_account(&db, &account, now).await?;
            account
        }
        None => {
            let account = stripe.create_express_account(discord_id).await?;
            store::builders::attach_account(&db, discord_id, &account, now).await?;
            log::event(
                "stripe_account_created",
                json!({ "user": discord_id, "account": account.id }),
            );
            account
        }
    };
    if onboarding::is_enabled(&account) {
        let url = stripe
            .dashboard_link(&account.id, &format!("c500-dashboard-{interaction_id}"))
            .await?;
        return Ok(dashboard_message(url));
    }
    let claims = LinkClaims {
        discord_id: discord_id.to_owned(),
        account_id: account.id.clone(),
    };
    let (refresh_url, return_url) = onboarding::onboarding_urls(cx, &secret, &claims, now);
    let url = stripe
        .onboarding_link(
            &account.id,
            &refresh_url,
            &return_url,
            &format!("c500-onboarding-{interaction_id}"),
        )
        .await?;
    Ok(onboarding_message(url, account.details_submitted))
}

fn link_message(title: &str, description: &str, label: &str, url: String, colour: u32) -> Message {
    Message {
        components: vec![ActionRow::new(vec![Button::link(label, url, Some("💸"))])],
        ..Message::ephemeral_embed(Embed {
            title: Some(title.to_owned()),
            description: Some(description.to_owned()),
            color: Some(colour),
            ..Embed::default()
        })
    }
}

fn onboarding_message(url: String, details_submitted: bool) -> Message {
    if details_submitted {
        return link_message(
            "🌸 Almost there!",
            "Stripe needs a little more before it can turn on payments and payouts. \
             Click below to finish. This link is private to you. Do not share it.",
            "Continue with Stripe",
            url,
            colour::DREAMY,
        );
    }
    link_message(
        "🌸 Let's get you paid!",
        "Click the button below to set up your Stripe account. This is how you receive money \
         directly to your bank. Note: this link is private to you. Do not share it.",
        "Setup Payments (Stripe)",
        url,
        colour::SAKURA,
    )
}

fn dashboard_message(url: String) -> Message {
    link_message(
        "✅ Your payouts are set up",
        "Stripe has enabled payments and payouts. Manage your bank details and see payouts \
         in your Express dashboard. This link is private to you.",
        "Open Stripe dashboard",
        url,
        colour::MINT,
    )
}
