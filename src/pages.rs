//! The storefront (C500.store): askama templates over D1 reads. Templates escape HTML.

use crate::clients::stripe::Stripe;
use crate::domain::ids::ListingId;
use crate::domain::link_token::{self, LinkClaims};
use crate::domain::listing::{Kind, ListingStatus};
use crate::domain::money::Cents;
use crate::domain::seller::GuildTag;
use crate::flows::onboarding;
use crate::{config, http, log, store};
pub mod orders;
pub mod twitch;

use askama::Template;
use std::cell::{Cell, RefCell};
use worker::{Context, Date, Env, Request, Response};

/// The stylesheet, compiled in. Its URL carries a content hash, so it caches forever.
const SITE_CSS: &str = include_str!("../static/site.css");
const SITE_CSS_HASH: u64 = fnv1a(SITE_CSS.as_bytes());

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        // `i < len` is checked by the loop; const fn cannot use iterators.
        #[allow(clippy::indexing_slicing)]
        let b = bytes[i];
        hash ^= b as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

fn css_path() -> String {
    format!("/static/site.{SITE_CSS_HASH:016x}.css")
}

/// One drop card, formatted for display.
pub struct DropView {
    pub id: String,
    pub title: String,
    pub price: String,
    pub shipping: String,
    pub stock_line: String,
    pub kind_badge: &'static str,
    pub guild_badge: &'static str,
    pub image_url: Option<String>,
    pub builder_name: String,
    pub builder_handle: String,
}

impl From<&store::listings::DropPage> for DropView {
    fn from(d: &store::listings::DropPage) -> Self {
        let kind_badge = if d.kind == Kind::Commission {
            "✨ Commission"
        } else {
            "📦 Ready to ship"
        };
        let stock_line = match (d.kind, d.quantity, d.lead_time_weeks) {
            (Kind::Commission, _, Some(w)) => format!(
                "{} of {} slots open · ships in ~{w} weeks",
                d.stock, d.quantity
            ),
            (_, 1, _) => "One of a kind".to_owned(),
            _ => format!("{} of {} left", d.stock, d.quantity),
        };
        DropView {
            price: Cents::new(d.price_cents).to_string(),
            shipping: if d.shipping_cents == 0 {
                "Free shipping".to_owned()
            } else {
                format!("+ {} shipping", Cents::new(d.shipping_cents))
            },
            stock_line,
            kind_badge,
            guild_badge: GuildTag::parse(&d.guild_tag)
                .unwrap_or(GuildTag::Builder)
                .badge(),
            image_url: d.image_url.clone(),
            builder_name: d.builder_name.clone(),
            builder_handle: d.builder_handle.clone(),
            id: d.id.clone(),
            title: d.title.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing<'a> {
    css: &'a str,
    base_url: &'a str,
    drops: Vec<DropView>,
}

#[derive(Template)]
#[template(path = "drop.html")]
struct DropTemplate<'a> {
    css: &'a str,
    base_url: &'a str,
    d: DropView,
    summary: String,
    description: &'a str,
    specs: Option<&'a str>,
    availability: &'static str,
    discord_url: Option<String>,
    /// The picture as a full URL (an uploaded photo is a path here): unfurls need one.
    og_image: Option<String>,
}

#[derive(Template)]
#[template(path = "builder.html")]
struct BuilderTemplate<'a> {
    css: &'a str,
    base_url: &'a str,
    name: &'a str,
    handle: &'a str,
    certified: bool,
    badges: Vec<&'static str>,
    live: Vec<DropView>,
    past: Vec<DropView>,
}

#[derive(Template)]
#[template(path = "onboarding.html")]
struct Onboarding<'a> {
    css: &'a str,
    title: &'a str,
    message: &'a str,
    continue_url: Option<String>,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound<'a> {
    css: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ServerError<'a> {
    css: &'a str,
}

/// Why a page could not be shown; each maps to the page a visitor sees.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    Internal(String),
}

impl<E: std::fmt::Display> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError::Internal(e.to_string())
    }
}

impl PageError {
    fn into_response(self) -> Response {
        let css = css_path();
        match self {
            PageError::NotFound => http::html(
                404,
                NotFound { css: &css }.render().unwrap_or_default(),
                "public, max-age=60",
            ),
            PageError::Internal(detail) => {
                log::error("page_failed", &detail);
                http::html(
                    500,
                    ServerError { css: &css }.render().unwrap_or_default(),
                    "no-store",
                )
            }
        }
    }
}

/// Browsers and the CDN may reuse the landing page this long.
const LANDING_CACHE_CONTROL: &str = "public, max-age=15";

/// The landing page is the same for every visitor, so the isolate keeps its last render:
/// fresh for `PAGE_CACHE_SECONDS` (default 10), then served stale for up to 6x that while
/// one background refresh (`wait_until`) re-reads D1. `PAGE_CACHE_SECONDS=0` turns it off.
struct CachedPage {
    body: String,
    rendered_at: f64,
}

thread_local! {
    static LANDING: RefCell<Option<CachedPage>> = const { RefCell::new(None) };
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
}

fn page_cache_ms(env: &Env) -> f64 {
    env.var("PAGE_CACHE_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse::<f64>().ok())
        .unwrap_or(10.0)
        .max(0.0)
        * 1000.0
}

pub async fn landing(env: &Env, ctx: &Context) -> Response {
    let now = Date::now().as_millis() as f64;
    let ttl = page_cache_ms(env);
    if ttl > 0.0 {
        let cached = LANDING.with(|c| {
            c.borrow()
                .as_ref()
                .map(|p| (p.body.clone(), now - p.rendered_at))
        });
        if let Some((body, age)) = cached {
            if age <= ttl {
                return http::html_with(200, body, LANDING_CACHE_CONTROL, "hit");
            }
            if age <= ttl * 6.0 {
                if !REFRESHING.with(|r| r.replace(true)) {
                    let env = env.clone();
                    ctx.wait_until(async move {
                        if let Err(e) = render_landing(&env, Date::now().as_millis() as f64).await {
                            log::error("page_refresh_failed", &format!("{e:?}"));
                        }
                        REFRESHING.with(|r| r.set(false));
                    });
                }
                return http::html_with(200, body, LANDING_CACHE_CONTROL, "stale");
            }
        }
    }
    match render_landing(env, now).await {
        Ok(body) => http::html_with(200, body, LANDING_CACHE_CONTROL, "miss"),
        Err(e) => e.into_response(),
    }
}

/// Reads D1, renders, and keeps the result for the next visitors.
async fn render_landing(env: &Env, now: f64) -> Result<String, PageError> {
    let db = config::db(env)?;
    let drops = store::listings::live_drops(&db, now, 24).await?;
    let base_url = config::public_base_url(env);
    let page = Landing {
        css: &css_path(),
        base_url: &base_url,
        drops: drops.iter().map(DropView::from).collect(),
    };
    let body = page.render()?;
    LANDING.with(|c| {
        *c.borrow_mut() = Some(CachedPage {
            body: body.clone(),
            rendered_at: now,
        })
    });
    Ok(body)
}

fn availability(p: &store::listings::DropPage, now: f64) -> &'static str {
    if p.status == ListingStatus::Paused {
        "⏸️ Paused: the builder's shop is closed for now"
    } else if p.status != ListingStatus::Live {
        "Delisted"
    } else if p.stock <= 0 {
        "🔴 Sold out"
    } else if p.release_at.is_some_and(|at| at > now) {
        "⏳ Releasing soon"
    } else {
        "🟢 Available"
    }
}

/// `GET /drops/{id}`: one drop, with OpenGraph and Twitter tags so a pasted link unfurls.
pub async fn drop_page(env: &Env, id: &str) -> Response {
    let Some(id) = ListingId::parse(id).filter(|l| l.as_str() == id) else {
        return not_found();
    };
    let result = async {
        let db = config::db(env)?;
        let page = store::listings::drop_page(&db, id.as_str())
            .await?
            .ok_or(PageError::NotFound)?;
        let base_url = config::public_base_url(env);
        let view = DropView::from(&page);
        let summary: String = format!("{} · {}", page.description, view.stock_line)
            .chars()
            .take(200)
            .collect();
        let discord_url = match (&page.guild_id, &page.channel_id, &page.message_id) {
            (Some(g), Some(c), Some(m)) if page.status == ListingStatus::Live => {
                Some(format!("https://discord.com/channels/{g}/{c}/{m}"))
            }
            _ => None,
        };
        let body = DropTemplate {
            css: &css_path(),
            base_url: &base_url,
            d: view,
            summary,
            description: &page.description,
            specs: page.specs.as_deref(),
            availability: availability(&page, Date::now().as_millis() as f64),
            discord_url,
            og_image: page
                .image_url
                .as_deref()
                .map(|url| config::absolute(&base_url, url)),
        }
        .render()?;
        Ok::<_, PageError>(http::html(200, body, "public, max-age=30"))
    };
    result.await.unwrap_or_else(PageError::into_response)
}

/// `GET /builders/{handle}`: a builder's shop, live drops first, then past ones.
pub async fn builder_page(env: &Env, handle: &str) -> Response {
    let result = async {
        let db = config::db(env)?;
        let (profile, drops) = store::listings::builder_shop(&db, handle)
            .await?
            .ok_or(PageError::NotFound)?;
        let now = Date::now().as_millis() as f64;
        let (live, past): (Vec<_>, Vec<_>) = drops
            .iter()
            .filter(|d| !d.release_at.is_some_and(|at| at > now))
            .partition(|d| d.status == ListingStatus::Live && d.stock > 0);
        let badges = profile
            .guild_tags
            .split(',')
            .filter_map(GuildTag::parse)
            .map(GuildTag::badge)
            .collect();
        let body = BuilderTemplate {
            css: &css_path(),
            base_url: &config::public_base_url(env),
            name: &profile.name,
            handle: &profile.handle,
            certified: profile.approved == 1,
            badges,
            live: live.into_iter().map(DropView::from).collect(),
            past: past.into_iter().map(DropView::from).collect(),
        }
        .render()?;
        Ok::<_, PageError>(http::html(200, body, "public, max-age=30"))
    };
    result.await.unwrap_or_else(PageError::into_response)
}

/// Forgets this isolate's rendered pages (after a change this isolate made itself).
pub fn invalidate() {
    LANDING.with(|c| *c.borrow_mut() = None);
}

pub fn not_found() -> Response {
    PageError::NotFound.into_response()
}

pub fn static_asset(req: &Request, path: &str) -> Response {
    if path != css_path() {
        return not_found();
    }
    let etag = format!("\"{SITE_CSS_HASH:016x}\"");
    let cached = req.headers().get("if-none-match").ok().flatten();
    if cached.as_deref() == Some(etag.as_str()) {
        return http::not_modified(&etag);
    }
    http::immutable("text/css; charset=utf-8", &etag, SITE_CSS.as_bytes())
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
fn onboarding_claims(
    req: &Request,
    env: &Env,
    now: f64,
) -> Result<(String, LinkClaims), PageError> {
    let secret = config::secret(env, "LINK_SIGNING_SECRET")?;
    let token = token_param(req).ok_or(PageError::NotFound)?;
    let claims = link_token::verify(&secret, &token, now).map_err(|_| PageError::NotFound)?;
    Ok((secret, claims))
}

/// `GET /onboarding/refresh?token=`: Stripe sends builders here when an Account Link has
/// expired; the signed token says whose account it is, so a fresh link goes to them only.
pub async fn onboarding_refresh(req: &Request, env: &Env) -> Response {
    let now = Date::now().as_millis() as f64;
    let result = async {
        let (secret, claims) = onboarding_claims(req, env, now)?;
        let (refresh_url, return_url) = onboarding::onboarding_urls(env, &secret, &claims, now);
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
pub async fn onboarding_return(req: &Request, env: &Env) -> Response {
    let now = Date::now().as_millis() as f64;
    let result = async {
        let (_, claims) = onboarding_claims(req, env, now)?;
        let account = Stripe::from_env(env)?.account(&claims.account_id).await?;
        store::builders::sync_account(&config::db(env)?, &account, now).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn card(title: &str) -> store::listings::DropPage {
        store::listings::DropPage {
            id: "D-AAAAAAAA".into(),
            title: title.into(),
            description: "A lovely board".into(),
            specs: None,
            status: ListingStatus::Live,
            release_at: None,
            guild_id: None,
            channel_id: None,
            message_id: None,
            kind: Kind::ReadyToShip,
            price_cents: 45_000,
            shipping_cents: 1_500,
            stock: 2,
            quantity: 3,
            image_url: Some("https://i.imgur.com/x.jpg".into()),
            guild_tag: "artisan".into(),
            lead_time_weeks: None,
            builder_handle: "keyz".into(),
            builder_name: "Keyz Customs".into(),
        }
    }

    #[test]
    fn landing_escapes_and_formats() {
        let html = Landing {
            css: "/static/site.css",
            base_url: "https://c500.store",
            drops: vec![DropView::from(&card("<script>alert(1)</script>"))],
        }
        .render()
        .unwrap();
        assert!(!html.contains("<script>alert(1)</script>"));
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || html.contains("&lt;script&gt;")
        );
        assert!(html.contains("$450.00"));
        assert!(html.contains("+ $15.00 shipping"));
        assert!(html.contains("2 of 3 left"));
        assert!(html.contains("🎨 Artisan Guild"));
    }

    #[test]
    fn empty_landing_invites_builders() {
        let html = Landing {
            css: "/s.css",
            base_url: "https://c500.store",
            drops: vec![],
        }
        .render()
        .unwrap();
        assert!(html.contains("No drops are live"));
    }

    #[test]
    fn css_url_changes_with_content() {
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert!(css_path().starts_with("/static/site."));
    }
}
