//! The site (C500.store): storefront, signing in and My orders, buying on the web,
//! onboarding, orders, the Twitch callback, assets; and
//! PageError, what a visitor sees when a page fails. Templates escape HTML.

pub mod account;
pub mod assets;
pub mod dashboard;
pub mod guides;
pub mod kept;
pub mod notice;
pub mod onboarding;
pub mod orders;
pub mod session;
pub mod shop;
pub mod storefront;
pub mod twitch;

use crate::{http, log};
use askama::Template;
use worker::Response;

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
    pub(crate) fn into_response(self) -> Response {
        let css = assets::css_path();
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

pub fn not_found() -> Response {
    PageError::NotFound.into_response()
}

/// Forgets what this isolate keeps of its pages (the landing page, drop pages' facts, the
/// dashboards), after a change this isolate made itself; other isolates' copies age out
/// within `PAGE_CACHE_SECONDS`.
pub fn invalidate() {
    storefront::invalidate();
    dashboard::invalidate();
}

/// Forgets what this isolate keeps about one session (signing out): that it was alive (the
/// drop page) and its dashboard.
pub fn forget_session(id_hash: &str) {
    session::forget(id_hash);
    dashboard::forget(id_hash);
}
