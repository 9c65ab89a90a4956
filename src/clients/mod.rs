//! Thin typed calls to the services C500 talks to, over `worker::Fetch`, each with its
//! base URL from the environment (so tests and `make dev` point them at the stand-ins).

pub mod clicks;
pub mod discord;
pub mod stripe;
pub mod twitch;

use serde_json::Value;
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// One HTTP call: `headers` as given, the body as a string, the answer's status and JSON.
/// Each client turns a non-2xx status into its own error.
pub(crate) async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Result<(u16, Value), worker::Error> {
    let request_headers = Headers::new();
    for (name, value) in headers {
        request_headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(request_headers);
    if let Some(body) = body {
        init.with_body(Some(body.into()));
    }
    let mut response = Fetch::Request(Request::new_with_init(url, &init)?)
        .send()
        .await?;
    let status = response.status_code();
    // Some answers have no body (Discord's 204s); some errors aren't JSON.
    let text = response.text().await?;
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Ok((status, value))
}
