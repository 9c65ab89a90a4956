//! Signed, expiring tokens for links we hand out (Stripe onboarding return/refresh): the
//! link names whose account it is, and nobody can forge or extend one.
//! Format: `{discord_id}.{account_id}.{expires_ms}.{hex HMAC-SHA256}`.

use super::hex;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a refresh link works: long enough to come back to onboarding the next day.
pub const LIFETIME_MS: f64 = 24.0 * 3600.0 * 1000.0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub discord_id: String,
    pub account_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

fn mac(secret: &str, payload: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(b"c500-link-v1:");
    mac.update(payload.as_bytes());
    Some(mac)
}

pub fn sign(secret: &str, claims: &LinkClaims, now_ms: f64) -> String {
    let expires = (now_ms + LIFETIME_MS).floor() as u64;
    let payload = format!("{}.{}.{expires}", claims.discord_id, claims.account_id);
    let signature = mac(secret, &payload)
        .map(|m| hex::encode(&m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{payload}.{signature}")
}

pub fn verify(secret: &str, token: &str, now_ms: f64) -> Result<LinkClaims, TokenError> {
    let (payload, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let mut parts = payload.split('.');
    let (Some(discord_id), Some(account_id), Some(expires), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let expires: f64 = expires.parse::<u64>().map_err(|_| TokenError::Malformed)? as f64;
    let signature = hex::decode_array::<32>(signature).ok_or(TokenError::Malformed)?;
    mac(secret, payload)
        .ok_or(TokenError::BadSignature)?
        .verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    if now_ms > expires {
        return Err(TokenError::Expired);
    }
    Ok(LinkClaims {
        discord_id: discord_id.to_owned(),
        account_id: account_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_764_000_000_000.0;

    fn claims() -> LinkClaims {
        LinkClaims {
            discord_id: "80351110224678912".into(),
            account_id: "acct_1Abc".into(),
        }
    }

    #[test]
    fn round_trips_until_it_expires() {
        let token = sign("secret", &claims(), NOW);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_'));
        assert_eq!(verify("secret", &token, NOW + 1000.0), Ok(claims()));
        assert_eq!(
            verify("secret", &token, NOW + LIFETIME_MS + 1.0),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn cannot_be_forged_or_edited() {
        let token = sign("secret", &claims(), NOW);
        assert_eq!(verify("other", &token, NOW), Err(TokenError::BadSignature));
        let someone_else = token.replacen("80351110224678912", "80351110224678913", 1);
        assert_eq!(
            verify("secret", &someone_else, NOW),
            Err(TokenError::BadSignature)
        );
        let (payload, sig) = token.rsplit_once('.').unwrap();
        let (head, _) = payload.rsplit_once('.').unwrap();
        let extended = format!("{head}.{}.{sig}", NOW as u64 * 2);
        assert_eq!(
            verify("secret", &extended, NOW),
            Err(TokenError::BadSignature)
        );
        for bad in [
            "",
            "a.b.c",
            "a.b.c.d.e",
            "a.b.notanumber.00",
            &format!("{payload}.zz"),
        ] {
            assert_eq!(
                verify("secret", bad, NOW),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
    }
}
