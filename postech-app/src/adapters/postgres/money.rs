//! `NUMERIC(10,2)` ⇄ [`Money`] (integer cents), through `rust_decimal`'s diesel codec: no
//! floating point in between, and a stored amount finer than a cent or out of range is an
//! error — never rounded, never 0.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Numeric;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::domain::money::Money;

/// Money read from or written to a NUMERIC column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromSqlRow, AsExpression)]
#[diesel(sql_type = Numeric)]
pub struct SqlMoney(pub Money);

impl FromSql<Numeric, Pg> for SqlMoney {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let amount = <Decimal as FromSql<Numeric, Pg>>::from_sql(value)?;
        cents_of(amount)
            .map(|cents| SqlMoney(Money::from_cents(cents)))
            .ok_or_else(|| {
                format!("NUMERIC {amount} is not an amount of money with two decimals").into()
            })
    }
}

impl ToSql<Numeric, Pg> for SqlMoney {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let amount = to_decimal(self.0);
        <Decimal as ToSql<Numeric, Pg>>::to_sql(&amount, &mut out.reborrow())
    }
}

/// The amount in cents, if it has at most two decimals and fits.
fn cents_of(amount: Decimal) -> Option<i64> {
    let cents = amount.checked_mul(Decimal::ONE_HUNDRED)?;
    if cents.fract().is_zero() {
        cents.to_i64()
    } else {
        None
    }
}

/// The decimal form of an amount, with scale 2.
fn to_decimal(amount: Money) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(amount.cents()), 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(cents: i64) -> Option<i64> {
        cents_of(to_decimal(Money::from_cents(cents)))
    }

    #[test]
    fn amounts_survive_the_decimal_form() {
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
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(round_trip(cents), Some(cents), "{cents}");
        }
    }

    #[test]
    fn fractions_finer_than_a_cent_are_refused() {
        assert_eq!(cents_of(Decimal::new(1234, 3)), None);
        assert_eq!(cents_of(Decimal::new(1230, 3)), Some(123));
        assert_eq!(cents_of(Decimal::new(12_300, 4)), Some(123));
    }

    #[test]
    fn amounts_beyond_the_cents_range_are_refused() {
        let too_large = Decimal::from_i128_with_scale(i128::from(i64::MAX) + 1, 2);
        assert_eq!(cents_of(too_large), None);
    }
}
