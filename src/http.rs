//! Response helpers shared by every route, with the headers each kind of response needs.

use worker::{Headers, Response, ResponseBuilder};

/// A finished answer as plain data. Synchronous handlers return this; the edge turns it into
/// a Response (on the interactions fast path with a single JS call, see lib.rs).
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: String) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body,
        }
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.to_owned(),
        }
    }
}

impl From<Reply> for Response {
    fn from(reply: Reply) -> Response {
        ResponseBuilder::new()
            .with_status(reply.status)
            .with_headers(with_headers(&[("content-type", reply.content_type)]))
            .fixed(reply.body.into_bytes())
    }
}

fn with_headers(pairs: &[(&str, &str)]) -> Headers {
    let headers = Headers::new();
    for (name, value) in pairs {
        // Names and values here are static and valid; a failure would only drop a header.
        let _ = headers.set(name, value);
    }
    headers
}

/// A JSON body (already serialised) with `status`.
pub fn json(status: u16, body: String) -> Response {
    Reply::json(status, body).into()
}

/// Every page's Content-Security-Policy: no script at all, styles and forms from the site only.
/// The static guides get the same header from their `_headers` file (src/bin/site.rs).
pub const PAGE_CSP: &str = "default-src 'self'; img-src https: data:; style-src 'self'; \
     script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
     form-action 'self'";

/// Every page's Referrer-Policy (the static guides' too).
pub const PAGE_REFERRER_POLICY: &str = "strict-origin-when-cross-origin";

/// Pages: HTML with the site's security headers and a caching policy.
pub fn html(status: u16, body: String, cache_control: &str) -> Response {
    html_with(status, body, cache_control, "none")
}

/// As [`html`], saying whether the worker's own page cache answered (`x-c500-cache`).
pub fn html_with(status: u16, body: String, cache_control: &str, cache_status: &str) -> Response {
    ResponseBuilder::new()
        .with_status(status)
        .with_headers(with_headers(&[
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", cache_control),
            ("x-c500-cache", cache_status),
            ("content-security-policy", PAGE_CSP),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", PAGE_REFERRER_POLICY),
        ]))
        .fixed(body.into_bytes())
}

/// Bytes of a given type (a photo), with the caching it allows.
pub fn bytes(content_type: &str, cache_control: &str, body: Vec<u8>) -> Response {
    let headers = worker::Headers::new();
    let _ = headers.set("content-type", content_type);
    let _ = headers.set("cache-control", cache_control);
    let _ = headers.set("x-content-type-options", "nosniff");
    match Response::from_bytes(body) {
        Ok(response) => response.with_headers(headers),
        Err(_) => text(500, "could not build the response"),
    }
}

pub fn text(status: u16, body: &str) -> Response {
    Reply::text(status, body).into()
}

/// The first value of query parameter `name` in `url`, percent-decoded (`+` is a space).
/// A malformed escape (`%zz`) or bytes that are not UTF-8 make the whole query unreadable
/// rather than silently replaced (form_urlencoded alone would keep `%zz` as text).
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    if !well_escaped(query) {
        return None;
    }
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.contains(char::REPLACEMENT_CHARACTER))
}

/// Every `%` starts a two-hex-digit escape.
fn well_escaped(query: &str) -> bool {
    let bytes = query.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

/// Why a body could not be read within its cap.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Bigger than the cap: said so by Content-Length, or found while streaming.
    TooLarge,
    /// The stream failed (the client went away).
    Unreadable,
}

/// Reads a body of at most `cap` bytes. A Content-Length over the cap is refused before a
/// byte is read; otherwise the stream is read chunk by chunk and given up as soon as it
/// passes the cap, so a lying or missing Content-Length never makes us buffer more.
pub async fn read_capped(
    content_length: Option<String>,
    stream: worker::Result<worker::ByteStream>,
    cap: usize,
) -> Result<Vec<u8>, BodyError> {
    if let Some(declared) = content_length.and_then(|v| v.trim().parse::<u64>().ok()) {
        if declared > cap as u64 {
            return Err(BodyError::TooLarge);
        }
    }
    let mut stream = match stream {
        Ok(stream) => stream,
        // No body at all (a GET-like request) reads as empty.
        Err(_) => return Ok(Vec::new()),
    };
    let mut body = Vec::new();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if body.len() + chunk.len() > cap {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A request's body, at most `cap` bytes (see [`read_capped`]).
pub async fn request_body(req: &mut worker::Request, cap: usize) -> Result<Vec<u8>, BodyError> {
    let declared = req.headers().get("content-length").ok().flatten();
    read_capped(declared, req.stream(), cap).await
}

/// A 302 to `location` (never cached: these are one-time links).
pub fn redirect(location: &str) -> Response {
    ResponseBuilder::new()
        .with_status(302)
        .with_headers(with_headers(&[
            ("location", location),
            ("cache-control", "no-store"),
        ]))
        .empty()
}

/// A redirect (302 after a GET, 303 after a form post) setting `cookies` (never cached).
pub fn redirect_setting(status: u16, location: &str, cookies: &[String]) -> Response {
    let headers = with_headers(&[("location", location), ("cache-control", "no-store")]);
    for cookie in cookies {
        let _ = headers.append("set-cookie", cookie);
    }
    ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .empty()
}

/// A file to save: [`bytes`], private and never cached, with `Content-Disposition: attachment`.
pub fn download(content_type: &str, filename: &str, body: Vec<u8>) -> Response {
    let mut response = bytes(content_type, "private, no-store", body);
    let _ = response.headers_mut().set(
        "content-disposition",
        &format!("attachment; filename=\"{filename}\""),
    );
    response
}

/// `response` with `Vary: Cookie`: a page that is public for visitors who are not signed in
/// and personal for those who are, so no cache hands one the other's.
pub fn vary_cookie(mut response: Response) -> Response {
    let _ = response.headers_mut().set("vary", "Cookie");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_query_parameters() {
        let url = "https://c500.store/onboarding/return?x=1&token=123.acct_9.1700.ab&y=%20#frag";
        assert_eq!(
            query_param(url, "token").as_deref(),
            Some("123.acct_9.1700.ab")
        );
        assert_eq!(query_param(url, "y").as_deref(), Some(" "));
        assert_eq!(
            query_param("https://x/?a=b%2Fc+d", "a").as_deref(),
            Some("b/c d")
        );
        assert_eq!(query_param("https://x/?flag", "flag").as_deref(), Some(""));
        assert_eq!(query_param("https://x/", "token"), None);
        assert_eq!(query_param("https://x/?token=%zz", "token"), None);
        assert_eq!(query_param("https://x/?other=1", "token"), None);
    }
}
