//! `NUMERIC(10,2)` ⇄ [`Money`] (integer cents) without a floating point or a big-decimal
//! allocation in between.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::data_types::PgNumeric;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Numeric;

use crate::domain::money::Money;

/// PostgreSQL stores NUMERIC in base-10000 digits.
const NBASE: i64 = 10_000;

/// Money read from or written to a NUMERIC column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromSqlRow, AsExpression)]
#[diesel(sql_type = Numeric)]
pub struct SqlMoney(pub Money);

impl FromSql<Numeric, Pg> for SqlMoney {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let numeric = PgNumeric::from_sql(value)?;
        cents_of(&numeric)
            .map(|cents| SqlMoney(Money::from_cents(cents)))
            .ok_or_else(|| "NUMERIC value is not an amount of money with two decimals".into())
    }
}

impl ToSql<Numeric, Pg> for SqlMoney {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let numeric = to_numeric(self.0);
        <PgNumeric as ToSql<Numeric, Pg>>::to_sql(&numeric, &mut out.reborrow())
    }
}

/// The amount in cents, if it has at most two decimals and fits.
fn cents_of(numeric: &PgNumeric) -> Option<i64> {
    let (weight, digits, negative) = match numeric {
        PgNumeric::Positive { weight, digits, .. } => (*weight, digits, false),
        PgNumeric::Negative { weight, digits, .. } => (*weight, digits, true),
        PgNumeric::NaN => return None,
    };
    let mut cents: i64 = 0;
    for (index, digit) in digits.iter().enumerate() {
        let digit = i64::from(*digit);
        let exponent = i64::from(weight) - i64::try_from(index).ok()?;
        let contribution = match exponent {
            // Whole units: digit × 10000^exponent × 100 cents.
            0.. => {
                let power = NBASE.checked_pow(u32::try_from(exponent).ok()?)?;
                digit.checked_mul(power)?.checked_mul(100)?
            }
            // The first fractional base-10000 digit holds four decimal places.
            -1 if digit % 100 == 0 => digit / 100,
            _ if digit == 0 => 0,
            _ => return None,
        };
        cents = cents.checked_add(contribution)?;
    }
    Some(if negative { -cents } else { cents })
}

/// The NUMERIC form of an amount, with scale 2.
pub fn to_numeric(amount: Money) -> PgNumeric {
    let cents = amount.cents();
    let magnitude = cents.unsigned_abs();
    let mut units = magnitude / 100;
    let fraction = i16::try_from((magnitude % 100) * 100).unwrap_or(0);
    let mut integer_digits = Vec::new();
    while units > 0 {
        integer_digits.push(i16::try_from(units % 10_000).unwrap_or(0));
        units /= 10_000;
    }
    integer_digits.reverse();
    let weight = i16::try_from(integer_digits.len()).unwrap_or(i16::MAX) - 1;
    let mut digits = integer_digits;
    if fraction != 0 {
        digits.push(fraction);
    }
    let weight = if digits.is_empty() { 0 } else { weight };
    if cents < 0 {
        PgNumeric::Negative {
            weight,
            scale: 2,
            digits,
        }
    } else {
        PgNumeric::Positive {
            weight,
            scale: 2,
            digits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(cents: i64) -> Option<i64> {
        cents_of(&to_numeric(Money::from_cents(cents)))
    }

    #[test]
    fn amounts_survive_the_numeric_form() {
        for cents in [
            0,
            1,
            10,
            99,
            100,
            1590,
            5070,
            99_999,
            100_000,
            123_456_789,
            -1590,
        ] {
            assert_eq!(round_trip(cents), Some(cents), "{cents}");
        }
    }

    #[test]
    fn fractions_finer_than_a_cent_are_refused() {
        let numeric = PgNumeric::Positive {
            weight: -1,
            scale: 3,
            digits: vec![1230],
        };
        assert_eq!(cents_of(&numeric), None);
    }
}
