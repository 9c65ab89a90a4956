//! The storefront: the landing page (cached per isolate), drop pages with OpenGraph tags,
//! builders' shops. askama templates over D1 reads; templates escape HTML.

use super::assets::css_path;
use super::kept::{self, Kept};
use super::{not_found, PageError};
use crate::context::Cx;
use crate::domain::browse::Browse;
use crate::domain::dates::ymd;
use crate::domain::ids::ListingId;
use crate::domain::listing::{Kind, ListingStatus};
use crate::domain::money::Cents;
use crate::domain::seller::GuildTag;
use crate::messages::{self, Surface};
use crate::{config, http, log, store};
use askama::Template;
use std::rc::Rc;
use worker::{Context, Request, Response};

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
    pub sold_out: bool,
}

impl From<&store::listings::DropPage> for DropView {
    fn from(d: &store::listings::DropPage) -> Self {
        let kind_badge = if d.kind == Kind::Commission {
            "✨ Commission"
        } else {
            "📦 Ready to ship"
        };
        let stock_line = match (d.kind, d.quantity, d.lead_time_weeks) {
            _ if d.stock <= 0 => "Sold out · the waitlist is open".to_owned(),
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
            sold_out: d.stock <= 0,
            id: d.id.clone(),
            title: d.title.clone(),
        }
    }
}

/// A builder's public record, in words.
pub struct ReputationView {
    pub completed: String,
    pub on_time: String,
    pub vouches: String,
    pub disputes: String,
    pub since: String,
    pub twitch: Option<String>,
    /// One line for a drop page.
    pub summary: String,
}

fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl From<&store::listings::Reputation> for ReputationView {
    fn from(r: &store::listings::Reputation) -> Self {
        let completed = if r.completed_orders == 0 {
            "No completed orders yet".to_owned()
        } else {
            count(r.completed_orders, "completed order", "completed orders")
        };
        let on_time = if r.promised_shipped == 0 {
            "No commissions shipped yet".to_owned()
        } else {
            format!(
                "{} of {} shipped by the promised date",
                r.on_time,
                count(r.promised_shipped, "commission", "commissions")
            )
        };
        let disputes = if r.disputes == 0 {
            "No payment disputes".to_owned()
        } else {
            count(r.disputes, "payment dispute", "payment disputes")
        };
        let since = format!("Member since {}", ymd(r.member_since));
        let summary = format!("{completed} · {disputes} · {since}");
        ReputationView {
            completed,
            on_time,
            vouches: format!("Vouched for {}", count(r.vouches, "buyer", "buyers")),
            disputes,
            since,
            twitch: r
                .twitch_login
                .as_deref()
                .filter(|l| !l.is_empty())
                .map(|l| format!("https://www.twitch.tv/{l}")),
            summary,
        }
    }
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing<'a> {
    css: &'a str,
    base_url: &'a str,
    drops: Vec<DropView>,
    /// The search the page answers (the plain first page for most visitors).
    search: &'a Browse,
    /// The choices of the filter form: (value, label, selected).
    kinds: Vec<(&'static str, &'static str, bool)>,
    guilds: Vec<(&'static str, &'static str, bool)>,
    prev: Option<String>,
    next: Option<String>,
}

impl<'a> Landing<'a> {
    fn new(css: &'a str, base_url: &'a str, search: &'a Browse, mut drops: Vec<DropView>) -> Self {
        let more = drops.len() > Browse::PER_PAGE as usize;
        drops.truncate(Browse::PER_PAGE as usize);
        let kinds = [
            (Kind::ReadyToShip, "📦 Ready to ship"),
            (Kind::Commission, "✨ Commission"),
        ]
        .iter()
        .map(|(k, label)| (k.name(), *label, search.kind == Some(*k)))
        .collect();
        let guilds = GuildTag::ALL
            .iter()
            .map(|g| (g.name(), g.badge(), search.guild == Some(*g)))
            .collect();
        Landing {
            css,
            base_url,
            drops,
            search,
            kinds,
            guilds,
            prev: (search.page > 1).then(|| search.link(search.page - 1)),
            next: (more && search.page < Browse::MAX_PAGE).then(|| search.link(search.page + 1)),
        }
    }
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
    /// The builder's server invite, when they set one.
    invite_url: Option<&'a str>,
    /// The picture as a full URL (an uploaded photo is a path here): unfurls need one.
    og_image: Option<String>,
    /// The builder's record, in one line.
    reputation: Option<ReputationView>,
    /// A raffle drop's draw, as anyone may check it.
    raffle: Option<RaffleView>,
    /// Buying here: the signed-in visitor's forms, or the way to sign in.
    buy: BuyBox,
}

/// The drop page's buying box (issue 12.2).
struct BuyBox {
    /// Signed in as; None: not signed in (the box offers sign-in instead).
    name: Option<String>,
    csrf: String,
    /// The forms that apply now: (action path, label).
    forms: Vec<(String, &'static str)>,
    sign_in: String,
}

impl BuyBox {
    fn new(
        page: &store::listings::DropPage,
        who: Option<&super::session::Signed>,
        now: f64,
    ) -> BuyBox {
        use super::shop::Action;
        let path = format!("/drops/{}", page.id);
        let raffle_open =
            page.raffle_closes_at.is_some_and(|at| at > now) && page.raffle_seed.is_none();
        let action = match () {
            _ if page.status != ListingStatus::Live => None,
            // Only Discord shows a clicker's roles: a role-gated raffle is entered there (the
            // raffle section says so, and a hand-made POST is refused by the entry's batch).
            _ if raffle_open && page.raffle_role_id.is_some() => None,
            _ if raffle_open => Some(Action::Enter),
            _ if page.stock > 0 => Some(Action::Buy),
            _ => Some(Action::Line),
        };
        BuyBox {
            name: who.map(|w| w.viewer.username.clone()),
            csrf: who.map(|w| w.csrf.clone()).unwrap_or_default(),
            forms: action
                .into_iter()
                .map(|a| (format!("{path}/{}", a.path()), a.label()))
                .collect(),
            sign_in: super::session::sign_in_url(&path),
        }
    }
}

/// A raffle's public facts on its page (domain::raffle explains the draw).
struct RaffleView {
    closes: String,
    entries: i64,
    commitment: String,
    /// Who may enter (messages::raffle_gates; empty: anyone).
    gates: String,
    /// Once drawn.
    seed: Option<String>,
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
    reputation: ReputationView,
    live: Vec<DropView>,
    past: Vec<DropView>,
}

/// Browsers and the CDN may reuse the landing page this long.
const LANDING_CACHE_CONTROL: &str = "public, max-age=15";

// What the isolate keeps (pages::kept): the landing page as rendered, and drop pages'
// facts (for every visitor; a signed-in one's forms are added when rendering). Fresh for
// `PAGE_CACHE_SECONDS` (default 10), then served stale for up to 6x that while one
// background refresh re-reads D1; `PAGE_CACHE_SECONDS=0` turns it off. Besides the time, a
// hot drop's shared link then costs D1 (one query at a time per database) a read per
// isolate every few seconds, not one per view.
thread_local! {
    static LANDING: Kept<String> = const { Kept::new(1) };
    /// Drops by id; a drop page is a few KiB, so 200 of them are under a MiB.
    static DROPS: Kept<Rc<DropFacts>> = const { Kept::new(200) };
}

/// A drop and its builder's record, as one D1 batch read them.
type DropFacts = (
    store::listings::DropPage,
    Option<store::listings::Reputation>,
);

pub async fn landing(req: &Request, cx: &Cx, ctx: &Context) -> Response {
    // The raw URL string: `Request::url()` would parse it with the `url` crate, whose IDNA
    // tables cost ~75 KiB gzip of the module (measured; docs/performance.md).
    let url = req.inner().url();
    let param = |name| http::query_param(&url, name);
    let search = Browse::parse(
        param("type").as_deref(),
        param("guild").as_deref(),
        param("q").as_deref(),
        param("page").as_deref(),
    );
    if !search.is_default() {
        // A search or a later page: read and rendered for this visitor, not kept.
        return match render_search(cx, &search).await {
            Ok(body) => http::html_with(200, body, LANDING_CACHE_CONTROL, "bypass"),
            Err(e) => e.into_response(),
        };
    }
    let kept = kept::through(&LANDING, cx, ctx, "", kept::ttl_ms(cx), |cx| async move {
        render_search(&cx, &Browse::default()).await
    });
    match kept.await {
        Ok((body, fresh)) => http::html_with(200, body, LANDING_CACHE_CONTROL, fresh),
        Err(e) => e.into_response(),
    }
}

/// One D1 read and the page for `search`.
async fn render_search(cx: &Cx, search: &Browse) -> Result<String, PageError> {
    let db = cx.db()?;
    let drops = store::listings::browse(&db, cx.now_ms, search).await?;
    let base_url = config::public_base_url(&cx.env);
    let css = css_path();
    let page = Landing::new(
        &css,
        &base_url,
        search,
        drops.iter().map(DropView::from).collect(),
    );
    Ok(page.render()?)
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
/// For visitors who are not signed in it is public and kept by the isolate (as the landing
/// page); for those who are, it has their forms and is theirs alone.
pub async fn drop_page(req: &Request, cx: &Cx, ctx: &Context, id: &str) -> Response {
    if let Some(id) = id.strip_suffix("/draw.json") {
        return draw_record(cx, id).await;
    }
    let Some(id) = ListingId::parse(id).filter(|l| l.as_str() == id) else {
        return not_found();
    };
    crate::store::take_round_trips();
    let ttl = kept::ttl_ms(cx);
    let result = async {
        let who = super::session::browsing(req, cx, ttl).await?;
        let key = id.as_str().to_owned();
        let (facts, fresh) = kept::through(&DROPS, cx, ctx, &key, ttl, move |cx| {
            let id = id.clone();
            async move {
                let db = cx.db()?;
                let facts = store::listings::drop_page(&db, id.as_str()).await?;
                Ok(Rc::new(facts.ok_or(PageError::NotFound)?))
            }
        })
        .await?;
        let body = render_drop(cx, &facts, who.as_ref())?;
        Ok::<_, PageError>((body, fresh, who.is_some()))
    };
    let (response, signed_in) = match result.await {
        // A signed-in visitor's page has their forms: theirs alone.
        Ok((body, fresh, true)) => (http::html_with(200, body, "private, no-store", fresh), true),
        Ok((body, fresh, false)) => (
            http::html_with(200, body, "public, max-age=30", fresh),
            false,
        ),
        Err(e) => (e.into_response(), false),
    };
    log::event(
        "page_drop",
        serde_json::json!({ "signed_in": signed_in, "d1_round_trips": crate::store::take_round_trips() }),
    );
    http::vary_cookie(response)
}

/// The drop page, for `who` (signed in: with their forms) or for anyone.
fn render_drop(
    cx: &Cx,
    facts: &DropFacts,
    who: Option<&super::session::Signed>,
) -> Result<String, PageError> {
    let (page, reputation) = facts;
    let env = &cx.env;
    let base_url = config::public_base_url(env);
    let view = DropView::from(page);
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
        availability: availability(page, cx.now_ms),
        discord_url,
        invite_url: page.builder_invite.as_deref(),
        og_image: page
            .image_url
            .as_deref()
            .map(|url| config::absolute(&base_url, url)),
        reputation: reputation.as_ref().map(ReputationView::from),
        raffle: match (page.raffle_closes_at, &page.raffle_commitment) {
            (Some(closes), Some(commitment)) => Some(RaffleView {
                closes: super::orders::utc_minute(closes),
                entries: page.raffle_entries,
                commitment: commitment.clone(),
                gates: messages::raffle_gates(
                    page.raffle_min_age_days,
                    page.raffle_role_id.as_deref(),
                    page.raffle_min_tier.as_deref(),
                    Surface::Web,
                ),
                seed: page.raffle_seed.clone(),
            }),
            _ => None,
        },
        buy: BuyBox::new(page, who, cx.now_ms),
    }
    .render()?;
    Ok(body)
}

/// `GET /drops/{id}/draw.json`: a raffle's public record, what `dev/verify-draw.mjs` checks:
/// the commitment (public since the drop was posted), the seed and the drawn order once drawn,
/// every entry by Discord id, and how many units the first in the order won.
async fn draw_record(cx: &Cx, id: &str) -> Response {
    let Some(id) = ListingId::parse(id).filter(|l| l.as_str() == id) else {
        return not_found();
    };
    let result = async {
        let db = cx.db()?;
        let record = store::raffle::draw_record(&db, id.as_str())
            .await?
            .ok_or(PageError::NotFound)?;
        // Public; a minute's caching (the count grows until the draw, then it is final).
        Ok::<_, PageError>(http::bytes(
            "application/json",
            "public, max-age=60",
            record.into_bytes(),
        ))
    };
    result.await.unwrap_or_else(PageError::into_response)
}

/// `GET /builders/{handle}`: a builder's shop, live drops first, then past ones.
pub async fn builder_page(cx: &Cx, handle: &str) -> Response {
    let env = &cx.env;
    let result = async {
        let db = cx.db()?;
        let (profile, reputation, drops) = store::listings::builder_shop(&db, handle)
            .await?
            .ok_or(PageError::NotFound)?;
        let now = cx.now_ms;
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
            reputation: ReputationView::from(&reputation),
            live: live.into_iter().map(DropView::from).collect(),
            past: past.into_iter().map(DropView::from).collect(),
        }
        .render()?;
        Ok::<_, PageError>(http::html(200, body, "public, max-age=30"))
    };
    result.await.unwrap_or_else(PageError::into_response)
}

/// Forgets this isolate's rendered pages (after a change this isolate made itself; other
/// isolates' copies age out within `PAGE_CACHE_SECONDS`).
pub fn invalidate() {
    LANDING.with(Kept::clear);
    DROPS.with(Kept::clear);
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
            builder_invite: None,
            raffle_closes_at: None,
            raffle_commitment: None,
            raffle_seed: None,
            raffle_entries: 0,
            raffle_min_age_days: None,
            raffle_role_id: None,
            raffle_min_tier: None,
        }
    }

    #[test]
    fn landing_escapes_and_formats() {
        let search = Browse::default();
        let html = Landing::new(
            "/static/site.css",
            "https://c500.store",
            &search,
            vec![DropView::from(&card("<script>alert(1)</script>"))],
        )
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
    fn a_builders_record_reads_in_words() {
        let r = store::listings::Reputation {
            member_since: 1_764_000_000_000.0,
            twitch_login: Some("keyz".into()),
            completed_orders: 12,
            promised_shipped: 1,
            on_time: 1,
            vouches: 1,
            disputes: 0,
        };
        let v = ReputationView::from(&r);
        assert_eq!(v.completed, "12 completed orders");
        assert_eq!(v.on_time, "1 of 1 commission shipped by the promised date");
        assert_eq!(v.vouches, "Vouched for 1 buyer");
        assert_eq!(v.disputes, "No payment disputes");
        assert_eq!(v.since, "Member since 2025-11-24");
        assert_eq!(v.twitch.as_deref(), Some("https://www.twitch.tv/keyz"));
    }

    #[test]
    fn empty_landing_invites_builders() {
        let search = Browse::default();
        let html = Landing::new("/s.css", "https://c500.store", &search, vec![])
            .render()
            .unwrap();
        assert!(html.contains("No drops are live"));
        // A search that finds nothing says so, and offers the way back.
        let search = Browse::parse(None, None, Some("nothing like it"), None);
        let html = Landing::new("/s.css", "https://c500.store", &search, vec![])
            .render()
            .unwrap();
        assert!(html.contains("No live drop matches that"));
        assert!(html.contains("value=\"nothing like it\""));
    }
}
