//! `GET /oauth/twitch/callback`: where Twitch sends someone after they authorise C500. The
//! state must be ours (signed), current, and unused (redeemed once in D1); then the code is
//! exchanged, the account recorded, and its stream.offline subscription made.

use super::onboarding::onboarding_page;
use crate::clients::twitch::Twitch;
use crate::context::Cx;
use crate::domain::oauth_state;
use crate::error::Failure;
use crate::flows::twitch::callback_url;
use crate::store::twitch as rows;
use crate::{config, http, log};
use serde_json::json;
use worker::{Request, Response};

fn page(status: u16, title: &str, message: &str) -> Response {
    onboarding_page(status, title, message, None)
}

pub async fn callback(req: &Request, cx: &Cx) -> Response {
    let env = &cx.env;
    let url = req.inner().url();
    let param = |name| http::query_param(&url, name);
    let now = cx.now_ms;
    let refused = || {
        page(400, "This link has expired", "Twitch links are private and work once. Run /c500 setup twitch in Discord for a fresh one.")
    };
    let Ok(secret) = config::secret(env, "LINK_SIGNING_SECRET") else {
        return page(
            500,
            "Oh no, a hiccup",
            "C500 is missing a setting; HQ has been told.",
        );
    };
    let Some(state) = param("state") else {
        return refused();
    };
    let Ok((discord_id, nonce)) = oauth_state::verify(&secret, &state, now) else {
        return refused();
    };
    if param("error").is_some() {
        return page(
            200,
            "Not linked",
            "You didn't authorise C500 on Twitch, so nothing changed. You can try again any time.",
        );
    }
    let Some(code) = param("code") else {
        return refused();
    };
    let result = async {
        let db = cx.db()?;
        if !rows::redeem_state(&db, &nonce, &discord_id, now).await? {
            return Ok(None);
        }
        let twitch = Twitch::from_env(env, cx.now_ms)?;
        let user = twitch.user_from_code(&code, &callback_url(cx)).await?;
        let linked = rows::link_account(&db, &discord_id, &user.id, &user.login, now).await?;
        if linked {
            // So the LIVE role comes off when the stream ends; cron is the backstop.
            let callback = format!("{}/webhooks/twitch", config::public_base_url(env));
            match config::secret(env, "TWITCH_EVENTSUB_SECRET") {
                Ok(eventsub_secret) => {
                    if let Err(e) = twitch
                        .subscribe_offline(&user.id, &callback, &eventsub_secret)
                        .await
                    {
                        log::error("eventsub_subscribe_failed", &e);
                    }
                }
                Err(e) => log::error("eventsub_subscribe_failed", &e),
            }
        }
        log::event(
            "twitch_linked",
            json!({ "discord": discord_id, "twitch": user.id, "linked": linked }),
        );
        Ok::<_, Failure>(Some((linked, user.login)))
    };
    match result.await {
        Ok(Some((true, login))) => page(200, "Twitch linked! 🟣", &format!("C500 now knows you stream as {login}. Head back to Discord.")),
        Ok(Some((false, login))) => page(409, "Already linked elsewhere", &format!("The Twitch account {login} is linked to another Discord account. Ask C500 HQ if that's wrong.")),
        Ok(None) => refused(),
        Err(e) => {
            log::error("twitch_callback_failed", &e);
            page(502, "Twitch didn't answer", "Nothing was linked. Please run /c500 setup twitch again in a moment.")
        }
    }
}
