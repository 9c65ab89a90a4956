//! Signed, expiring tokens for links we hand out (Stripe onboarding return/refresh): the
//! link names whose account it is, and nobody can forge or extend one.
//! A domain::signed token: `{discord_id}.{account_id}.{expires_ms}.{signature}`.

use super::signed;

/// How long a refresh link works: long enough to come back to onboarding the next day.
pub const LIFETIME_MS: f64 = 24.0 * 3600.0 * 1000.0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub discord_id: String,
    pub account_id: String,
}

pub use super::signed::TokenError;

const DOMAIN: &[u8] = b"c500-link-v1:";

pub fn sign(secret: &str, claims: &LinkClaims, now_ms: f64) -> String {
    signed::sign(
        secret,
        DOMAIN,
        (&claims.discord_id, &claims.account_id),
        now_ms,
        LIFETIME_MS,
    )
}

pub fn verify(secret: &str, token: &str, now_ms: f64) -> Result<LinkClaims, TokenError> {
    let (discord_id, account_id) = signed::verify(secret, DOMAIN, token, now_ms)?;
    Ok(LinkClaims {
        discord_id,
        account_id,
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
