//! Who is visiting (issue 12.1): the signed-in Discord account behind a request's session
//! cookie, and the checks every form post passes before it changes anything: a live session,
//! the session's CSRF token, a same-site Origin, a small body.

use super::notice::{notice, Notice};
use crate::context::Cx;
use crate::domain::session::{self, SESSION_COOKIE};
use crate::store::sessions::{self, Viewer};
use crate::{config, http};
use worker::{Request, Response};

/// A signed-in visitor: their account, their session and the token their forms carry.
pub struct Signed {
    pub viewer: Viewer,
    pub session_id: String,
    pub csrf: String,
}

/// The session cookie's (session id, discord id), if it is C500's and current (no D1 read).
fn cookie_session(req: &Request, secret: &str, now_ms: f64) -> Option<(String, String)> {
    let header = req.headers().get("cookie").ok().flatten()?;
    let value = session::cookie(&header, SESSION_COOKIE)?;
    session::verify_cookie(secret, value, now_ms).ok()
}

/// The signed-in visitor, if any: a signed, current cookie whose session D1 still has
/// (not signed out, not expired, the account not banned). One D1 read, only with a cookie.
pub async fn visitor(req: &Request, cx: &Cx) -> Result<Option<Signed>, super::PageError> {
    let Ok(secret) = config::secret(&cx.env, "LINK_SIGNING_SECRET") else {
        return Ok(None);
    };
    let Some((session_id, discord_id)) = cookie_session(req, &secret, cx.now_ms) else {
        return Ok(None);
    };
    let db = cx.db()?;
    let found = sessions::viewer(&db, &session::id_hash(&session_id), cx.now_ms).await?;
    Ok(found
        .filter(|v| v.discord_id == discord_id)
        .map(|viewer| Signed {
            csrf: session::csrf_token(&secret, &session_id),
            viewer,
            session_id,
        }))
}

/// A form post's fields, from a signed-in visitor whose form C500 rendered.
pub struct Posted {
    pub who: Signed,
    fields: Vec<(String, String)>,
}

impl Posted {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Forms are small; anything bigger is not one of ours.
const MAX_FORM: usize = 8 * 1024;

/// Checks a form post: a body within [`MAX_FORM`] (413), an Origin of this site when the
/// browser sends one (403), a live session (else sign in and come back to `back`), and the
/// session's CSRF token (403). `Err` is the answer to send; nothing was changed.
pub async fn posted(req: &mut Request, cx: &Cx, back: &str) -> Result<Posted, Response> {
    let base = config::public_base_url(&cx.env);
    if let Ok(Some(origin)) = req.headers().get("origin") {
        if origin.trim_end_matches('/') != origin_of(&base) {
            return Err(expired_form(back));
        }
    }
    let body = match http::request_body(req, MAX_FORM).await {
        Ok(body) => body,
        Err(http::BodyError::TooLarge) => return Err(http::text(413, "form too large")),
        Err(http::BodyError::Unreadable) => return Err(http::text(400, "unreadable form")),
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let who = match visitor(req, cx).await {
        Ok(Some(who)) => who,
        Ok(None) => return Err(sign_in_first(back)),
        Err(e) => return Err(e.into_response()),
    };
    let Ok(secret) = config::secret(&cx.env, "LINK_SIGNING_SECRET") else {
        return Err(expired_form(back));
    };
    let token = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if !session::csrf_ok(&secret, &who.session_id, token) {
        return Err(expired_form(back));
    }
    Ok(Posted { who, fields })
}

/// `https://c500.store` of `https://c500.store/anything`.
fn origin_of(base: &str) -> &str {
    let start = base.find("://").map_or(0, |i| i + 3);
    let end = base
        .get(start..)
        .and_then(|rest| rest.find('/'))
        .map_or(base.len(), |i| start + i);
    base.get(..end).unwrap_or(base)
}

/// To sign-in, then back to `back`.
pub fn sign_in_url(back: &str) -> String {
    let next: String =
        form_urlencoded::byte_serialize(session::safe_next(Some(back)).as_bytes()).collect();
    format!("/signin?next={next}")
}

fn sign_in_first(back: &str) -> Response {
    notice(
        401,
        &Notice {
            title: "Sign in first",
            message: "Sign in with Discord to buy on the site: C500 uses your Discord account, the same one as in the servers.".to_owned(),
            link: Some(("Sign in with Discord".to_owned(), sign_in_url(back))),
            ..Notice::default()
        },
    )
}

fn expired_form(back: &str) -> Response {
    notice(
        403,
        &Notice {
            title: "This form has expired",
            message: "Nothing was changed. Open the page again and retry from there.".to_owned(),
            link: Some(("Back".to_owned(), session::safe_next(Some(back)))),
            ..Notice::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(origin_of("https://c500.store"), "https://c500.store");
        assert_eq!(origin_of("https://c500.store/"), "https://c500.store");
        assert_eq!(
            origin_of("http://127.0.0.1:8787/x"),
            "http://127.0.0.1:8787"
        );
        assert_eq!(
            sign_in_url("/drops/D-1?a=b"),
            "/signin?next=%2Fdrops%2FD-1%3Fa%3Db"
        );
    }
}
