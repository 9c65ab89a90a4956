//! Signing in on the site with Discord (issue 12.1): the sign-in state, the session cookie
//! and the forms' CSRF token. Pure; the session itself is a D1 row (store::sessions), so
//! signing out, a ban or HQ can end it at once.
//!
//! - The OAuth `state` is a domain::signed token naming a nonce and where to go after; the
//!   same nonce is set in a short-lived cookie, so a callback is honoured only in the browser
//!   that started it (no login CSRF: nobody can sign you in as them).
//! - The session cookie is `{session id}.{discord id}.{expires}.{signature}`: a forged or
//!   stale cookie is refused without a D1 read. D1 keeps only SHA-256 of the session id.
//! - A form's CSRF token is HMAC(session id) under a domain of its own: a page can only
//!   post with the token C500 rendered into it for this session.

use super::hex;
use super::signed::{self, TokenError};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// How long a sign-in lasts.
pub const SESSION_LIFETIME_MS: f64 = 30.0 * 24.0 * 3600.0 * 1000.0;
/// How long the round trip through Discord's consent page may take.
pub const SIGNIN_LIFETIME_MS: f64 = 10.0 * 60.0 * 1000.0;

pub const SESSION_COOKIE: &str = "c500_session";
pub const SIGNIN_COOKIE: &str = "c500_signin";

const SESSION: &[u8] = b"c500-session-v1:";
const SIGNIN: &[u8] = b"c500-signin-state-v1:";
const CSRF: &[u8] = b"c500-csrf-v1:";

/// The cookie for session `id` of `discord_id`.
pub fn cookie_value(secret: &str, id: &str, discord_id: &str, now_ms: f64) -> String {
    signed::sign(
        secret,
        SESSION,
        (id, discord_id),
        now_ms,
        SESSION_LIFETIME_MS,
    )
}

/// The (session id, discord id) a valid, unexpired session cookie names.
pub fn verify_cookie(
    secret: &str,
    value: &str,
    now_ms: f64,
) -> Result<(String, String), TokenError> {
    signed::verify(secret, SESSION, value, now_ms)
}

/// What D1 keeps of a session id: its SHA-256, so reading the table signs nobody in.
pub fn id_hash(id: &str) -> String {
    hex::encode(&Sha256::digest(id.as_bytes()))
}

/// The CSRF token of the session `id`, rendered into every form of its pages.
pub fn csrf_token(secret: &str, id: &str) -> String {
    csrf_mac(secret, id)
        .map(|m| hex::encode(&m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `token` is the session's CSRF token (compared in constant time).
pub fn csrf_ok(secret: &str, id: &str, token: &str) -> bool {
    match (csrf_mac(secret, id), hex::decode_array::<32>(token)) {
        (Some(mac), Some(given)) => mac.verify_slice(&given).is_ok(),
        _ => false,
    }
}

fn csrf_mac(secret: &str, id: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(CSRF);
    mac.update(id.as_bytes());
    Some(mac)
}

/// The OAuth state for a sign-in that started with `nonce` and returns to `next`.
pub fn signin_state(secret: &str, nonce: &str, next: &str, now_ms: f64) -> String {
    let next = hex::encode(safe_next(Some(next)).as_bytes());
    signed::sign(secret, SIGNIN, (nonce, &next), now_ms, SIGNIN_LIFETIME_MS)
}

/// The (nonce, next path) of a valid, unexpired sign-in state.
pub fn verify_signin_state(
    secret: &str,
    state: &str,
    now_ms: f64,
) -> Result<(String, String), TokenError> {
    let (nonce, next) = signed::verify(secret, SIGNIN, state, now_ms)?;
    let next = hex::decode(&next)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(TokenError::Malformed)?;
    Ok((nonce, safe_next(Some(&next))))
}

/// Where to go after signing in: a path on this site, or My orders. Never another site
/// (`//evil.example`, `/\evil.example` and absolute URLs are open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 200
                && path.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            path.to_owned()
        }
        _ => "/me".to_owned(),
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

/// A `Set-Cookie` for `name`: HttpOnly (no script reads it), Secure, SameSite=Lax (not sent
/// with another site's POST), for the whole site, for `max_age_s` seconds (0 deletes it).
pub fn set_cookie(name: &str, value: &str, max_age_s: u64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_cookie_round_trips_and_cannot_be_forged_or_kept() {
        let c = cookie_value("k", "sid", "42", 1_000.0);
        assert_eq!(
            verify_cookie("k", &c, 2_000.0),
            Ok(("sid".into(), "42".into()))
        );
        assert_eq!(
            verify_cookie("j", &c, 2_000.0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify_cookie("k", &c.replacen("42", "43", 1), 2_000.0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify_cookie("k", &c, 1_000.0 + SESSION_LIFETIME_MS + 1.0),
            Err(TokenError::Expired)
        );
        // A sign-in state is not a session, nor the other way round.
        let state = signin_state("k", "sid", "/me", 1_000.0);
        assert_eq!(
            verify_cookie("k", &state, 2_000.0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify_signin_state("k", &c, 2_000.0),
            Err(TokenError::BadSignature)
        );
        assert_ne!(id_hash("sid"), "sid");
        assert_eq!(id_hash("sid").len(), 64);
    }

    #[test]
    fn csrf_tokens_belong_to_one_session() {
        let t = csrf_token("k", "sid");
        assert!(csrf_ok("k", "sid", &t));
        assert!(!csrf_ok("k", "other", &t));
        assert!(!csrf_ok("j", "sid", &t));
        assert!(!csrf_ok("k", "sid", ""));
        assert!(!csrf_ok("k", "sid", &t[..62]));
    }

    #[test]
    fn sign_in_returns_only_to_this_site() {
        let s = signin_state("k", "n1", "/drops/D-ABCDEFGH?x=1.2", 0.0);
        assert_eq!(
            verify_signin_state("k", &s, 1.0),
            Ok(("n1".into(), "/drops/D-ABCDEFGH?x=1.2".into()))
        );
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
            "me",
            "/a b",
        ] {
            assert_eq!(safe_next(Some(bad)), "/me", "{bad}");
        }
        assert_eq!(safe_next(None), "/me");
        assert_eq!(
            verify_signin_state("k", &s, SIGNIN_LIFETIME_MS + 1.0),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn cookies_are_read_and_set_strictly() {
        let h = "a=1; c500_session=abc.def; c500_signin=n";
        assert_eq!(cookie(h, SESSION_COOKIE), Some("abc.def"));
        assert_eq!(cookie(h, SIGNIN_COOKIE), Some("n"));
        assert_eq!(cookie(h, "c500"), None);
        let s = set_cookie(SESSION_COOKIE, "v", 60);
        for part in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(s.contains(part), "{part}");
        }
    }
}
