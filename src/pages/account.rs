//! Signing in with Discord (issue 12.1) and what a signed-in buyer has (12.3): `GET /signin`
//! to Discord's consent page, `GET /oauth/discord/callback` back, `POST /signout`, and
//! `GET /me`, My orders, with each order's status, timeline and a report to HQ.

use super::assets::css_path;
use super::notice::{notice, Notice};
use super::orders::{utc_minute, EventView};
use super::session::{self as visit, Signed};
use super::PageError;
use crate::clients::discord::DiscordOAuth;
use crate::context::Cx;
use crate::domain::hex;
use crate::domain::ids::OrderId;
use crate::domain::money::Cents;
use crate::domain::session::{self, SESSION_COOKIE, SIGNIN_COOKIE};
use crate::store::hq::Reported;
use crate::store::sessions::{self, Opened, Viewer};
use crate::{config, http, log, store};
use askama::Template;
use serde_json::json;
use worker::{Context, Request, Response};

fn callback_url(cx: &Cx) -> String {
    format!(
        "{}/oauth/discord/callback",
        config::public_base_url(&cx.env)
    )
}

fn not_set_up(e: &impl std::fmt::Display, missing: String) -> Response {
    log::error("signin_config", e);
    notice(
        500,
        &Notice {
            title: "Not set up yet",
            message: missing,
            ..Notice::default()
        },
    )
}

fn random_hex<const N: usize>() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(&bytes))
}

/// `GET /signin?next=/drops/…`: to Discord's consent page, with a signed state and the same
/// nonce in a ten-minute cookie, so only this browser can finish this sign-in.
pub fn signin(req: &Request, cx: &Cx) -> Response {
    let next = session::safe_next(http::query_param(&req.inner().url(), "next").as_deref());
    let secret = match config::secret(&cx.env, "LINK_SIGNING_SECRET") {
        Ok(s) => s,
        Err(e) => return not_set_up(&e, e.user_message()),
    };
    let oauth = match DiscordOAuth::from_env(&cx.env) {
        Ok(o) => o,
        Err(crate::clients::discord::DiscordError::Config(e)) => {
            return not_set_up(&e, e.user_message())
        }
        Err(e) => return not_set_up(&e, "C500 can't reach Discord just now.".to_owned()),
    };
    let Ok(nonce) = random_hex::<16>() else {
        return PageError::Internal("no randomness".into()).into_response();
    };
    let state = session::signin_state(&secret, &nonce, &next, cx.now_ms);
    let max_age = (session::SIGNIN_LIFETIME_MS / 1000.0) as u64;
    http::redirect_setting(
        302,
        &oauth.authorize_url(&state, &callback_url(cx)),
        &[session::set_cookie(SIGNIN_COOKIE, &nonce, max_age)],
    )
}

fn signin_failed(status: u16, title: &'static str, message: &str) -> Response {
    notice(
        status,
        &Notice {
            title,
            message: message.to_owned(),
            // A banned account has nothing to try again.
            link: (status != 403).then(|| ("Try again".to_owned(), "/signin".to_owned())),
            back: Some(("Back to the shop".to_owned(), "/".to_owned())),
            ..Notice::default()
        },
    )
}

/// `GET /oauth/discord/callback`: the state must be ours, current and this browser's; then
/// the code is exchanged (the token read once and revoked), the session opened in D1 and
/// its cookie set, unless the account is banned.
pub async fn callback(req: &Request, cx: &Cx) -> Response {
    let url = req.inner().url();
    let param = |name| http::query_param(&url, name);
    let expired = || {
        signin_failed(
            400,
            "This sign-in has expired",
            "Sign-in links work once, for ten minutes, in the browser that started them. Please sign in again.",
        )
    };
    let Ok(secret) = config::secret(&cx.env, "LINK_SIGNING_SECRET") else {
        return expired();
    };
    let cookie_nonce = req
        .headers()
        .get("cookie")
        .ok()
        .flatten()
        .and_then(|h| session::cookie(&h, SIGNIN_COOKIE).map(str::to_owned));
    let Some(Ok((nonce, next))) =
        param("state").map(|s| session::verify_signin_state(&secret, &s, cx.now_ms))
    else {
        return expired();
    };
    if cookie_nonce.as_deref() != Some(nonce.as_str()) {
        return expired();
    }
    if param("error").is_some() {
        return signin_failed(
            200,
            "Not signed in",
            "You didn't authorise C500 on Discord, so nothing changed. You can sign in any time.",
        );
    }
    let Some(code) = param("code") else {
        return expired();
    };
    let result = async {
        let oauth = DiscordOAuth::from_env(&cx.env)?;
        let user = oauth.user_from_code(&code, &callback_url(cx)).await?;
        let session_id = random_hex::<32>()?;
        // The username, as interactions record it (users.username is one name everywhere).
        let viewer = Viewer {
            discord_id: user.id,
            username: user.username,
        };
        let db = cx.db()?;
        let expires = cx.now_ms + session::SESSION_LIFETIME_MS;
        let opened = sessions::open(
            &db,
            &session::id_hash(&session_id),
            &viewer,
            cx.now_ms,
            expires,
        )
        .await?;
        log::event(
            "signed_in",
            json!({ "discord": viewer.discord_id, "banned": matches!(opened, Opened::Banned(_)) }),
        );
        Ok::<_, crate::error::Failure>((opened, session_id, viewer))
    };
    match result.await {
        Ok((Opened::Open, session_id, viewer)) => {
            let cookie = session::cookie_value(&secret, &session_id, &viewer.discord_id, cx.now_ms);
            let max_age = (session::SESSION_LIFETIME_MS / 1000.0) as u64;
            http::redirect_setting(
                302,
                &next,
                &[
                    session::set_cookie(SESSION_COOKIE, &cookie, max_age),
                    session::set_cookie(SIGNIN_COOKIE, "", 0),
                ],
            )
        }
        Ok((Opened::Banned(_), _, _)) => signin_failed(
            403,
            "You can't sign in to C500",
            "Your account is banned across the Collective. If you think this is a mistake, contact C500 HQ.",
        ),
        Err(e) => match e.config() {
            Some(missing) => not_set_up(&e, missing.user_message()),
            None => {
                log::error("signin_failed", &e);
                signin_failed(
                    502,
                    "Discord didn't answer",
                    "You're not signed in yet, and nothing changed. Please try again in a moment.",
                )
            }
        },
    }
}

/// `POST /signout`: ends the session in D1 and deletes its cookie.
pub async fn signout(mut req: Request, cx: &Cx) -> Response {
    let posted = match visit::posted(&mut req, cx, "/").await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let ended = async {
        let db = cx.db()?;
        let id_hash = session::id_hash(&posted.who.session_id);
        super::forget_session(&id_hash);
        sessions::revoke(&db, &id_hash, cx.now_ms).await?;
        Ok::<_, crate::error::Failure>(())
    };
    if let Err(e) = ended.await {
        return PageError::Internal(e.to_string()).into_response();
    }
    http::redirect_setting(303, "/", &[session::set_cookie(SESSION_COOKIE, "", 0)])
}

/// One order on My orders.
pub struct MyOrder {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub escrow: &'static str,
    pub gross: String,
    pub placed: String,
    pub status_url: String,
    pub timeline: Vec<EventView>,
    /// HQ has an open report about it.
    pub reported: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage<'a> {
    css: &'a str,
    name: &'a str,
    csrf: &'a str,
    orders: Vec<MyOrder>,
    prev: Option<String>,
    next: Option<String>,
}

/// Orders shown per page of My orders.
const PER_PAGE: u32 = 20;

/// `GET /me`: the signed-in buyer's orders, newest first (a page of 20), or a way to sign in.
pub async fn me(req: &Request, cx: &Cx) -> Response {
    let page = http::query_param(&req.inner().url(), "page")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| (1..=500).contains(p))
        .unwrap_or(1);
    let result = async {
        let signed_out = || {
            notice(
                200,
                &Notice {
                    title: "My orders",
                    message: "Sign in with Discord to see your orders, follow them and report a problem to HQ. C500 only learns your Discord id and name.".to_owned(),
                    link: Some(("Sign in with Discord".to_owned(), visit::sign_in_url("/me"))),
                    ..Notice::default()
                },
            )
        };
        let Some(claim) = visit::claim(req, cx) else {
            return Ok(signed_out());
        };
        // The session's check and the orders in one batch; the orders are shown only if the
        // session is alive.
        let db = cx.db()?;
        let (found, mine) =
            store::orders::my_orders(&db, claim.check(cx.now_ms), page - 1, PER_PAGE).await?;
        let Some(Signed { viewer, csrf, .. }) = claim.signed(found) else {
            return Ok(signed_out());
        };
        let base = config::public_base_url(&cx.env);
        let orders = mine
            .orders
            .into_iter()
            .map(|page| MyOrder {
                status: page.order.status.label(),
                escrow: page.order.escrow.label(),
                gross: Cents::new(page.order.gross_cents).to_string(),
                placed: utc_minute(page.order.created_at),
                status_url: format!("{base}/orders/{}", page.order.status_token),
                timeline: super::orders::timeline(page.events),
                reported: mine.reported.contains(&page.order.id),
                id: page.order.id,
                title: page.order.title,
            })
            .collect();
        let body = MePage {
            css: &css_path(),
            name: &viewer.username,
            csrf: &csrf,
            orders,
            prev: (page > 1).then(|| format!("/me?page={}", page - 1)),
            next: mine.more.then(|| format!("/me?page={}", page + 1)),
        }
        .render()?;
        Ok::<_, PageError>(http::html(200, body, "private, no-store"))
    };
    result.await.unwrap_or_else(PageError::into_response)
}

/// `POST /me/report`: the report form of an order on My orders, to HQ as `/c500 report`.
pub async fn report(mut req: Request, cx: &Cx, ctx: &Context) -> Response {
    let posted = match visit::posted(&mut req, cx, "/me").await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let order = posted.field("order").and_then(OrderId::parse);
    let reason = posted.field("reason").unwrap_or_default().trim();
    let back = Some(("Back to My orders".to_owned(), "/me".to_owned()));
    let (Some(order), false) = (order, reason.is_empty()) else {
        return notice(
            400,
            &Notice {
                title: "Check your report",
                message: "Say what happened, so HQ can help.".to_owned(),
                back,
                ..Notice::default()
            },
        );
    };
    let reporter = posted.who.viewer.discord_id.clone();
    match crate::flows::reports::report(cx, &order, &reporter, reason).await {
        Ok((result, id)) => {
            let cx = cx.clone();
            ctx.wait_until(async move {
                if let Err(e) = crate::outbox::drain_soon(&cx, 10).await {
                    log::error("outbox_drain_failed", &e);
                }
            });
            let (status, title, message) = match result {
                Reported::Opened => (200, "🚩 Report sent to C500 HQ", format!("HQ has report {id} about {order} and will DM you in Discord. The builder isn't told, and the order won't complete (nor its timer run out) while the report is open.")),
                Reported::NotYourOrder => (404, "Not your order", format!("{order} isn't one of your orders.")),
                Reported::AlreadyOpen => (409, "Already reported", format!("HQ already has an open report about {order}; they'll be in touch.")),
            };
            notice(
                status,
                &Notice {
                    title,
                    message,
                    back,
                    ..Notice::default()
                },
            )
        }
        Err(e) => {
            log::error("report_failed", &e);
            PageError::Internal(e.to_string()).into_response()
        }
    }
}
