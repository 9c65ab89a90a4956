//! Thin typed calls to the services C500 talks to, over `worker::Fetch`, each with its
//! base URL from the environment (so tests and `make dev` point them at the stand-ins).

pub mod clicks;
pub mod discord;
pub mod pace;
pub mod stripe;
pub mod twitch;

use serde_json::Value;
use worker::{web_sys, Fetch, Headers, Method, Request};

/// An outgoing request, built on the runtime's own `RequestInit`. Why not worker's
/// `RequestInit`: converting it always goes through its Cloudflare `cf` options (image
/// resizing and all), code and strings C500 never uses (docs/performance.md: ~1 KiB gzip).
pub(crate) fn request(
    method: Method,
    url: &str,
    headers: &Headers,
    body: Option<&str>,
) -> Result<Request, worker::Error> {
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    init.set_headers(headers.as_ref());
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    Ok(web_sys::Request::new_with_str_and_init(url, &init)?.into())
}

/// One HTTP call: `headers` as given, the body as a string, the answer's status and JSON.
/// Each client turns a non-2xx status into its own error.
pub(crate) async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Result<(u16, Value), worker::Error> {
    let (status, value, _) = send_reading(method, url, headers, body).await?;
    Ok((status, value))
}

/// As [`send`], with the answer's headers (Discord states its rate limits in them).
pub(crate) async fn send_reading(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Result<(u16, Value, Headers), worker::Error> {
    let request_headers = Headers::new();
    for (name, value) in headers {
        request_headers.set(name, value)?;
    }
    let mut response = Fetch::Request(request(method, url, &request_headers, body.as_deref())?)
        .send()
        .await?;
    let status = response.status_code();
    let answer_headers = response.headers().clone();
    // Some answers have no body (Discord's 204s); some errors aren't JSON.
    let text = response.text().await?;
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Ok((status, value, answer_headers))
}
