//! Money is integer cents (USD) everywhere; there is no float on any path that touches it.

use std::fmt;

/// An amount of US cents. Arithmetic is checked by the callers that can overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(i64);

/// The platform fee, in percent of the gross (item + shipping).
pub const FEE_PERCENT: i64 = 10;
/// Stripe's USD minimum charge and the brief's smallest item price.
pub const MIN_PRICE: Cents = Cents(50);
/// The brief's largest item price, $10,000.00.
pub const MAX_PRICE: Cents = Cents(1_000_000);
/// Shipping may be free, and is capped so a typo cannot dwarf the item.
pub const MAX_SHIPPING: Cents = Cents(100_000);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub const fn new(cents: i64) -> Self {
        Cents(cents)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    pub fn checked_sub(self, other: Cents) -> Option<Cents> {
        self.0.checked_sub(other.0).map(Cents)
    }
}

impl fmt::Display for Cents {
    /// `$1,299.99`; negative amounts as `-$5.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let dollars = (abs / 100).to_string();
        let mut grouped = String::with_capacity(dollars.len() + dollars.len() / 3);
        for (i, ch) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(f, "{sign}${grouped}.{:02}", abs % 100)
    }
}

/// An amount Stripe charged in `currency` (its lowercase code), in that currency's smallest
/// unit, as people read it: `$12.50` for dollars, `50.00 EUR`, `5000 JPY`. Only a refused
/// payment (store::buying) is ever in another currency than C500's US dollars.
pub fn charged(amount: i64, currency: &str) -> String {
    if currency == "usd" {
        return Cents(amount).to_string();
    }
    let code = currency.to_ascii_uppercase();
    // Stripe's zero-decimal currencies: the amount is already whole units.
    const ZERO_DECIMAL: [&str; 16] = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
        "xaf", "xof", "xpf",
    ];
    if ZERO_DECIMAL.contains(&currency) {
        return format!("{amount} {code}");
    }
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    format!("{sign}{}.{:02} {code}", abs / 100, abs % 100)
}

/// How a gross amount splits between C500 and the builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub gross: Cents,
    pub fee: Cents,
    pub payout: Cents,
}

/// 10% of the gross, rounded half-up to the cent; the payout is the rest, so
/// `fee + payout == gross` holds exactly for every non-negative gross.
pub fn split(gross: Cents) -> Split {
    // gross * 10 / 100 rounded half-up == (gross * 10 + 50) / 100, done without overflow.
    let g = gross.0.max(0);
    let fee = g / 100 * FEE_PERCENT + ((g % 100) * FEE_PERCENT + 50) / 100;
    Split {
        gross: Cents(g),
        fee: Cents(fee),
        payout: Cents(g - fee),
    }
}

/// Why a typed amount was refused; the Display text is shown to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    Empty,
    NotANumber,
    TooManyDecimals,
    Negative,
    BelowMinimum,
    AboveMaximum(Cents),
}

impl fmt::Display for PriceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PriceError::Empty => write!(f, "is empty; type an amount like 450 or $1,299.99"),
            PriceError::NotANumber => {
                write!(f, "isn't an amount; type it like 450, 450.50 or $1,299.99")
            }
            PriceError::TooManyDecimals => write!(f, "can have at most 2 decimals (cents)"),
            PriceError::Negative => write!(f, "can't be negative"),
            PriceError::BelowMinimum => write!(f, "must be at least {MIN_PRICE}"),
            PriceError::AboveMaximum(max) => write!(f, "can be at most {max}"),
        }
    }
}

/// Parses what a person types ("450", "$1,299.99", "450.5", " 12.00 ") into cents,
/// without floats. Commas are accepted only as thousands separators.
pub fn parse_amount(input: &str) -> Result<Cents, PriceError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(PriceError::Empty);
    }
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, s),
    };
    let s = s.strip_prefix('$').unwrap_or(s).trim_start();
    let s = s
        .strip_suffix("USD")
        .or_else(|| s.strip_suffix("usd"))
        .unwrap_or(s)
        .trim_end();
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let whole_digits = parse_grouped(whole).ok_or(PriceError::NotANumber)?;
    let cents_part = match frac {
        None => 0,
        Some("") => 0,
        Some(f) if !f.bytes().all(|b| b.is_ascii_digit()) => return Err(PriceError::NotANumber),
        Some(f) if f.len() > 2 => return Err(PriceError::TooManyDecimals),
        Some(f) => {
            let n: i64 = f.parse().map_err(|_| PriceError::NotANumber)?;
            if f.len() == 1 {
                n * 10
            } else {
                n
            }
        }
    };
    if whole.is_empty() && frac.is_none_or(str::is_empty) {
        return Err(PriceError::NotANumber);
    }
    let total = whole_digits
        .checked_mul(100)
        .and_then(|c| c.checked_add(cents_part))
        .ok_or(PriceError::AboveMaximum(MAX_PRICE))?;
    if negative && total > 0 {
        return Err(PriceError::Negative);
    }
    Ok(Cents(total))
}

/// Digits with optional, correctly placed thousands commas ("1,299"); "" is 0.
fn parse_grouped(s: &str) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    if s.contains(',') {
        let mut groups = s.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 {
            return None;
        }
        if !groups.all(|g| g.len() == 3) {
            return None;
        }
    }
    let digits: String = s.chars().filter(|c| *c != ',').collect();
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// An item price within the brief's range ($0.50 … $10,000.00).
pub fn parse_price(input: &str) -> Result<Cents, PriceError> {
    let cents = parse_amount(input)?;
    if cents < MIN_PRICE {
        return Err(PriceError::BelowMinimum);
    }
    if cents > MAX_PRICE {
        return Err(PriceError::AboveMaximum(MAX_PRICE));
    }
    Ok(cents)
}

/// A flat shipping fee: $0.00 (free) up to [`MAX_SHIPPING`].
pub fn parse_shipping(input: &str) -> Result<Cents, PriceError> {
    let cents = parse_amount(input)?;
    if cents > MAX_SHIPPING {
        return Err(PriceError::AboveMaximum(MAX_SHIPPING));
    }
    Ok(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charged_amount_reads_in_its_own_currency() {
        assert_eq!(charged(125_050, "usd"), "$1,250.50");
        assert_eq!(charged(5_000, "eur"), "50.00 EUR");
        assert_eq!(charged(5, "gbp"), "0.05 GBP");
        assert_eq!(charged(5_000, "jpy"), "5000 JPY");
        assert_eq!(charged(-250, "cad"), "-2.50 CAD");
    }

    #[test]
    fn parses_what_people_type() {
        for (input, cents) in [
            ("450", 45_000),
            ("$1,299.99", 129_999),
            ("450.5", 45_050),
            ("450.", 45_000),
            (" $ 12.00 ", 1_200),
            ("0.50", 50),
            (".75", 75),
            ("10000", 1_000_000),
            ("10,000.00", 1_000_000),
            ("99 USD", 9_900),
        ] {
            assert_eq!(parse_price(input), Ok(Cents(cents)), "{input}");
        }
    }

    #[test]
    fn refuses_bad_prices_with_the_reason() {
        for (input, err) in [
            ("abc", PriceError::NotANumber),
            ("", PriceError::Empty),
            ("   ", PriceError::Empty),
            ("-5", PriceError::Negative),
            ("0.49", PriceError::BelowMinimum),
            ("0", PriceError::BelowMinimum),
            ("10000.01", PriceError::AboveMaximum(MAX_PRICE)),
            ("1.234", PriceError::TooManyDecimals),
            ("1,2,3", PriceError::NotANumber),
            ("12,34", PriceError::NotANumber),
            ("1e3", PriceError::NotANumber),
            ("$", PriceError::NotANumber),
            (".", PriceError::NotANumber),
            ("4 50", PriceError::NotANumber),
            ("999999999999999999999", PriceError::NotANumber),
        ] {
            assert_eq!(parse_price(input), Err(err), "{input}");
        }
    }

    #[test]
    fn shipping_may_be_free_but_not_absurd() {
        assert_eq!(parse_shipping("0"), Ok(Cents::ZERO));
        assert_eq!(parse_shipping("15"), Ok(Cents(1_500)));
        assert_eq!(
            parse_shipping("1000.01"),
            Err(PriceError::AboveMaximum(MAX_SHIPPING))
        );
    }

    #[test]
    fn fee_rounds_half_up_and_split_is_exact() {
        assert_eq!(split(Cents(45_000)).fee, Cents(4_500));
        assert_eq!(split(Cents(5)).fee, Cents(1)); // 0.5 rounds up
        assert_eq!(split(Cents(4)).fee, Cents(0)); // 0.4 rounds down
        assert_eq!(split(Cents(15)).fee, Cents(2)); // 1.5 rounds up
        assert_eq!(split(Cents(129_999)).fee, Cents(13_000)); // 12999.9
                                                              // Every gross an order can have (item ≤ $10,000 + shipping ≤ $1,000), and beyond.
        let max_gross = MAX_PRICE.0 + MAX_SHIPPING.0;
        for gross in (0..=max_gross).chain([max_gross + 1, i64::MAX / 2]) {
            let s = split(Cents(gross));
            assert_eq!(s.fee.0 + s.payout.0, gross, "{gross}");
            // Half-up reference computed in i128 so it cannot overflow.
            let reference = ((gross as i128) * 10 + 50) / 100;
            assert_eq!(s.fee.0 as i128, reference, "{gross}");
        }
    }

    #[test]
    fn formats_dollars() {
        assert_eq!(Cents(129_999).to_string(), "$1,299.99");
        assert_eq!(Cents(50).to_string(), "$0.50");
        assert_eq!(Cents(1_000_000).to_string(), "$10,000.00");
        assert_eq!(Cents(-500).to_string(), "-$5.00");
        assert_eq!(Cents(100_000_000).to_string(), "$1,000,000.00");
    }
}
