//! The checkout pages and the order status page. They show the order as D1 knows it and
//! never trust the redirect: /success says "paid" only once the webhook has landed.

use super::assets::css_path;
use super::PageError;
use crate::context::Cx;
pub use crate::domain::dates::utc_minute;
use crate::domain::money::Cents;
use crate::domain::order::OrderStatus;
use crate::store::orders::{self, CheckoutState, OrderPage};
use crate::{config, http};
use askama::Template;
use worker::{Request, Response};

pub struct OrderView {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub escrow: &'static str,
    pub gross: String,
    pub breakdown: String,
    pub promised_by: Option<String>,
    pub status_url: Option<String>,
    pub timeline: Vec<EventView>,
}

pub struct EventView {
    pub at: String,
    pub status: &'static str,
    pub detail: Option<String>,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderTemplate<'a> {
    css: &'a str,
    heading: &'a str,
    message: &'a str,
    refresh: bool,
    order: Option<OrderView>,
}

fn view(page: OrderPage, with_link: Option<&str>) -> OrderView {
    let o = page.order;
    OrderView {
        status: o.status.label(),
        escrow: o.escrow.label(),
        gross: Cents::new(o.gross_cents).to_string(),
        breakdown: if o.shipping_cents > 0 {
            format!(
                "{} item + {} shipping",
                Cents::new(o.item_cents),
                Cents::new(o.shipping_cents)
            )
        } else {
            "free shipping".to_owned()
        },
        promised_by: o.promised_by.map(utc_minute),
        status_url: with_link.map(|base| format!("{base}/orders/{}", o.status_token)),
        timeline: timeline(page.events),
        id: o.id,
        title: o.title,
    }
}

/// An order's events as its timeline shows them (the order page, My orders).
pub fn timeline(events: Vec<crate::store::orders::OrderEvent>) -> Vec<EventView> {
    events
        .into_iter()
        .map(|e| EventView {
            at: utc_minute(e.at),
            status: e.to_status.label(),
            detail: e.detail,
        })
        .collect()
}

fn render(status: u16, page: OrderTemplate<'_>) -> Response {
    match page.render() {
        Ok(body) => http::html(status, body, "private, no-store"),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `GET /success?session_id=`: where Stripe sends the buyer after paying.
pub async fn success(req: &Request, cx: &Cx) -> Response {
    let env = &cx.env;
    let Some(session) = http::query_param(&req.inner().url(), "session_id") else {
        return http::redirect("/");
    };
    let css = css_path();
    let result = async {
        let db = cx.db()?;
        Ok::<_, PageError>(orders::checkout_state(&db, &session).await?)
    };
    match result.await {
        Ok(CheckoutState::Order(page)) => {
            let base = config::public_base_url(env);
            let paid = page.order.status != OrderStatus::Cancelled;
            render(
                200,
                OrderTemplate {
                    css: &css,
                    heading: if paid { "Payment Successful! 🎉" } else { "Refunded in full" },
                    message: if paid {
                        "Your funds are secure in the C500 Vault. Check your Discord DMs for confirmation!"
                    } else {
                        "Your payment arrived after your hold ended and the drop had sold out, so C500 refunded it in full."
                    },
                    refresh: false,
                    order: Some(view(*page, Some(&base))),
                },
            )
        }
        Ok(CheckoutState::Pending) => render(
            200,
            OrderTemplate {
                css: &css,
                heading: "Confirming your payment…",
                message: "Stripe is telling us about your payment. This page refreshes by itself; it usually takes a few seconds.",
                refresh: true,
                order: None,
            },
        ),
        Ok(CheckoutState::Unknown) => PageError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /cancel`, where Stripe sends a buyer who left Checkout: the same for everyone, so a
/// static asset that `src/bin/site.rs` writes at build time (the Worker never serves it).
pub fn cancel_page() -> Result<String, askama::Error> {
    OrderTemplate {
        css: &css_path(),
        heading: "Checkout cancelled",
        message: "No worries, nothing was charged. Your unit stays reserved for the rest of its 30 minutes: click Buy again in Discord to pick up where you left off, or let it go and it returns to the shop.",
        refresh: false,
        order: None,
    }
    .render()
}

/// `GET /orders/{token}`: the order and its timeline, for whoever holds the link.
pub async fn status(cx: &Cx, token: &str) -> Response {
    let css = css_path();
    let result = async {
        // Tokens are 32 base32 characters; anything else is not one.
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PageError::NotFound);
        }
        let db = cx.db()?;
        orders::order_page(&db, token)
            .await?
            .ok_or(PageError::NotFound)
    };
    match result.await {
        Ok(page) => render(
            200,
            OrderTemplate {
                css: &css,
                heading: "Your order",
                message: "Everything C500 knows about this order, live from our records.",
                refresh: false,
                order: Some(view(page, None)),
            },
        ),
        Err(e) => e.into_response(),
    }
}
