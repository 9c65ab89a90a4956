//! Text from users (titles, descriptions, specs, reasons, names, tracking numbers, stream
//! titles) inside C500's own Discord messages. Discord renders markdown in message content,
//! embed titles, descriptions and field values, so `[Claim your refund](https://evil.example)`
//! as a drop title would become a link in C500's DM to a buyer, `# SALE` a header, and
//! `<@123>` a mention. Escaped, each character shows as typed. (Select-menu labels and
//! autocomplete names are plain text: they are not escaped.)

/// Every character Discord's markdown gives a meaning: emphasis, strike, spoilers, code,
/// quotes, headers and lists, masked links, mentions and custom emoji, timestamps.
const SPECIAL: &[char] = &[
    '\\', '*', '_', '~', '`', '|', '>', '#', '-', '[', ']', '(', ')', '<', '@', ':',
];

/// `text` made inert: every markdown character backslash-escaped (Discord shows the
/// character and drops the backslash).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        if SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What a hostile text must never leave behind once escaped: an unescaped markdown
/// character (each special one is preceded by an odd number of backslashes).
#[cfg(test)]
pub fn inert(escaped: &str) -> bool {
    let chars: Vec<char> = escaped.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            i += 2;
            continue;
        }
        if SPECIAL.contains(&c) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_in_user_text_is_shown_not_rendered() {
        assert_eq!(
            escape("[Claim your refund](https://evil.example)"),
            r"\[Claim your refund\]\(https\://evil.example\)"
        );
        assert_eq!(escape("# SALE"), r"\# SALE");
        assert_eq!(escape("-# tiny"), r"\-\# tiny");
        assert_eq!(escape("<@123> @everyone"), r"\<\@123\> \@everyone");
        assert_eq!(
            escape("`code` **bold** ||spoiler||"),
            r"\`code\` \*\*bold\*\* \|\|spoiler\|\|"
        );
        assert_eq!(escape(r"back\slash"), r"back\\slash");
        assert_eq!(
            escape("Snow White TKL, 65% — Kéyz!"),
            "Snow White TKL, 65% — Kéyz!"
        );
    }

    #[test]
    fn every_escaped_text_is_inert() {
        for text in [
            "[x](y)",
            "\\[x](y)",
            "\\\\[x]",
            "a*b_c~d`e|f>g#h-i[j]k(l)m<n@o:p",
            "",
        ] {
            assert!(inert(&escape(text)), "{text:?}");
        }
        assert!(!inert("[x](y)"));
    }
}
