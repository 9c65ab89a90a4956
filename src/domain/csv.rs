//! CSV for the builder's exports (issue 12.4): RFC 4180 quoting, exact cents as decimal
//! dollars (`1299.99`, never a float), and formula injection defused (a cell a spreadsheet
//! would run, `=…`, `+…`, `-…`, `@…`, gets a leading apostrophe). Pure.

/// One cell: quoted when it holds a comma, a quote or a line break.
pub fn cell(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// Cents as decimal dollars: `129999` → `1299.99`, `-500` → `-5.00`.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A line of cells, CRLF-terminated.
pub fn line(cells: &[String]) -> String {
    let mut out = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell("Lilac 65%"), "Lilac 65%");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(line(&["a".into(), "b,c".into()]), "a,\"b,c\"\r\n");
    }

    #[test]
    fn money_is_exact() {
        assert_eq!(dollars(129_999), "1299.99");
        assert_eq!(dollars(5), "0.05");
        assert_eq!(dollars(0), "0.00");
        assert_eq!(dollars(-500), "-5.00");
        assert_eq!(dollars(i64::MIN), "-92233720368547758.08");
    }
}
