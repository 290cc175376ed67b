//! v1's money (`double precision`) to exact cents.
//!
//! **The rule.** The decimal value of a float is its shortest round-trip decimal form — the
//! digits Rust's `{}`, Python's `repr` and therefore v1's JSON answers printed for it
//! (`15.9`, `0.30000000000000004`, `9.9000000001`) — and that decimal is rounded to cents
//! **half away from zero** (half-up on the magnitude, like PostgreSQL's `round(numeric, 2)`):
//! `9.9000000001` → 9.90, `0.1 + 0.2` → 0.30, `2.675` → 2.68, `-2.675` → -2.68.
//!
//! Why the shortest form and not the float's exact binary value: an admin typed `2.675`,
//! v1 stored the nearest double (2.67499999999999982236431605997495353221893310546875) and
//! showed `2.675` back everywhere. Rounding the exact binary value would turn what every v1
//! screen showed as 2.675 into 2.67; rounding what v1 showed gives the 2.68 its users
//! expected. The two readings only differ at an exact half cent.

/// Why a v1 float cannot be an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FloatMoneyError {
    /// NaN or an infinity (`double precision` accepts both).
    #[error("not a finite number")]
    NotFinite,
    /// More cents than an `i64` holds.
    #[error("too large to be an amount of money")]
    OutOfRange,
}

/// A v1 float converted to cents by the module's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundedCents {
    /// The amount in cents.
    pub cents: i64,
    /// Whether the float's decimal value had digits beyond the cents (so rounding changed it).
    pub rounded: bool,
}

/// Converts a v1 float to cents: its shortest round-trip decimal, rounded half away from
/// zero.
///
/// ```
/// use postech_database::import_v1::money::cents_from_v1_float;
///
/// assert_eq!(cents_from_v1_float(9.9000000001).map(|m| m.cents), Ok(990));
/// assert_eq!(cents_from_v1_float(0.1 + 0.2).map(|m| m.cents), Ok(30));
/// assert_eq!(cents_from_v1_float(2.675).map(|m| m.cents), Ok(268));
/// assert_eq!(cents_from_v1_float(15.9).map(|m| (m.cents, m.rounded)), Ok((1590, false)));
/// ```
pub fn cents_from_v1_float(value: f64) -> Result<RoundedCents, FloatMoneyError> {
    if !value.is_finite() {
        return Err(FloatMoneyError::NotFinite);
    }
    // `Display` of an f64 is the shortest round-trip form and never uses an exponent.
    let text = format!("{}", value.abs());
    let (integer_part, fraction) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let units: i64 = integer_part
        .parse()
        .map_err(|_| FloatMoneyError::OutOfRange)?;
    let fraction = fraction.as_bytes();
    let digit = |index: usize| {
        fraction
            .get(index)
            .map_or(0, |byte| i64::from(byte.saturating_sub(b'0')))
    };
    let first_dropped = digit(2);
    let rounded = fraction.iter().skip(2).any(|&byte| byte != b'0');
    let magnitude = units
        .checked_mul(100)
        .and_then(|cents| cents.checked_add(digit(0) * 10 + digit(1)))
        .and_then(|cents| cents.checked_add(i64::from(first_dropped >= 5)))
        .ok_or(FloatMoneyError::OutOfRange)?;
    let cents = if value.is_sign_negative() {
        -magnitude
    } else {
        magnitude
    };
    Ok(RoundedCents { cents, rounded })
}

/// `cents` as a decimal with two places: `1590` → `15.90`, `-5` → `-0.05`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(value: f64) -> i64 {
        cents_from_v1_float(value)
            .map(|m| m.cents)
            .unwrap_or(i64::MIN)
    }

    #[test]
    fn values_with_float_noise_round_to_the_cents_v1_meant() {
        assert_eq!(cents(9.9000000001), 990);
        assert_eq!(cents(0.1 + 0.2), 30);
        assert_eq!(cents(15.9 + 20.9 + 13.9), 5070);
        assert_eq!(cents(50.699999999999996), 5070);
        assert_eq!(cents(9.899999999), 990);
    }

    #[test]
    fn half_cents_round_away_from_zero_on_the_printed_decimal() {
        assert_eq!(cents(2.675), 268);
        assert_eq!(cents(1.005), 101);
        assert_eq!(cents(0.125), 13);
        assert_eq!(cents(0.124999), 12);
        assert_eq!(cents(-2.675), -268);
        assert_eq!(cents(-0.005), -1);
    }

    #[test]
    fn exact_values_are_not_marked_rounded() {
        for value in [15.9, 0.0, 1000.0, 4.5, 0.01] {
            assert_eq!(
                cents_from_v1_float(value).map(|m| m.rounded),
                Ok(false),
                "{value}"
            );
        }
        assert_eq!(
            cents_from_v1_float(9.9000000001).map(|m| m.rounded),
            Ok(true)
        );
        assert_eq!(cents_from_v1_float(2.675).map(|m| m.rounded), Ok(true));
    }

    #[test]
    fn negative_values_keep_their_sign() {
        assert_eq!(cents(-3.0), -300);
        assert_eq!(cents(-0.1 - 0.2), -30);
        assert_eq!(cents(-0.0), 0);
    }

    #[test]
    fn huge_values_convert_while_they_fit_and_fail_beyond() {
        assert_eq!(cents(1e9), 100_000_000_000);
        assert_eq!(cents(92_233_720_368.54), 9_223_372_036_854);
        assert_eq!(cents_from_v1_float(1e17), Err(FloatMoneyError::OutOfRange));
        assert_eq!(
            cents_from_v1_float(-1e300),
            Err(FloatMoneyError::OutOfRange)
        );
        assert_eq!(
            cents_from_v1_float(f64::MAX),
            Err(FloatMoneyError::OutOfRange)
        );
    }

    #[test]
    fn tiny_values_round_to_zero_or_one_cent() {
        assert_eq!(cents(5e-324), 0);
        assert_eq!(cents(0.004999), 0);
        assert_eq!(cents(0.005), 1);
    }

    #[test]
    fn nan_and_infinities_are_refused() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(cents_from_v1_float(value), Err(FloatMoneyError::NotFinite));
        }
    }

    #[test]
    fn cents_print_with_two_places() {
        assert_eq!(format_cents(1590), "15.90");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(0), "0.00");
    }
}
