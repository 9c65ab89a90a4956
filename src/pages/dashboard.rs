//! The builder dashboard on the site (issue 12.4), for a signed-in certified builder:
//! `GET /dashboard` (sums, charts drawn as SVG on the server, live drops with their edit
//! forms, orders waiting with what each needs next), `POST /dashboard/drops/{id}` (price and
//! stock, the rules of `/c500 inventory`), `POST /dashboard/drops/{id}/delist`, and the CSV
//! exports `GET /dashboard/orders.csv` and `/dashboard/payouts.csv` (exact cents).

use super::assets::css_path;
use super::kept::{self, Kept};
use super::notice::{notice, Notice};
use super::session::{self as visit, Signed};
use super::PageError;
use crate::context::Cx;
use crate::domain::charts::{self, Bar};
use crate::domain::csv;
use crate::domain::dates::{utc_minute, ymd};
use crate::domain::ids::ListingId;
use crate::domain::listing::{InventoryEdit, Kind};
use crate::domain::money::Cents;
use crate::messages::{self, Surface};
use crate::store::dashboard::{self as rows, DashboardPage};
use crate::store::listings::{self, ListingChange};
use crate::store::sessions::Viewer;
use crate::{http, log};
use askama::Template;
use serde_json::json;
use std::rc::Rc;
use worker::{Context, Request, Response};

const DAY_MS: f64 = 86_400_000.0;
/// Days of the daily sales chart, and weeks of the weekly one.
const DAYS: i64 = 30;
const WEEKS: i64 = 12;

/// One sum on the page.
pub struct Figure {
    pub label: &'static str,
    pub value: String,
    pub note: &'static str,
}

pub struct DropRow {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub price: String,
    /// The price as the form shows it (`450.00`).
    pub price_input: String,
    pub stock: i64,
    pub sold: i64,
    pub quantity: i64,
}

pub struct WaitingRow {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub paid: String,
    pub promised: Option<String>,
    pub next: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardTemplate<'a> {
    css: &'a str,
    name: &'a str,
    handle: &'a str,
    /// Their server invite, as the form shows it.
    invite: &'a str,
    csrf: &'a str,
    figures: Vec<Figure>,
    /// Pre-rendered, escaped SVG (domain::charts).
    charts: Vec<(&'static str, String)>,
    drops: Vec<DropRow>,
    waiting: Vec<WaitingRow>,
    /// Said once after a change (`?saved=…`).
    flash: Option<&'static str>,
}

/// Why a signed-in visitor has no dashboard: no shop at all, or one HQ has not certified.
fn not_a_builder(approved: Option<i64>) -> Response {
    let (title, message) = match approved {
        Some(_) => ("Your shop isn't certified yet", "C500 HQ certifies builders before their shop opens. Run /c500 setup stripe in Discord and ask HQ; the handbook explains how."),
        None => ("Builders only", "The dashboard is for C500's certified builders. The handbook explains how to become one."),
    };
    notice(
        403,
        &Notice {
            title,
            message: message.to_owned(),
            link: Some(("Read the handbook".to_owned(), "/handbook".to_owned())),
            back: Some(("My orders".to_owned(), "/me".to_owned())),
            ..Notice::default()
        },
    )
}

fn sign_in_to(path: &str) -> Response {
    notice(
        200,
        &Notice {
            title: "Your C500 dashboard",
            message: "Sign in with Discord to see your shop: sales, payouts, drops and the orders waiting on you.".to_owned(),
            link: Some(("Sign in with Discord".to_owned(), visit::sign_in_url(path))),
            ..Notice::default()
        },
    )
}

// What the isolate keeps (pages::kept): the dashboards it read lately, by session (the
// session found alive, and the shop's figures), fresh for `PAGE_CACHE_SECONDS`, never served
// older (no stale-while-refresh here: the page is private, so its session check is never
// put off longer). A builder refreshing costs D1 nothing. Changes this isolate makes on the
// dashboard, with `/c500 inventory` or `/c500 drop`, a raffle drawn (`pages::invalidate`),
// signing out and a ban forget it at once; anything else (a sale, a shipment, another
// isolate's change) shows within `PAGE_CACHE_SECONDS`. Every form post reads the session
// from D1 again (session::posted).
thread_local! {
    static KEPT: Kept<Rc<(Viewer, DashboardPage)>> = const { Kept::new(50) };
}

/// Forgets every dashboard this isolate kept (after a change this isolate made).
pub fn invalidate() {
    KEPT.with(Kept::clear);
}

/// Forgets the dashboard kept for a session (signing out).
pub fn forget(id_hash: &str) {
    KEPT.with(|k| k.forget(id_hash));
}

/// `GET /dashboard`.
pub async fn show(req: &Request, cx: &Cx) -> Response {
    let flash = match http::query_param(&req.inner().url(), "saved").as_deref() {
        Some("edit") => Some("✅ Saved. The drop's post in Discord is being updated."),
        Some("delist") => Some("✅ Delisted. The drop's post in Discord now says so."),
        Some("invite") => Some("✅ Saved. Your drops' pages link your server."),
        _ => None,
    };
    crate::store::take_round_trips();
    let result = async {
        let Some(claim) = visit::claim(req, cx) else {
            return Ok(sign_in_to("/dashboard"));
        };
        let today = charts::day_of(cx.now_ms);
        let ttl = kept::ttl_ms(cx);
        let kept = KEPT
            .with(|k| k.get(&claim.id_hash, cx.now_ms))
            .filter(|(_, age)| *age <= ttl);
        let (facts, fresh) = match kept {
            Some((facts, _)) => (facts, "hit"),
            None => {
                let db = cx.db()?;
                let since = (today - WEEKS * 7 + 1) as f64 * DAY_MS;
                // The session's check and the shop's figures in one batch; the figures are
                // shown only if the session is alive.
                let (found, page) = rows::page(&db, claim.check(cx.now_ms), since).await?;
                let Some(viewer) = found.filter(|v| v.discord_id == claim.discord_id) else {
                    KEPT.with(|k| k.forget(&claim.id_hash));
                    return Ok(sign_in_to("/dashboard"));
                };
                let page = match page {
                    Some(page) if page.sums.approved == 1 => page,
                    other => return Ok(not_a_builder(other.map(|p| p.sums.approved))),
                };
                let facts = Rc::new((viewer, page));
                if ttl > 0.0 {
                    KEPT.with(|k| k.keep(&claim.id_hash, facts.clone(), cx.now_ms));
                }
                (facts, "miss")
            }
        };
        let (viewer, page) = &*facts;
        let Some(Signed { csrf, .. }) = claim.signed(Some(viewer.clone())) else {
            return Ok(sign_in_to("/dashboard"));
        };
        let body = render(page, &viewer.username, &csrf, flash, today)?;
        log::event(
            "page_dashboard",
            json!({ "d1_round_trips": crate::store::take_round_trips(), "cache": fresh }),
        );
        Ok::<_, PageError>(http::html_with(200, body, "private, no-store", fresh))
    };
    result.await.unwrap_or_else(PageError::into_response)
}

fn money(cents: i64) -> String {
    Cents::new(cents).to_string()
}

fn render(
    p: &DashboardPage,
    name: &str,
    csrf: &str,
    flash: Option<&'static str>,
    today: i64,
) -> Result<String, askama::Error> {
    let s = &p.sums;
    let figures = vec![
        Figure {
            label: "Sales",
            value: money(s.sales_cents),
            note: "what buyers paid, on orders that stand",
        },
        Figure {
            label: "C500's fee",
            value: money(s.fees_cents),
            note: "10% of those",
        },
        Figure {
            label: "Held by C500",
            value: money(s.held_cents),
            note: "your payouts, until proof or shipping",
        },
        Figure {
            label: "Released to you",
            value: money(s.released_cents),
            note: "transfers to your Stripe account, less reversals",
        },
        Figure {
            label: "Refunded",
            value: money(s.refunded_cents),
            note: "to buyers, by Stripe",
        },
        Figure {
            label: "Orders",
            value: s.orders.to_string(),
            note: "not cancelled",
        },
    ];
    let sums: Vec<(i64, i64)> = p.days.iter().map(|d| (d.day, d.cents)).collect();
    let units: Vec<Bar> = p
        .units
        .iter()
        .map(|u| Bar {
            label: u.title.clone(),
            value: u.units,
            shown: units_word(u.units),
        })
        .collect();
    let mut buckets = [0i64; charts::SHIP_BUCKETS.len()];
    for t in &p.ship_times {
        if let Some(n) = buckets.get_mut(charts::ship_bucket(t.hours)) {
            *n += 1;
        }
    }
    let ship: Vec<Bar> = charts::SHIP_BUCKETS
        .iter()
        .zip(buckets)
        .map(|((label, _), n)| Bar {
            label: (*label).to_owned(),
            value: n,
            shown: if n == 1 {
                "1 order".to_owned()
            } else {
                format!("{n} orders")
            },
        })
        .collect();
    let charts = vec![
        (
            "Sales per day, last 30 days",
            charts::columns(
                "Sales per day, last 30 days",
                &charts::per_day(&sums, today, DAYS, money),
                5,
            ),
        ),
        (
            "Sales per week, last 12 weeks",
            charts::columns(
                "Sales per week, last 12 weeks",
                &charts::per_week(&sums, today, WEEKS, money),
                2,
            ),
        ),
        (
            "Units sold by drop",
            charts::rows("Units sold by drop", &units),
        ),
        (
            "Time from payment to shipping",
            charts::rows("Time from payment to shipping", &ship),
        ),
    ];
    let drops = p
        .drops
        .iter()
        .map(|d| DropRow {
            id: d.id.clone(),
            title: d.title.clone(),
            kind: match d.kind {
                Kind::Commission => "✨ Commission",
                Kind::ReadyToShip => "📦 Ready to ship",
            },
            price: money(d.price_cents),
            price_input: csv::dollars(d.price_cents),
            stock: d.stock,
            sold: d.sold,
            quantity: d.quantity,
        })
        .collect();
    let waiting = p
        .waiting
        .iter()
        .map(|o| WaitingRow {
            id: o.id.clone(),
            title: o.title.clone(),
            status: o.status.label(),
            paid: utc_minute(o.paid_at),
            promised: o.promised_by.map(ymd),
            next: messages::next_step(o, Surface::Web),
        })
        .collect();
    DashboardTemplate {
        css: &css_path(),
        name,
        handle: &s.handle,
        invite: s.invite_url.as_deref().unwrap_or_default(),
        csrf,
        figures,
        charts,
        drops,
        waiting,
        flash,
    }
    .render()
}

fn units_word(n: i64) -> String {
    if n == 1 {
        "1 unit".to_owned()
    } else {
        format!("{n} units")
    }
}

/// What a dashboard form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Edit,
    Delist,
}

impl Change {
    /// `D-XXXXXXXX` or `D-XXXXXXXX/delist`.
    pub fn parse(rest: &str) -> Option<(ListingId, Change)> {
        let (id, change) = match rest.split_once('/') {
            None => (rest, Change::Edit),
            Some((id, "delist")) => (id, Change::Delist),
            Some(_) => return None,
        };
        Some((ListingId::parse(id).filter(|l| l.as_str() == id)?, change))
    }
}

/// `POST /dashboard/drops/{id}[/delist]`: the builder's own live drop, as `/c500 inventory`
/// changes it (one batch: the change, the embed edit queued); back to the dashboard.
pub async fn change(
    mut req: Request,
    cx: &Cx,
    ctx: &Context,
    listing: ListingId,
    change: Change,
) -> Response {
    let posted = match visit::posted(&mut req, cx, "/dashboard").await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let back = || Some(("Back to your dashboard".to_owned(), "/dashboard".to_owned()));
    let edit = match change {
        Change::Delist => None,
        Change::Edit => {
            match InventoryEdit::parse(
                posted.field("price").unwrap_or_default(),
                posted.field("stock").unwrap_or_default(),
                None,
            ) {
                Ok(edit) => Some(edit),
                Err(e) => {
                    return notice(
                        400,
                        &Notice {
                            title: "Check your change",
                            message: format!("{} {}. Nothing was changed.", e.field, e.message),
                            back: back(),
                            ..Notice::default()
                        },
                    )
                }
            }
        }
    };
    let seller = posted.who.viewer.discord_id.clone();
    let result = async {
        let db = cx.db()?;
        let now = cx.now_ms;
        Ok::<_, crate::error::Failure>(match &edit {
            Some(edit) => listings::edit_listing(&db, listing.as_str(), &seller, edit, now).await?,
            None => listings::delist_listing(&db, listing.as_str(), &seller, now).await?,
        })
    };
    match result.await {
        Ok(ListingChange::Changed(_)) => {
            log::event(
                if edit.is_some() {
                    "listing_edited"
                } else {
                    "listing_delisted"
                },
                json!({ "listing": listing.as_str(), "seller": seller, "from": "dashboard" }),
            );
            super::invalidate();
            let cx = cx.clone();
            ctx.wait_until(async move {
                if let Err(e) = crate::outbox::drain_soon(&cx, 10).await {
                    log::error("outbox_drain_failed", &e);
                }
            });
            let saved = if edit.is_some() { "edit" } else { "delist" };
            http::redirect_setting(303, &format!("/dashboard?saved={saved}"), &[])
        }
        Ok(ListingChange::NotLive) => notice(
            409,
            &Notice {
                title: "Not live any more",
                message: "This drop is sold out, delisted or paused, so it can't be changed here."
                    .to_owned(),
                back: back(),
                ..Notice::default()
            },
        ),
        Ok(ListingChange::NotYours) => notice(
            403,
            &Notice {
                title: "Not your drop",
                message: "Only the builder who posted a drop can change it.".to_owned(),
                back: back(),
                ..Notice::default()
            },
        ),
        Err(e) => {
            log::error("dashboard_change_failed", &e);
            PageError::Internal(e.to_string()).into_response()
        }
    }
}

/// `POST /dashboard/invite`: the builder's Discord server invite (empty clears it), shown on
/// their drops' pages. Only a discord.gg or discord.com/invite link is taken.
pub async fn set_invite(mut req: Request, cx: &Cx) -> Response {
    let posted = match visit::posted(&mut req, cx, "/dashboard").await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let typed = posted.field("invite").unwrap_or_default().trim();
    let invite = if typed.is_empty() {
        None
    } else {
        match crate::domain::seller::invite(typed) {
            Some(url) => Some(url),
            None => {
                return notice(
                    400,
                    &Notice {
                        title: "Check your invite",
                        message: "Paste your server's invite link, like https://discord.gg/yourserver. Nothing was changed.".to_owned(),
                        back: Some(("Back to your dashboard".to_owned(), "/dashboard".to_owned())),
                        ..Notice::default()
                    },
                )
            }
        }
    };
    let seller = posted.who.viewer.discord_id.clone();
    let result = async {
        let db = cx.db()?;
        Ok::<_, crate::error::Failure>(
            rows::set_invite(&db, &seller, invite.as_deref(), cx.now_ms).await?,
        )
    };
    match result.await {
        Ok(true) => {
            // The drop pages this isolate keeps show the invite.
            super::invalidate();
            http::redirect_setting(303, "/dashboard?saved=invite", &[])
        }
        Ok(false) => not_a_builder(None),
        Err(e) => {
            log::error("dashboard_invite_failed", &e);
            PageError::Internal(e.to_string()).into_response()
        }
    }
}

/// The most rows one export holds (a builder with more exports by year, later).
const EXPORT_LIMIT: u32 = 10_000;

/// `GET /dashboard/orders.csv` and `/dashboard/payouts.csv`: for taxes, exact cents.
pub async fn export(req: &Request, cx: &Cx, what: &str) -> Response {
    let result = async {
        let Some(Signed { viewer, .. }) = visit::visitor(req, cx).await? else {
            return Ok(sign_in_to("/dashboard"));
        };
        let db = cx.db()?;
        let seller = &viewer.discord_id;
        if !rows::has_shop(&db, seller).await? {
            return Ok(not_a_builder(None));
        }
        let body = match what {
            "orders" => {
                let mut out = csv::line(
                    &[
                        "order",
                        "created_utc",
                        "paid_utc",
                        "shipped_utc",
                        "drop",
                        "status",
                        "escrow",
                        "item_usd",
                        "shipping_usd",
                        "gross_usd",
                        "c500_fee_usd",
                        "payout_usd",
                        "refunded_usd",
                        "released_usd",
                    ]
                    .map(str::to_owned),
                );
                for o in rows::order_lines(&db, seller, EXPORT_LIMIT).await? {
                    out.push_str(&csv::line(&[
                        o.id,
                        utc_minute(o.created_at),
                        utc_minute(o.paid_at),
                        o.shipped_at.map(utc_minute).unwrap_or_default(),
                        o.title,
                        o.status,
                        o.escrow,
                        csv::dollars(o.item_cents),
                        csv::dollars(o.shipping_cents),
                        csv::dollars(o.gross_cents),
                        csv::dollars(o.fee_cents),
                        csv::dollars(o.payout_cents),
                        csv::dollars(o.refunded_cents),
                        csv::dollars(o.released_cents),
                    ]));
                }
                out
            }
            _ => {
                let mut out = csv::line(
                    &["at_utc", "order", "kind", "amount_usd", "stripe_id"].map(str::to_owned),
                );
                for p in rows::payout_lines(&db, seller, EXPORT_LIMIT).await? {
                    let signed = if p.kind == "reversal" {
                        -p.amount_cents
                    } else {
                        p.amount_cents
                    };
                    out.push_str(&csv::line(&[
                        utc_minute(p.at),
                        p.order_id,
                        p.kind,
                        csv::dollars(signed),
                        p.stripe_id.unwrap_or_default(),
                    ]));
                }
                out
            }
        };
        let name = format!("c500-{what}-{}.csv", ymd(cx.now_ms));
        Ok::<_, PageError>(http::download(
            "text/csv; charset=utf-8",
            &name,
            body.into_bytes(),
        ))
    };
    result.await.unwrap_or_else(PageError::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_paths_parse_strictly() {
        assert_eq!(Change::parse("D-ABCDEFGH").map(|c| c.1), Some(Change::Edit));
        assert_eq!(
            Change::parse("D-ABCDEFGH/delist").map(|c| c.1),
            Some(Change::Delist)
        );
        assert!(Change::parse("D-ABCDEFGH/other").is_none());
        assert!(Change::parse("x/delist").is_none());
    }
}
