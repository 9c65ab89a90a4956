//! Writes the site's static files, served as Workers Static Assets in front of the Worker
//! (wrangler.toml `[assets]`): the handbook, terms and privacy pages, `/cancel` (where Stripe
//! sends a buyer who left Checkout), robots.txt, the stylesheet under its content-hashed URL,
//! and `_headers` (the pages' security headers and caching).
//!
//! `site <out-dir> <public-base-url>`; scripts/build.sh runs it with PUBLIC_BASE_URL (from the
//! environment, else wrangler.toml's `[vars]`), since the guides' canonical URLs are absolute.

use c500::http::{PAGE_CSP, PAGE_REFERRER_POLICY};
use c500::pages::assets::{css_path, SITE_CSS};
use c500::pages::guides::{robots_txt, Guide, GUIDE_CACHE_CONTROL};
use c500::pages::orders::cancel_page;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, base] = args.as_slice() else {
        eprintln!("usage: site <out-dir> <public-base-url>");
        return ExitCode::from(2);
    };
    match write(Path::new(out), base.trim_end_matches('/')) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("site: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(out: &Path, base: &str) -> Result<(), String> {
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(format!(
            "PUBLIC_BASE_URL must be an http(s) URL, got {base:?}"
        ));
    }
    // The directory is build output: start clean, so an old stylesheet hash does not linger.
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let static_dir = out.join("static");
    std::fs::create_dir_all(&static_dir).map_err(|e| format!("{}: {e}", static_dir.display()))?;
    let put = |path: &Path, body: &str| {
        std::fs::write(path, body).map_err(|e| format!("{}: {e}", path.display()))
    };
    for guide in Guide::ALL {
        let html = guide.render(base).map_err(|e| format!("{guide:?}: {e}"))?;
        put(
            &out.join(format!("{}.html", guide.path().trim_start_matches('/'))),
            &html,
        )?;
    }
    let cancel = cancel_page().map_err(|e| format!("cancel: {e}"))?;
    put(&out.join("cancel.html"), &cancel)?;
    put(&out.join("robots.txt"), &robots_txt(base))?;
    put(&out.join(css_path().trim_start_matches('/')), SITE_CSS)?;
    put(&out.join("_headers"), &headers())
}

/// Cloudflare's `_headers` format: a path pattern, then indented `Name: value` lines. Asset
/// responses carry an ETag of their own; these add what the Worker's pages send.
fn headers() -> String {
    let mut rules = String::new();
    for guide in Guide::ALL {
        rules.push_str(&format!(
            "{}\n  Cache-Control: {GUIDE_CACHE_CONTROL}\n  Content-Security-Policy: {PAGE_CSP}\n  \
             X-Content-Type-Options: nosniff\n  Referrer-Policy: {PAGE_REFERRER_POLICY}\n",
            guide.path()
        ));
    }
    // Where Stripe sends a buyer who left Checkout: nothing private in it, but never cached.
    rules.push_str(&format!(
        "/cancel\n  Cache-Control: private, no-store\n  Content-Security-Policy: {PAGE_CSP}\n  \
         X-Content-Type-Options: nosniff\n  Referrer-Policy: {PAGE_REFERRER_POLICY}\n  X-Robots-Tag: noindex\n"
    ));
    rules.push_str(&format!(
        "/robots.txt\n  Cache-Control: {GUIDE_CACHE_CONTROL}\n  X-Content-Type-Options: nosniff\n"
    ));
    rules.push_str(
        "/static/*\n  Cache-Control: public, max-age=31536000, immutable\n  X-Content-Type-Options: nosniff\n",
    );
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_guides_the_stylesheet_and_their_headers() {
        let out = std::env::temp_dir().join(format!("c500-site-{}", std::process::id()));
        write(&out, "https://c500.test").unwrap();
        let handbook = std::fs::read_to_string(out.join("handbook.html")).unwrap();
        assert!(handbook.contains("<link rel=\"canonical\" href=\"https://c500.test/handbook\">"));
        let css = std::fs::read_to_string(out.join(css_path().trim_start_matches('/'))).unwrap();
        assert_eq!(css, SITE_CSS);
        let headers = std::fs::read_to_string(out.join("_headers")).unwrap();
        assert!(headers.contains("/privacy\n  Cache-Control: public, max-age=3600\n"));
        assert!(
            headers.contains("/static/*\n  Cache-Control: public, max-age=31536000, immutable\n")
        );
        assert!(
            write(&out, "c500.test").is_err(),
            "a base URL without a scheme is refused"
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}
