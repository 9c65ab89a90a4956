//! EventSub webhook verification: `Twitch-Eventsub-Message-Signature` is
//! `sha256=` + hex HMAC-SHA256(secret, message id + timestamp + raw body), and a message
//! older than 10 minutes is refused (Twitch's own guidance against replays).

use crate::domain::hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Twitch's limit on a message's age.
pub const MAX_AGE_SECS: i64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSubError {
    MissingHeader,
    MalformedSignature,
    BadSignature,
    Stale,
}

/// Verifies one message. `timestamp` is RFC 3339 as Twitch sends it.
pub fn verify(
    secret: &str,
    message_id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), EventSubError> {
    let (Some(id), Some(ts), Some(sig)) = (message_id, timestamp, signature) else {
        return Err(EventSubError::MissingHeader);
    };
    let given = sig
        .strip_prefix("sha256=")
        .and_then(hex::decode_array::<32>)
        .ok_or(EventSubError::MalformedSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| EventSubError::BadSignature)?;
    mac.update(id.as_bytes());
    mac.update(ts.as_bytes());
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| EventSubError::BadSignature)?;
    let sent = rfc3339_secs(ts).ok_or(EventSubError::Stale)?;
    if now_secs.abs_diff(sent) > MAX_AGE_SECS.unsigned_abs() {
        return Err(EventSubError::Stale);
    }
    Ok(())
}

/// Seconds since the epoch from `2026-11-25T02:47:00.123456789Z` (UTC only, as Twitch sends).
pub fn rfc3339_secs(ts: &str) -> Option<i64> {
    let (date, time) = ts.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.strip_suffix('Z')?;
    let time = time.split('.').next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    // RFC 3339's year has four digits: a longer one overflowed the day count (found by the
    // `eventsub` fuzz target, docs/security.md).
    if !(0..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || !(0..=23).contains(&hh)
        || !(0..=59).contains(&mm)
        || !(0..=60).contains(&ss)
    {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twitch's signing, done independently of `verify` for the tests.
    fn sign(secret: &str, id: &str, ts: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{id}{ts}").as_bytes());
        mac.update(body);
        format!("sha256={}", hex::encode(&mac.finalize().into_bytes()))
    }

    const TS: &str = "2026-11-25T02:47:00.123456789Z";
    const NOW: i64 = 1_795_574_820; // 2026-11-25T02:47:00Z (date -u -d … +%s)

    #[test]
    fn parses_twitch_timestamps() {
        assert_eq!(rfc3339_secs("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_secs("203902116432027-01-15T08:00:00Z"), None);
        assert_eq!(rfc3339_secs("2026-01-15T08:00:-1Z"), None);
        assert_eq!(rfc3339_secs(TS), Some(NOW));
        assert_eq!(rfc3339_secs("2000-02-29T12:00:00Z"), Some(951_825_600));
        assert_eq!(rfc3339_secs("2026-13-01T00:00:00Z"), None);
        assert_eq!(rfc3339_secs("2026-11-25 02:47:00Z"), None);
        assert_eq!(rfc3339_secs("2026-11-25T02:47:00+01:00"), None);
    }

    #[test]
    fn the_signature_matrix() {
        let body = br#"{"subscription":{"type":"stream.offline"}}"#;
        let good = sign("s3cret", "msg-1", TS, body);
        let ok = |id, ts, sig: Option<&str>, b: &[u8], now| verify("s3cret", id, ts, sig, b, now);
        assert_eq!(ok(Some("msg-1"), Some(TS), Some(&good), body, NOW), Ok(()));
        assert_eq!(
            ok(Some("msg-1"), Some(TS), Some(&good), body, NOW + 599),
            Ok(())
        );
        assert_eq!(
            ok(Some("msg-1"), Some(TS), Some(&good), body, NOW + 601),
            Err(EventSubError::Stale)
        );
        assert_eq!(
            ok(Some("msg-2"), Some(TS), Some(&good), body, NOW),
            Err(EventSubError::BadSignature),
            "the id is signed"
        );
        assert_eq!(
            ok(
                Some("msg-1"),
                Some("2026-11-25T02:47:01.123456789Z"),
                Some(&good),
                body,
                NOW
            ),
            Err(EventSubError::BadSignature),
            "the timestamp is signed"
        );
        assert_eq!(
            ok(Some("msg-1"), Some(TS), Some(&good), b"{}", NOW),
            Err(EventSubError::BadSignature)
        );
        let other = sign("other", "msg-1", TS, body);
        assert_eq!(
            ok(Some("msg-1"), Some(TS), Some(&other), body, NOW),
            Err(EventSubError::BadSignature)
        );
        assert_eq!(
            ok(
                Some("msg-1"),
                Some(TS),
                Some(good.trim_start_matches("sha256=")),
                body,
                NOW
            ),
            Err(EventSubError::MalformedSignature)
        );
        assert_eq!(
            ok(Some("msg-1"), Some(TS), Some("sha256=zz"), body, NOW),
            Err(EventSubError::MalformedSignature)
        );
        assert_eq!(
            ok(None, Some(TS), Some(&good), body, NOW),
            Err(EventSubError::MissingHeader)
        );
        assert_eq!(
            ok(Some("msg-1"), None, Some(&good), body, NOW),
            Err(EventSubError::MissingHeader)
        );
        assert_eq!(
            ok(Some("msg-1"), Some(TS), None, body, NOW),
            Err(EventSubError::MissingHeader)
        );
    }
}
