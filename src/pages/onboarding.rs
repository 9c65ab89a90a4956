//! Stripe onboarding's way back (`/onboarding/refresh`, `/onboarding/return`), behind a
//! signed, expiring token naming the account.

use super::assets::css_path;
use super::PageError;
use crate::clients::stripe::Stripe;
use crate::context::Cx;
use crate::domain::link_token::{self, LinkClaims};
use crate::flows::onboarding;
use crate::{config, http, store};
use askama::Template;
use worker::{Request, Response};

#[derive(Template)]
#[template(path = "onboarding.html")]
struct Onboarding<'a> {
    css: &'a str,
    title: &'a str,
    message: &'a str,
    continue_url: Option<String>,
}

/// A page about onboarding (private: never cached).
pub(crate) fn onboarding_page(
    status: u16,
    title: &str,
    message: &str,
    continue_url: Option<String>,
) -> Response {
    let page = Onboarding {
        css: &css_path(),
        title,
        message,
        continue_url,
    };
    match page.render() {
        Ok(body) => http::html(status, body, "private, no-store"),
        Err(e) => PageError::from(e).into_response(),
    }
}

fn token_param(req: &Request) -> Option<String> {
    // The raw URL: `Request::url()` would parse it with the `url` crate, whose Unicode (IDNA)
    // tables double the size of the .wasm for one query parameter.
    http::query_param(&req.inner().url(), "token")
}

fn expired_link() -> Response {
    onboarding_page(
        400,
        "This link has expired",
        "Onboarding links are private and short-lived. Run /c500 setup stripe in Discord for a fresh one.",
        None,
    )
}

/// Whose account an onboarding link is about, from its signed token (NotFound: a missing,
/// forged or expired token, shown as "this link has expired").
fn onboarding_claims(req: &Request, cx: &Cx, now: f64) -> Result<(String, LinkClaims), PageError> {
    let env = &cx.env;
    let secret = config::secret(env, "LINK_SIGNING_SECRET")?;
    let token = token_param(req).ok_or(PageError::NotFound)?;
    let claims = link_token::verify(&secret, &token, now).map_err(|_| PageError::NotFound)?;
    Ok((secret, claims))
}

/// `GET /onboarding/refresh?token=`: Stripe sends builders here when an Account Link has
/// expired; the signed token says whose account it is, so a fresh link goes to them only.
pub async fn onboarding_refresh(req: &Request, cx: &Cx) -> Response {
    let env = &cx.env;
    let now = cx.now_ms;
    let result = async {
        let (secret, claims) = onboarding_claims(req, cx, now)?;
        let (refresh_url, return_url) = onboarding::onboarding_urls(cx, &secret, &claims, now);
        // Each visit makes a new single-use link, so each gets its own key: a nonce this
        // request owns (a key reused with other parameters is an error at Stripe). An
        // Account Link moves no money; a retry inside this request reuses the key.
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| PageError::Internal(e.to_string()))?;
        let key = format!(
            "c500-onboarding-refresh-{}-{}",
            claims.account_id,
            crate::domain::hex::encode(&nonce)
        );
        let url = Stripe::from_env(env)?
            .onboarding_link(&claims.account_id, &refresh_url, &return_url, &key)
            .await?;
        Ok::<_, PageError>(url)
    };
    match result.await {
        Ok(url) => http::redirect(&url),
        Err(PageError::NotFound) => expired_link(),
        Err(e) => e.into_response(),
    }
}

/// `GET /onboarding/return?token=`: where Stripe sends builders after onboarding. Shows the
/// account's state as Stripe reports it now (and records it).
pub async fn onboarding_return(req: &Request, cx: &Cx) -> Response {
    let env = &cx.env;
    let now = cx.now_ms;
    let result = async {
        let (_, claims) = onboarding_claims(req, cx, now)?;
        let account = Stripe::from_env(env)?.account(&claims.account_id).await?;
        store::builders::sync_account(&cx.db()?, &account, now).await?;
        Ok::<_, PageError>(account)
    };
    match result.await {
        Ok(account) if onboarding::is_enabled(&account) => onboarding_page(
            200,
            "You're all set! 🎉",
            "Stripe has turned on payments and payouts for your account. Once C500 HQ has certified you, /c500 drop is yours.",
            None,
        ),
        Ok(account) if account.details_submitted => onboarding_page(
            200,
            "Thanks! Stripe is reviewing",
            "Your details are in. Stripe usually enables accounts within minutes; C500 updates by itself when it does.",
            None,
        ),
        Ok(_) => {
            // The same signed token leads back into onboarding through the refresh page.
            let continue_url = token_param(req).map(|token| {
                format!("{}/onboarding/refresh?token={token}", config::public_base_url(env))
            });
            onboarding_page(200, "Onboarding isn't finished yet", "Stripe still needs a few details before it can pay you.", continue_url)
        }
        Err(PageError::NotFound) => expired_link(),
        Err(e) => e.into_response(),
    }
}
