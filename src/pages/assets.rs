//! The stylesheet's content-hashed URL. The file itself is a Workers Static Asset
//! (`src/bin/site.rs` writes it with the guides), so the module only carries its hash.

/// The stylesheet. Only its hash (computed at compile time) reaches the Worker's module; the
/// text is read by `src/bin/site.rs`, which writes it under [`css_path`].
pub const SITE_CSS: &str = include_str!("../../static/site.css");
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

/// Where the stylesheet is served: its URL carries a content hash, so it caches forever.
pub fn css_path() -> String {
    format!("/static/site.{SITE_CSS_HASH:016x}.css")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_url_changes_with_content() {
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert!(css_path().starts_with("/static/site."));
        assert!(css_path().ends_with(".css"));
    }
}
