//! Exact amounts of Brazilian reais, held as integer cents.
//!
//! Arithmetic never goes through floating point (v1 summed floats and answered
//! `50.699999999999996`). Binary floats appear only at the JSON boundary, where the contract
//! wants numbers, and there they are converted in ways that provably keep two decimals.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const CENTS_PER_UNIT: i64 = 100;

/// Why a text or number is not an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a plain decimal such as `15`, `15.9` or `15.90` (exponents, signs other than a
    /// leading `-`, separators and spaces are refused).
    #[error("invalid amount: expected a decimal number such as 15.90")]
    InvalidFormat,
    /// More than two decimal places (`15.999`): an amount of money is a whole number of cents.
    #[error("an amount cannot have more than two decimal places")]
    TooManyDecimals,
    /// The amount or the result of an operation does not fit the representation.
    #[error("the amount is out of range")]
    OutOfRange,
}

/// An exact amount of money in cents.
///
/// Serialises as a decimal string with two places (`"15.90"`, the product `preco` form);
/// use [`as_json_number`] for fields the contract wants as JSON numbers. Deserialises from
/// such a string or from a JSON number, refusing more than two decimals.
///
/// ```
/// use postech_shared_sdk::money::Money;
///
/// let price = Money::parse_decimal("15.9")?;
/// assert_eq!(price.cents(), 1590);
/// assert_eq!(price.to_string(), "15.90");
/// let total = price.checked_mul(3).and_then(|sum| sum.checked_add(Money::from_cents(3)));
/// assert_eq!(total, Some(Money::from_cents(4773)));
/// assert!(Money::parse_decimal("15.999").is_err());
/// assert_eq!(serde_json::to_string(&price)?, r#""15.90""#);
/// assert_eq!(serde_json::from_str::<Money>("15.9")?, price);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money {
    cents: i64,
}

impl Money {
    /// Nothing: `0.00`.
    pub const ZERO: Money = Money { cents: 0 };

    /// The amount of `cents` hundredths of a real (`1590` is `15.90`).
    pub const fn from_cents(cents: i64) -> Self {
        Self { cents }
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.cents
    }

    /// Parses `15`, `15.9` or `15.90` (and negatives such as `-0.50`).
    ///
    /// Refuses more than two decimal places, exponents (`1e2`), a missing integer part
    /// (`.5`) or fraction (`15.`), a `+` sign, separators and whitespace.
    pub fn parse_decimal(text: &str) -> Result<Self, MoneyError> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (integer_part, fraction_part) = match unsigned.split_once('.') {
            Some((integer, fraction)) => (integer, Some(fraction)),
            None => (unsigned, None),
        };
        if integer_part.is_empty() || !integer_part.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(MoneyError::InvalidFormat);
        }
        let fraction = fraction_part.unwrap_or("");
        let has_empty_fraction = fraction_part.is_some() && fraction.is_empty();
        if has_empty_fraction || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(MoneyError::InvalidFormat);
        }
        if fraction.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let units = integer_part
            .bytes()
            .try_fold(0i64, |total, byte| {
                total.checked_mul(10)?.checked_add(i64::from(byte - b'0'))
            })
            .ok_or(MoneyError::OutOfRange)?;
        // "5" is 50 cents and "05" is 5 cents: pad the fraction to two digits.
        let fraction_cents = fraction
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(2)
            .fold(0i64, |total, byte| total * 10 + i64::from(byte - b'0'));
        let cents = units
            .checked_mul(CENTS_PER_UNIT)
            .and_then(|cents| cents.checked_add(fraction_cents))
            .ok_or(MoneyError::OutOfRange)?;
        Ok(Self::from_cents(if negative { -cents } else { cents }))
    }

    /// The sum, or `None` on overflow.
    pub const fn checked_add(self, other: Money) -> Option<Money> {
        match self.cents.checked_add(other.cents) {
            Some(cents) => Some(Money { cents }),
            None => None,
        }
    }

    /// The difference, or `None` on overflow.
    pub const fn checked_sub(self, other: Money) -> Option<Money> {
        match self.cents.checked_sub(other.cents) {
            Some(cents) => Some(Money { cents }),
            None => None,
        }
    }

    /// The amount times a quantity, or `None` on overflow.
    pub const fn checked_mul(self, quantity: u32) -> Option<Money> {
        match self.cents.checked_mul(quantity as i64) {
            Some(cents) => Some(Money { cents }),
            None => None,
        }
    }

    /// The sum of all `amounts`, or `None` on overflow.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Money>) -> Option<Money> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |total, amount| total.checked_add(amount))
    }
}

/// Two decimal places, a `-` for negatives, no grouping: `15.90`, `-0.50`, `1000.00`.
impl fmt::Display for Money {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        // unsigned_abs keeps i64::MIN printable.
        let magnitude = self.cents.unsigned_abs();
        let divisor = CENTS_PER_UNIT.unsigned_abs();
        write!(
            formatter,
            "{sign}{}.{:02}",
            magnitude / divisor,
            magnitude % divisor
        )
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_decimal(text)
    }
}

/// The decimal string with two places: `"15.90"`.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// From a decimal string (`"15.90"`) or a JSON number (`15.9`, `15`).
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MoneyVisitor)
    }
}

struct MoneyVisitor;

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an amount with at most two decimal places, as a number or a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Money, E> {
        Money::parse_decimal(text).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, units: i64) -> Result<Money, E> {
        units
            .checked_mul(CENTS_PER_UNIT)
            .map(Money::from_cents)
            .ok_or_else(|| E::custom(MoneyError::OutOfRange))
    }

    fn visit_u64<E: de::Error>(self, units: u64) -> Result<Money, E> {
        let units = i64::try_from(units).map_err(|_| E::custom(MoneyError::OutOfRange))?;
        self.visit_i64(units)
    }

    /// serde_json hands a JSON number such as `15.9` over as the nearest f64, whose exact
    /// value is not 15.9. Rust's `{}` prints an f64 as the shortest decimal that reads back
    /// to the same f64 — for any number written with up to 15 significant digits, that is
    /// the number as written (without trailing zeros) — so `15.9` and `15.90` become "15.9"
    /// and are accepted while `15.999` stays "15.999" and is refused. This avoids serde_json's
    /// `arbitrary_precision` feature, which would change number handling for every crate in
    /// the build. `{}` never uses an exponent, so huge values fail as out of range.
    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Money, E> {
        if !number.is_finite() {
            return Err(E::custom(MoneyError::InvalidFormat));
        }
        Money::parse_decimal(&format!("{number}")).map_err(E::custom)
    }
}

/// Serde `with` module writing [`Money`] as a JSON number with at most two decimals and no
/// binary artefacts (`50.7`, never `50.699999999999996`), as the order money fields of the
/// contract require. Reading accepts the same inputs as [`Money`]'s own `Deserialize`.
///
/// ```
/// use postech_shared_sdk::money::{self, Money};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Total {
///     #[serde(with = "money::as_json_number")]
///     valor_total: Money,
/// }
///
/// let json = serde_json::to_string(&Total { valor_total: Money::from_cents(5070) })?;
/// assert_eq!(json, r#"{"valor_total":50.7}"#);
/// let back: Total = serde_json::from_str(&json)?;
/// assert_eq!(back.valor_total, Money::from_cents(5070));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub mod as_json_number {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{CENTS_PER_UNIT, Money, MoneyError};

    /// Largest magnitude in cents written exactly: every decimal with at most 15
    /// significant digits has its own nearest f64, and serializers print that f64 as the
    /// shortest decimal that reads back to it — the original decimal.
    pub const MAX_EXACT_CENTS: i64 = 999_999_999_999_999;

    /// Writes the amount as a number: `cents / 100` computed in f64 is the f64 nearest to
    /// the exact decimal (both operands are exact and IEEE division rounds correctly).
    /// Amounts beyond [`MAX_EXACT_CENTS`] are refused rather than silently rounded.
    pub fn serialize<S: Serializer>(amount: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        let cents = amount.cents();
        if cents.unsigned_abs() > MAX_EXACT_CENTS.unsigned_abs() {
            return Err(serde::ser::Error::custom(MoneyError::OutOfRange));
        }
        // Both conversions are exact: |cents| < 2^53 and 100 is representable.
        serializer.serialize_f64(cents as f64 / CENTS_PER_UNIT as f64)
    }

    /// Reads a number or a decimal string, with at most two decimals.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        Money::deserialize(deserializer)
    }
}
