use postech_shared_sdk::money::{self, Money, MoneyError};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[test]
fn parses_whole_one_and_two_decimal_amounts() {
    for (text, cents) in [
        ("15", 1500),
        ("15.9", 1590),
        ("15.90", 1590),
        ("0.05", 5),
        ("0.5", 50),
        ("007.10", 710),
        ("1000.00", 100_000),
        ("-0.50", -50),
        ("0", 0),
    ] {
        assert_eq!(
            Money::parse_decimal(text),
            Ok(Money::from_cents(cents)),
            "{text}"
        );
    }
}

#[test]
fn rejects_more_than_two_decimals() {
    for text in ["15.999", "15.900", "0.001"] {
        assert_eq!(
            Money::parse_decimal(text),
            Err(MoneyError::TooManyDecimals),
            "{text}"
        );
    }
}

#[test]
fn rejects_garbage_and_exponents() {
    for text in [
        "", "-", "abc", "1e2", "1E2", "1.5e1", "15.", ".5", "+5", " 15", "15 ", "1,50", "1.000,00",
        "1_000", "NaN", "inf", "0x10", "--5", "5-", "1.2.3", "١٥",
    ] {
        assert_eq!(
            Money::parse_decimal(text),
            Err(MoneyError::InvalidFormat),
            "{text:?}"
        );
    }
}

#[test]
fn rejects_amounts_beyond_i64_cents() {
    assert_eq!(
        Money::parse_decimal("92233720368547758.07"),
        Ok(Money::from_cents(i64::MAX))
    );
    assert_eq!(
        Money::parse_decimal("92233720368547758.08"),
        Err(MoneyError::OutOfRange)
    );
    assert_eq!(
        Money::parse_decimal("99999999999999999999"),
        Err(MoneyError::OutOfRange)
    );
}

#[test]
fn displays_two_decimal_places() {
    assert_eq!(Money::from_cents(1590).to_string(), "15.90");
    assert_eq!(Money::from_cents(5).to_string(), "0.05");
    assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
    assert_eq!(Money::ZERO.to_string(), "0.00");
    assert_eq!(
        Money::from_cents(i64::MIN).to_string(),
        "-92233720368547758.08"
    );
}

#[test]
fn checked_arithmetic_is_exact_and_reports_overflow() {
    let price = Money::from_cents(1690);
    assert_eq!(price.checked_mul(3), Some(Money::from_cents(5070)));
    assert_eq!(
        price.checked_add(Money::from_cents(10)),
        Some(Money::from_cents(1700))
    );
    assert_eq!(
        price.checked_sub(Money::from_cents(1700)),
        Some(Money::from_cents(-10))
    );
    assert_eq!(
        Money::from_cents(i64::MAX).checked_add(Money::from_cents(1)),
        None
    );
    assert_eq!(
        Money::from_cents(i64::MIN).checked_sub(Money::from_cents(1)),
        None
    );
    assert_eq!(Money::from_cents(i64::MAX / 2 + 1).checked_mul(2), None);
    assert_eq!(
        Money::checked_sum([Money::from_cents(1), Money::from_cents(2)]),
        Some(Money::from_cents(3))
    );
    assert_eq!(
        Money::checked_sum([Money::from_cents(i64::MAX), Money::from_cents(1)]),
        None
    );
    assert!(Money::from_cents(999) < Money::from_cents(1000));
}

#[test]
fn serialises_as_a_two_decimal_string_by_default() {
    assert_eq!(
        serde_json::to_string(&Money::from_cents(1590)).expect("serialises"),
        r#""15.90""#
    );
}

#[test]
fn deserialises_strings_and_numbers_up_to_two_decimals() {
    for (json, cents) in [
        (r#""15.90""#, 1590),
        (r#""15.9""#, 1590),
        ("15.9", 1590),
        ("15.90", 1590),
        ("15", 1500),
        ("0.1", 10),
        ("1000.00", 100_000),
        ("-2.5", -250),
        // A JSON number is read by value, so an exponent in the JSON text is fine.
        ("1e2", 10_000),
    ] {
        assert_eq!(
            serde_json::from_str::<Money>(json).expect(json),
            Money::from_cents(cents),
            "{json}"
        );
    }
    for json in [
        "15.999",
        r#""15.999""#,
        "0.001",
        "true",
        "null",
        r#""1e2""#,
        "1e300",
    ] {
        assert!(
            serde_json::from_str::<Money>(json).is_err(),
            "{json} accepted"
        );
    }
}

#[derive(Serialize, Deserialize)]
struct OrderTotal {
    #[serde(with = "money::as_json_number")]
    valor_total: Money,
}

fn json_number(cents: i64) -> String {
    serde_json::to_string(&OrderTotal {
        valor_total: Money::from_cents(cents),
    })
    .expect("serialises")
}

/// The exact decimal text a client should see: at most two decimals, at least one.
fn expected_number_text(cents: i64) -> String {
    let two_places = Money::from_cents(cents).to_string();
    let trimmed = two_places.trim_end_matches('0');
    if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_owned()
    }
}

#[test]
fn json_number_has_no_binary_artefacts_unlike_v1() {
    // v1 multiplied floats: 3 × 16.90 printed as 50.699999999999996.
    assert_eq!(format!("{}", 16.9f64 * 3.0), "50.699999999999996");
    let total = Money::parse_decimal("16.90")
        .expect("valid amount")
        .checked_mul(3)
        .expect("no overflow");
    assert_eq!(
        serde_json::to_string(&OrderTotal { valor_total: total }).expect("serialises"),
        r#"{"valor_total":50.7}"#
    );
}

#[test]
fn json_number_is_exact_for_every_amount_up_to_two_thousand_reais() {
    for cents in -10_000..=200_000 {
        let expected = format!(r#"{{"valor_total":{}}}"#, expected_number_text(cents));
        let json = json_number(cents);
        assert_eq!(json, expected);
        let back: OrderTotal = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back.valor_total, Money::from_cents(cents));
    }
}

#[test]
fn json_number_refuses_amounts_it_cannot_write_exactly() {
    let max = money::as_json_number::MAX_EXACT_CENTS;
    assert_eq!(json_number(max), r#"{"valor_total":9999999999999.99}"#);
    let too_big = OrderTotal {
        valor_total: Money::from_cents(max + 1),
    };
    assert!(serde_json::to_string(&too_big).is_err());
}

proptest! {
    #[test]
    fn json_number_round_trips_exactly(cents in -money::as_json_number::MAX_EXACT_CENTS..=money::as_json_number::MAX_EXACT_CENTS) {
        let json = json_number(cents);
        prop_assert_eq!(&json, &format!(r#"{{"valor_total":{}}}"#, expected_number_text(cents)));
        let back: OrderTotal = serde_json::from_str(&json).expect("deserialises");
        prop_assert_eq!(back.valor_total, Money::from_cents(cents));
    }

    #[test]
    fn decimal_text_round_trips(cents in any::<i64>()) {
        let amount = Money::from_cents(cents);
        prop_assert_eq!(Money::parse_decimal(&amount.to_string()), Ok(amount));
        let json = serde_json::to_string(&amount).expect("serialises");
        prop_assert_eq!(serde_json::from_str::<Money>(&json).expect("deserialises"), amount);
    }
}
