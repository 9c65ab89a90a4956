//! A page that says one thing: an answer to a form (a refusal, a report sent), a sign-in
//! step. Private: never cached.

use super::assets::css_path;
use super::PageError;
use crate::http;
use askama::Template;
use worker::Response;

/// What a notice says, and the one or two things to do next.
#[derive(Default)]
pub struct Notice<'a> {
    pub title: &'a str,
    pub message: String,
    /// A button link: (label, url).
    pub link: Option<(String, String)>,
    /// A button that posts a form: (action, label, csrf token).
    pub form: Option<(String, String, String)>,
    /// A plain link back: (label, url).
    pub back: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticeTemplate<'a> {
    css: &'a str,
    n: &'a Notice<'a>,
}

pub fn notice(status: u16, n: &Notice<'_>) -> Response {
    let page = NoticeTemplate {
        css: &css_path(),
        n,
    };
    match page.render() {
        Ok(body) => http::html(status, body, "private, no-store"),
        Err(e) => PageError::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_escapes_and_carries_its_form() {
        let n = Notice {
            title: "Too late, it's gone!",
            message: "<b>sold</b>".into(),
            form: Some((
                "/drops/D-ABCDEFGH/line".into(),
                "Join the waitlist".into(),
                "tok".into(),
            )),
            ..Notice::default()
        };
        let html = NoticeTemplate {
            css: "/s.css",
            n: &n,
        }
        .render()
        .unwrap();
        assert!(!html.contains("<b>sold</b>"));
        assert!(html.contains(r#"action="/drops/D-ABCDEFGH/line""#));
        assert!(html.contains(r#"name="csrf" value="tok""#));
    }
}
