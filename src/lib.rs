//! C500 Collective: one Cloudflare Worker serving the Discord interactions endpoint,
//! the Stripe webhook and the storefront. This file routes, and exports the interactions
//! fast path that src/entry.js calls.

pub mod clients;
pub mod config;
pub mod context;
pub mod cron;
pub mod discord;
pub mod domain;
pub mod error;
pub mod flows;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod http;
pub mod interactions;
pub mod log;
pub mod messages;
pub mod outbox;
pub mod pace;
pub mod pages;
pub mod photos;
pub mod sleep;
pub mod store;
pub mod stripe;
pub mod twitch;
pub mod webhooks;

use worker::wasm_bindgen::{self, prelude::wasm_bindgen};
use worker::{event, Context, Env, Method, Request, Response, Result};

/// The interactions endpoint, called by `src/entry.js` for every `POST /interactions` with
/// the body and the two signature headers it read natively, and whether the runtime's
/// Ed25519 found the signature valid. Answering synchronously skips the futures, closures
/// and microtasks that are most of a Rust worker's per-request cost (docs/bench.md). An
/// interaction that needs I/O returns a Promise of the Response instead, which the entry
/// awaits.
#[wasm_bindgen]
pub fn interaction(
    body: &[u8],
    signature: Option<String>,
    timestamp: Option<String>,
    signed: bool,
    env: &Env,
    ctx: worker::worker_sys::Context,
) -> wasm_bindgen::JsValue {
    let (signature, timestamp) = (signature.as_deref(), timestamp.as_deref());
    let cx = context::Cx::new(env);
    match interactions::respond(body, signature, timestamp, signed, &cx, &ctx) {
        interactions::Outcome::Now(reply) => to_response(&reply).into(),
        interactions::Outcome::Later(work) => {
            worker::wasm_bindgen_futures::future_to_promise(async move {
                Ok(to_response(&work.await).into())
            })
            .into()
        }
    }
}

fn to_response(reply: &http::Reply) -> worker::web_sys::Response {
    new_response(reply.status, reply.content_type, &reply.body)
}

// One JS call builds the Response (worker::Response would make a Headers object, a
// ResponseInit with several property sets and a byte copy, each a wrapped JS call).
#[wasm_bindgen(inline_js = "export function new_response(status, type, body) {
  return new Response(body, { status, headers: { 'content-type': type } });
}")]
extern "C" {
    pub(crate) fn new_response(
        status: u16,
        content_type: &str,
        body: &str,
    ) -> worker::web_sys::Response;
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let path = req.path();
    let cx = &context::Cx::new(&env);
    Ok(match (req.method(), path.as_str()) {
        (Method::Post, "/webhooks/stripe") => webhooks::stripe(req, cx, &ctx).await,
        (Method::Get | Method::Head, "/") => pages::storefront::landing(&req, cx, &ctx).await,
        (Method::Get | Method::Head, "/healthz") => healthz(&env).await,
        (Method::Get, "/onboarding/refresh") => {
            pages::onboarding::onboarding_refresh(&req, cx).await
        }
        (Method::Get, "/onboarding/return") => pages::onboarding::onboarding_return(&req, cx).await,
        (Method::Get, "/success") => pages::orders::success(&req, cx).await,
        (Method::Get, "/oauth/twitch/callback") => pages::twitch::callback(&req, cx).await,
        (Method::Get, "/signin") => pages::account::signin(&req, cx),
        (Method::Get, "/oauth/discord/callback") => pages::account::callback(&req, cx).await,
        (Method::Post, "/signout") => pages::account::signout(req, cx).await,
        (Method::Get | Method::Head, "/me") => pages::account::me(&req, cx).await,
        (Method::Post, "/me/report") => pages::account::report(req, cx, &ctx).await,
        (Method::Get | Method::Head, "/dashboard") => pages::dashboard::show(&req, cx).await,
        (Method::Get, "/dashboard/orders.csv") => {
            pages::dashboard::export(&req, cx, "orders").await
        }
        (Method::Get, "/dashboard/payouts.csv") => {
            pages::dashboard::export(&req, cx, "payouts").await
        }
        (Method::Post, "/dashboard/invite") => pages::dashboard::set_invite(req, cx).await,
        (Method::Post, p) if p.starts_with("/dashboard/drops/") => {
            match pages::dashboard::Change::parse(p.trim_start_matches("/dashboard/drops/")) {
                Some((listing, change)) => {
                    pages::dashboard::change(req, cx, &ctx, listing, change).await
                }
                None => pages::not_found(),
            }
        }
        (Method::Post, "/webhooks/twitch") => webhooks::twitch::eventsub(req, cx, &ctx).await,
        (Method::Get | Method::Head, "/sitemap.xml") => pages::guides::sitemap(cx).await,
        (Method::Get, p) if p.starts_with("/orders/") => {
            pages::orders::status(cx, p.trim_start_matches("/orders/")).await
        }
        (Method::Get | Method::Head, p) if p.starts_with("/drops/") => {
            pages::storefront::drop_page(&req, cx, &ctx, p.trim_start_matches("/drops/")).await
        }
        (Method::Post, p) if p.starts_with("/drops/") => {
            match pages::shop::Action::parse(p.trim_start_matches("/drops/")) {
                Some((listing, action)) => pages::shop::post(req, cx, &ctx, listing, action).await,
                None => pages::not_found(),
            }
        }
        (Method::Get | Method::Head, p) if p.starts_with("/photos/") => {
            photos::serve(cx, p.trim_start_matches("/photos/")).await
        }
        (Method::Get | Method::Head, p) if p.starts_with("/builders/") => {
            pages::storefront::builder_page(cx, p.trim_start_matches("/builders/")).await
        }
        (Method::Get | Method::Head, _) => pages::not_found(),
        _ => http::text(405, "method not allowed"),
    })
}

/// Cron (wrangler.toml `[triggers]`): see cron.rs.
#[event(scheduled)]
async fn scheduled(event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    cron::run(&context::Cx::new(&env), &event.cron()).await;
}

/// Liveness, a one-row D1 read (a broken binding shows up here first), and every required
/// setting that is missing or malformed, by name only: 503 until the deployment is whole.
async fn healthz(env: &Env) -> Response {
    let db_ok = match config::db(env) {
        Ok(db) => store::ping(&db).await.is_ok(),
        Err(_) => false,
    };
    let problems = config::problems(env);
    for problem in &problems {
        log::error("config", problem);
    }
    let ok = db_ok && problems.is_empty();
    let names = |malformed: bool| -> Vec<&str> {
        problems
            .iter()
            .filter(|p| p.malformed.is_some() == malformed)
            .map(|p| p.setting)
            .collect()
    };
    let body = if problems.is_empty() {
        serde_json::json!({ "ok": ok, "db": db_ok })
    } else {
        serde_json::json!({ "ok": ok, "db": db_ok, "missing": names(false), "malformed": names(true) })
    };
    http::json(if ok { 200 } else { 503 }, body.to_string())
}
