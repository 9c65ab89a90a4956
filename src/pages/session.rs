//! Who is visiting (issue 12.1): the signed-in Discord account behind a request's session
//! cookie, and the checks every form post passes before it changes anything: a live session,
//! the session's CSRF token, a same-site Origin, a small body.

use super::kept::Kept;
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

/// What a request's session cookie claims, checked without D1: C500 signed it and it is
/// current. Whether the session is still alive (not signed out, the account not banned) is
/// D1's to say: [`Claim::check`] goes into the page's own batch.
pub struct Claim {
    pub session_id: String,
    pub discord_id: String,
    pub id_hash: String,
    csrf: String,
}

impl Claim {
    /// The question for D1, asked in the same batch as the page's reads.
    pub fn check(&self, now_ms: f64) -> sessions::Check<'_> {
        sessions::Check {
            id_hash: &self.id_hash,
            discord_id: &self.discord_id,
            now_ms,
        }
    }

    /// The visitor, if D1 found the session alive for this account.
    pub fn signed(self, found: Option<Viewer>) -> Option<Signed> {
        found
            .filter(|v| v.discord_id == self.discord_id)
            .map(|viewer| Signed {
                viewer,
                session_id: self.session_id,
                csrf: self.csrf,
            })
    }
}

/// The session cookie's claim, if it is C500's and current (no D1 read).
pub fn claim(req: &Request, cx: &Cx) -> Option<Claim> {
    let secret = config::secret(&cx.env, "LINK_SIGNING_SECRET").ok()?;
    let header = req.headers().get("cookie").ok().flatten()?;
    let value = session::cookie(&header, SESSION_COOKIE)?;
    let (session_id, discord_id) = session::verify_cookie(&secret, value, cx.now_ms).ok()?;
    Some(Claim {
        id_hash: session::id_hash(&session_id),
        csrf: session::csrf_token(&secret, &session_id),
        session_id,
        discord_id,
    })
}

/// The signed-in visitor, if any: a signed, current cookie whose session D1 still has
/// (not signed out, not expired, the account not banned). One D1 read, only with a cookie.
pub async fn visitor(req: &Request, cx: &Cx) -> Result<Option<Signed>, super::PageError> {
    let Some(claim) = claim(req, cx) else {
        return Ok(None);
    };
    let found = alive(&claim, cx).await?;
    Ok(claim.signed(found))
}

/// D1's word on a claim: its session's viewer if still alive (one read).
async fn alive(claim: &Claim, cx: &Cx) -> Result<Option<Viewer>, super::PageError> {
    let db = cx.db()?;
    Ok(sessions::viewer(&db, claim.check(cx.now_ms)).await?)
}

thread_local! {
    /// Sessions this isolate found alive lately, by id hash, for [`browsing`].
    static VIEWERS: Kept<Viewer> = const { Kept::new(200) };
}

/// The visitor for a public page that only adds their name and forms (the drop page): a
/// session this isolate found alive within `ttl` ms is taken as still alive, so a signed-in
/// buyer refreshing a hot drop costs D1 nothing. Safe because nothing private is shown and
/// every form post ([`posted`]) reads D1 again: a session signed out elsewhere, or an account
/// banned, is refused there at once and forgotten here within `ttl`.
pub async fn browsing(
    req: &Request,
    cx: &Cx,
    ttl: f64,
) -> Result<Option<Signed>, super::PageError> {
    let Some(claim) = claim(req, cx) else {
        return Ok(None);
    };
    let kept = VIEWERS.with(|k| k.get(&claim.id_hash, cx.now_ms));
    let found = match kept {
        Some((viewer, age)) if age <= ttl => Some(viewer),
        _ => {
            let found = alive(&claim, cx).await?;
            match &found {
                Some(viewer) if ttl > 0.0 => {
                    VIEWERS.with(|k| k.keep(&claim.id_hash, viewer.clone(), cx.now_ms))
                }
                _ => VIEWERS.with(|k| k.forget(&claim.id_hash)),
            }
            found
        }
    };
    Ok(claim.signed(found))
}

/// Forgets a session this isolate kept (signing out: `pages::forget_session`).
pub fn forget(id_hash: &str) {
    VIEWERS.with(|k| k.forget(id_hash));
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
