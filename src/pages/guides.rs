//! The pages that explain C500 (handbook, terms, privacy) and the files crawlers read
//! (robots.txt, sitemap.xml).
//!
//! The three guides are static: `src/bin/site.rs` renders them at build time, with the
//! stylesheet, into Workers Static Assets (`build/assets`, wrangler.toml `[assets]`), which
//! Cloudflare serves without invoking the Worker and which cost the module nothing
//! (docs/performance.md). robots.txt and sitemap.xml stay here: the sitemap lists live drops.

use super::assets::css_path;
use crate::context::Cx;
use crate::{config, http, log, store};
use askama::Template;
use worker::Response;

#[derive(Template)]
#[template(path = "handbook.html")]
struct Handbook<'a> {
    css: &'a str,
    base_url: &'a str,
}

#[derive(Template)]
#[template(path = "terms.html")]
struct Terms<'a> {
    css: &'a str,
    base_url: &'a str,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct Privacy<'a> {
    css: &'a str,
    base_url: &'a str,
}

/// Which guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guide {
    Handbook,
    Terms,
    Privacy,
}

impl Guide {
    pub const ALL: [Guide; 3] = [Guide::Handbook, Guide::Terms, Guide::Privacy];

    /// Its URL path; the static file is this path plus `.html` (Workers Static Assets serve
    /// `/handbook` from `handbook.html`).
    pub fn path(self) -> &'static str {
        match self {
            Guide::Handbook => "/handbook",
            Guide::Terms => "/terms",
            Guide::Privacy => "/privacy",
        }
    }

    /// The page, with its canonical URL under `base_url` (PUBLIC_BASE_URL).
    pub fn render(self, base_url: &str) -> Result<String, askama::Error> {
        let css = css_path();
        let css = css.as_str();
        match self {
            Guide::Handbook => Handbook { css, base_url }.render(),
            Guide::Terms => Terms { css, base_url }.render(),
            Guide::Privacy => Privacy { css, base_url }.render(),
        }
    }
}

/// The guides change only with a deploy: browsers and the CDN may keep them an hour
/// (`src/bin/site.rs` writes the same value into the assets' `_headers`).
pub const GUIDE_CACHE_CONTROL: &str = "public, max-age=3600";

/// robots.txt (a static asset, `src/bin/site.rs`): crawlers may read the shop; private pages
/// (orders, checkout returns, onboarding and OAuth callbacks) are not for indexes.
pub fn robots_txt(base: &str) -> String {
    format!(
        "User-agent: *\nDisallow: /orders/\nDisallow: /success\nDisallow: /cancel\nDisallow: /onboarding/\nDisallow: /oauth/\nDisallow: /signin\nDisallow: /me\nDisallow: /dashboard\nDisallow: /interactions\nDisallow: /webhooks/\n\nSitemap: {base}/sitemap.xml\n"
    )
}

/// How many live drops the sitemap lists (newest first), in its one D1 read.
const SITEMAP_DROPS: u32 = 1000;

/// The public pages: home, the guides, every live drop and the shops that sell them.
pub async fn sitemap(cx: &Cx) -> Response {
    let base = config::public_base_url(&cx.env);
    let drops = match cx.db() {
        Ok(db) => store::listings::live_drops(&db, cx.now_ms, SITEMAP_DROPS)
            .await
            .map_err(|e| log::error("sitemap_failed", &e))
            .unwrap_or_default(),
        Err(e) => {
            log::error("config", &e);
            Vec::new()
        }
    };
    let mut paths: Vec<String> = ["/", "/handbook", "/terms", "/privacy"]
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    let mut shops: Vec<String> = Vec::new();
    for d in &drops {
        paths.push(format!("/drops/{}", d.id));
        let shop = format!("/builders/{}", d.builder_handle);
        if !shops.contains(&shop) {
            shops.push(shop);
        }
    }
    paths.extend(shops);
    http::bytes(
        "application/xml; charset=utf-8",
        "public, max-age=300",
        sitemap_xml(&base, &paths).into_bytes(),
    )
}

fn sitemap_xml(base: &str, paths: &[String]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in paths {
        xml.push_str("  <url><loc>");
        xml.push_str(&xml_escape(&format!("{base}{path}")));
        xml.push_str("</loc></url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_render_and_say_who_holds_the_money() {
        let handbook = Guide::Handbook.render("https://c500.store").unwrap();
        assert!(handbook.contains("C500 holds the payment"));
        assert!(handbook.contains("rel=\"canonical\" href=\"https://c500.store/handbook\""));
        assert!(handbook.contains(&css_path()));
        for which in Guide::ALL {
            let page = which.render("https://c500.store").unwrap();
            let canonical = format!(
                "rel=\"canonical\" href=\"https://c500.store{}\"",
                which.path()
            );
            assert!(page.contains(&canonical), "{which:?}");
            assert!(page.contains("href=\"/terms\"") && page.contains("href=\"/privacy\""));
            assert!(!page.to_lowercase().contains("escrow service"));
        }
    }

    #[test]
    fn robots_keeps_private_pages_out_and_points_at_the_sitemap() {
        let txt = robots_txt("https://c500.store");
        assert!(txt.contains("Disallow: /orders/"));
        assert!(txt.ends_with("Sitemap: https://c500.store/sitemap.xml\n"));
    }

    #[test]
    fn the_sitemap_escapes_what_it_lists() {
        let xml = sitemap_xml("https://c500.store", &["/builders/a&b".to_owned()]);
        assert!(xml.contains("<loc>https://c500.store/builders/a&amp;b</loc>"));
        assert!(xml.starts_with("<?xml"));
    }
}
