//! Dates as C500 shows them: UTC, to the minute, from epoch milliseconds (the only clock
//! the runtime gives; `SystemTime` panics on wasm32).

/// `2026-11-25 14:03` from epoch milliseconds (UTC).
pub fn utc_minute(ms: f64) -> String {
    let secs = (ms / 1000.0) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// `2026-11-24`: the date of [`utc_minute`].
pub fn ymd(ms: f64) -> String {
    let mut minute = utc_minute(ms);
    minute.truncate("2026-11-24".len());
    minute
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn utc_minutes() {
        assert_eq!(utc_minute(0.0), "1970-01-01 00:00");
        assert_eq!(utc_minute(1_764_072_180_000.0), "2025-11-25 12:03");
        assert_eq!(utc_minute(951_782_400_000.0), "2000-02-29 00:00");
    }

    #[test]
    fn dates() {
        assert_eq!(ymd(0.0), "1970-01-01");
        assert_eq!(ymd(951_782_400_000.0), "2000-02-29");
    }
}
