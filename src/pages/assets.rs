//! The stylesheet, compiled in and served at a content-hashed URL (immutable caching, ETag).

use super::not_found;
use crate::http;
use worker::{Request, Response};

/// The stylesheet, compiled in. Its URL carries a content hash, so it caches forever.
const SITE_CSS: &str = include_str!("../../static/site.css");
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

pub fn css_path() -> String {
    format!("/static/site.{SITE_CSS_HASH:016x}.css")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_url_changes_with_content() {
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert!(css_path().starts_with("/static/site."));
    }
}
