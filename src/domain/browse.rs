//! What a visitor asks the shop for: `GET /?type=&guild=&q=&page=`. Parsed leniently: a
//! value that is not understood is ignored, so a shared or hand-edited link never breaks.

use super::listing::Kind;
use super::seller::GuildTag;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    pub kind: Option<Kind>,
    pub guild: Option<GuildTag>,
    /// Words to find in titles, trimmed and at most [`Browse::MAX_QUERY`] characters.
    pub query: Option<String>,
    /// 1-based, at most [`Browse::MAX_PAGE`].
    pub page: u32,
}

impl Default for Browse {
    fn default() -> Browse {
        Browse {
            kind: None,
            guild: None,
            query: None,
            page: 1,
        }
    }
}

impl Browse {
    pub const MAX_QUERY: usize = 60;
    pub const MAX_PAGE: u32 = 100;
    /// Drops per page.
    pub const PER_PAGE: u32 = 24;

    pub fn parse(
        kind: Option<&str>,
        guild: Option<&str>,
        query: Option<&str>,
        page: Option<&str>,
    ) -> Browse {
        let query = query
            .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|q| !q.is_empty())
            .map(|q| q.chars().take(Self::MAX_QUERY).collect());
        Browse {
            kind: kind.and_then(Kind::parse),
            guild: guild.and_then(GuildTag::parse),
            query,
            page: page
                .and_then(|p| p.trim().parse::<u32>().ok())
                .filter(|p| (1..=Self::MAX_PAGE).contains(p))
                .unwrap_or(1),
        }
    }

    /// The plain first page: the one the landing page caches.
    pub fn is_default(&self) -> bool {
        *self == Browse::default()
    }

    /// The SQL LIKE pattern for the query, with `%`, `_` and the escape itself escaped (by
    /// `\`), so what a visitor types is matched as text.
    pub fn like_pattern(&self) -> Option<String> {
        self.query.as_ref().map(|q| {
            let mut pattern = String::from("%");
            for c in q.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(c);
            }
            pattern.push('%');
            pattern
        })
    }

    /// Rows to skip before `page`.
    pub fn offset(&self) -> u32 {
        (self.page - 1).saturating_mul(Self::PER_PAGE)
    }

    /// The link to another page of the same search (`/` with its query string).
    pub fn link(&self, page: u32) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(kind) = self.kind {
            q.append_pair("type", kind.name());
        }
        if let Some(guild) = self.guild {
            q.append_pair("guild", guild.name());
        }
        if let Some(query) = &self.query {
            q.append_pair("q", query);
        }
        if page > 1 {
            q.append_pair("page", &page.to_string());
        }
        let q = q.finish();
        if q.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{q}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_understands_and_ignores_the_rest() {
        let b = Browse::parse(
            Some("commission"),
            Some("artisan"),
            Some("  snow   white "),
            Some("3"),
        );
        assert_eq!(b.kind, Some(Kind::Commission));
        assert_eq!(b.guild, Some(GuildTag::Artisan));
        assert_eq!(b.query.as_deref(), Some("snow white"));
        assert_eq!(b.page, 3);
        assert_eq!(b.offset(), 48);
        let odd = Browse::parse(Some("bogus"), Some("pastel"), Some("   "), Some("0"));
        assert!(odd.is_default());
        assert_eq!(Browse::parse(None, None, None, Some("101")).page, 1);
        assert_eq!(Browse::parse(None, None, None, Some("-2")).page, 1);
        let long = "x".repeat(200);
        assert_eq!(
            Browse::parse(None, None, Some(&long), None)
                .query
                .map(|q| q.len()),
            Some(Browse::MAX_QUERY)
        );
    }

    #[test]
    fn a_query_is_matched_as_text() {
        let b = Browse::parse(None, None, Some(r"100%_off\"), None);
        assert_eq!(b.like_pattern().as_deref(), Some(r"%100\%\_off\\%"));
        assert_eq!(Browse::default().like_pattern(), None);
    }

    #[test]
    fn links_keep_the_search_and_change_the_page() {
        let b = Browse::parse(Some("ready_to_ship"), None, Some("snow & co"), Some("2"));
        assert_eq!(b.link(3), "/?type=ready_to_ship&q=snow+%26+co&page=3");
        assert_eq!(b.link(1), "/?type=ready_to_ship&q=snow+%26+co");
        assert_eq!(Browse::default().link(1), "/");
    }
}
