//! Who may sell: Certified Builders (approved by HQ) whose Stripe account is enabled.

use std::fmt;

/// The guild badges a builder can carry (stored by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuildTag {
    Builder,
    Artisan,
    Modder,
    Vintage,
    Merch,
}

impl GuildTag {
    pub const ALL: [GuildTag; 5] = [
        GuildTag::Builder,
        GuildTag::Artisan,
        GuildTag::Modder,
        GuildTag::Vintage,
        GuildTag::Merch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GuildTag::Builder => "builder",
            GuildTag::Artisan => "artisan",
            GuildTag::Modder => "modder",
            GuildTag::Vintage => "vintage",
            GuildTag::Merch => "merch",
        }
    }

    pub fn badge(self) -> &'static str {
        match self {
            GuildTag::Builder => "🛠️ Builder Guild",
            GuildTag::Artisan => "🎨 Artisan Guild",
            GuildTag::Modder => "💧 Modder Guild",
            GuildTag::Vintage => "💾 Vintage Guild",
            GuildTag::Merch => "👕 Merch Guild",
        }
    }

    pub fn parse(s: &str) -> Option<GuildTag> {
        let s = s.trim().to_ascii_lowercase();
        GuildTag::ALL
            .into_iter()
            .find(|t| t.name() == s || format!("{} guild", t.name()) == s)
    }

    /// "builder, Artisan" → [Builder, Artisan]; empty → [Builder] (the default badge).
    /// Unknown names are an error that names them.
    pub fn parse_list(s: &str) -> Result<Vec<GuildTag>, String> {
        let mut tags = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let tag = GuildTag::parse(part).ok_or_else(|| part.to_owned())?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.is_empty() {
            tags.push(GuildTag::Builder);
        }
        Ok(tags)
    }

    pub fn join(tags: &[GuildTag]) -> String {
        tags.iter().map(|t| t.name()).collect::<Vec<_>>().join(",")
    }
}

/// A shop handle for URLs (/builders/{handle}) from a Discord username: lower case,
/// letters, digits, `-` and `_`, 2 to 32 long; the user id's tail if little is left.
pub fn handle_from(username: &str, user_id: &str) -> String {
    let mut handle: String = username
        .chars()
        .filter_map(|c| {
            let c = c.to_ascii_lowercase();
            (c.is_ascii_alphanumeric() || c == '-' || c == '_').then_some(c)
        })
        .take(32)
        .collect();
    if handle.len() < 2 {
        handle = format!("builder-{}", tail(user_id, 6));
    }
    handle
}

/// The handle to use when `handle_from` is taken by someone else.
pub fn fallback_handle(handle: &str, user_id: &str) -> String {
    let suffix = tail(user_id, 4);
    let keep = 32usize.saturating_sub(suffix.len() + 1);
    let base: String = handle.chars().take(keep).collect();
    format!("{base}-{suffix}")
}

fn tail(s: &str, n: usize) -> &str {
    s.get(s.len().saturating_sub(n)..).unwrap_or(s)
}

/// What stands between a builder and selling, in the order they should fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Certification,
    StripeAccount,
    StripeOnboarding,
    StripeCharges,
    StripePayouts,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Missing::Certification => {
                "You're not a Certified Builder yet: C500 HQ approves builders (ask in the HQ #help-desk)."
            }
            Missing::StripeAccount => "No payouts account yet: run `/c500 setup stripe`.",
            Missing::StripeOnboarding => {
                "Your Stripe onboarding isn't finished: run `/c500 setup stripe` to continue."
            }
            Missing::StripeCharges => {
                "Stripe hasn't enabled payments on your account yet: check `/c500 setup stripe`."
            }
            Missing::StripePayouts => {
                "Stripe hasn't enabled payouts on your account yet: check `/c500 setup stripe`."
            }
        })
    }
}

/// A seller's standing as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SellerStanding {
    pub approved: bool,
    pub has_stripe_account: bool,
    pub details_submitted: bool,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
}

impl SellerStanding {
    /// Everything missing (empty: may sell).
    pub fn missing(&self) -> Vec<Missing> {
        let mut missing = Vec::new();
        if !self.approved {
            missing.push(Missing::Certification);
        }
        if !self.has_stripe_account {
            missing.push(Missing::StripeAccount);
        } else if !self.details_submitted {
            missing.push(Missing::StripeOnboarding);
        } else {
            if !self.charges_enabled {
                missing.push(Missing::StripeCharges);
            }
            if !self.payouts_enabled {
                missing.push(Missing::StripePayouts);
            }
        }
        missing
    }
}

/// A Discord server invite as a builder types it (`discord.gg/cozy`, `https://discord.com/invite/cozy`),
/// made the one form C500 links: `https://discord.gg/{code}`. Nothing else is a link C500 shows.
pub fn invite(typed: &str) -> Option<String> {
    let t = typed.trim();
    let t = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .unwrap_or(t);
    let t = t.strip_prefix("www.").unwrap_or(t);
    let code = t
        .strip_prefix("discord.gg/")
        .or_else(|| t.strip_prefix("discord.com/invite/"))
        .or_else(|| t.strip_prefix("discordapp.com/invite/"))?;
    let code = code.trim_end_matches('/');
    let ok = (2..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then(|| format!("https://discord.gg/{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invites_are_discord_links_only() {
        for typed in [
            "discord.gg/cozy-keys",
            "https://discord.gg/cozy-keys/",
            " https://discord.com/invite/cozy-keys ",
            "http://www.discord.gg/cozy-keys",
        ] {
            assert_eq!(
                invite(typed).as_deref(),
                Some("https://discord.gg/cozy-keys"),
                "{typed}"
            );
        }
        for bad in [
            "",
            "cozy",
            "https://evil.example/discord.gg/x",
            "https://discord.gg/",
            "https://discord.gg/a b",
            "https://discord.gg/x?y=1",
            "javascript:alert(1)",
            "https://discord.gg.evil.example/x",
        ] {
            assert_eq!(invite(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_guild_tag_lists() {
        assert_eq!(
            GuildTag::parse_list("builder, Artisan,artisan , modder guild"),
            Ok(vec![GuildTag::Builder, GuildTag::Artisan, GuildTag::Modder])
        );
        assert_eq!(GuildTag::parse_list(""), Ok(vec![GuildTag::Builder]));
        assert_eq!(
            GuildTag::parse_list("builder, pastel"),
            Err("pastel".into())
        );
        assert_eq!(
            GuildTag::join(&[GuildTag::Vintage, GuildTag::Merch]),
            "vintage,merch"
        );
    }

    #[test]
    fn handles_are_url_safe() {
        assert_eq!(handle_from("Keyz.Customs!", "123"), "keyzcustoms");
        assert_eq!(handle_from("✨", "80351110224678912"), "builder-678912");
        assert_eq!(handle_from(&"a".repeat(50), "1").len(), 32);
        assert_eq!(fallback_handle("keyz", "80351110224678912"), "keyz-8912");
        assert_eq!(
            fallback_handle(&"a".repeat(32), "80351110224678912").len(),
            32
        );
    }

    #[test]
    fn says_everything_missing_in_order() {
        let nothing = SellerStanding::default();
        assert_eq!(
            nothing.missing(),
            vec![Missing::Certification, Missing::StripeAccount]
        );
        let onboarding = SellerStanding {
            approved: true,
            has_stripe_account: true,
            ..Default::default()
        };
        assert_eq!(onboarding.missing(), vec![Missing::StripeOnboarding]);
        let pending = SellerStanding {
            details_submitted: true,
            payouts_enabled: true,
            ..onboarding.clone()
        };
        assert_eq!(pending.missing(), vec![Missing::StripeCharges]);
        let ready = SellerStanding {
            charges_enabled: true,
            ..pending
        };
        assert!(ready.missing().is_empty());
        assert!(Missing::StripeAccount
            .to_string()
            .contains("/c500 setup stripe"));
    }
}
