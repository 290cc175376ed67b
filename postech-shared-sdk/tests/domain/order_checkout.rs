use chrono::{TimeZone, Utc};
use postech_shared_sdk::catalog::{FieldError, PathSegment};
use postech_shared_sdk::ids::{CustomerId, OrderId, ProductId};
use postech_shared_sdk::money::{Money, MoneyError};
use postech_shared_sdk::order::{
    CheckoutRequest, Order, OrderItem, OrderLineRequest, OrderStatus, PaymentStatus, ValidatedLine,
    validate_order_total,
};

fn line(quantity: i64) -> OrderLineRequest {
    OrderLineRequest {
        product_id: ProductId::new_random(),
        quantity,
    }
}

fn checkout(items: Vec<OrderLineRequest>, notes: Option<&str>) -> CheckoutRequest {
    CheckoutRequest {
        items,
        notes: notes.map(str::to_owned),
    }
}

fn paths(errors: &[FieldError]) -> Vec<String> {
    errors
        .iter()
        .map(|error| {
            error
                .path
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

#[test]
fn valid_checkout_keeps_line_order_and_trims_notes() {
    let items = vec![line(1), line(50), line(3)];
    let validated = checkout(items.clone(), Some("  sem cebola  "))
        .validate()
        .expect("valid checkout");
    let expected: Vec<ValidatedLine> = items
        .iter()
        .map(|item| ValidatedLine {
            product_id: item.product_id,
            quantity: u32::try_from(item.quantity).expect("positive"),
        })
        .collect();
    assert_eq!(validated.items, expected);
    assert_eq!(validated.notes.as_deref(), Some("sem cebola"));

    let blank_notes = checkout(vec![line(1)], Some("   "))
        .validate()
        .expect("valid");
    assert_eq!(blank_notes.notes, None);
}

#[test]
fn order_needs_one_to_twenty_lines() {
    let empty = checkout(Vec::new(), None).validate().expect_err("no lines");
    assert_eq!(paths(&empty), ["items"]);
    assert_eq!(empty[0].error_type, "too_short");

    assert!(
        checkout((0..20).map(|_| line(1)).collect(), None)
            .validate()
            .is_ok()
    );
    let too_many = checkout((0..21).map(|_| line(1)).collect(), None)
        .validate()
        .expect_err("21 lines");
    assert_eq!(paths(&too_many), ["items"]);
    assert_eq!(too_many[0].error_type, "too_long");
}

#[test]
fn quantity_must_be_between_1_and_50() {
    let errors = checkout(vec![line(0), line(1), line(-3), line(50), line(51)], None)
        .validate()
        .expect_err("bad quantities");
    assert_eq!(
        paths(&errors),
        ["items.0.quantity", "items.2.quantity", "items.4.quantity"]
    );
    assert_eq!(
        errors
            .iter()
            .map(|error| error.error_type)
            .collect::<Vec<_>>(),
        [
            "greater_than_equal",
            "greater_than_equal",
            "less_than_equal"
        ]
    );
}

#[test]
fn a_product_cannot_appear_twice() {
    let repeated = line(1);
    let errors = checkout(vec![repeated, line(2), repeated, repeated], None)
        .validate()
        .expect_err("repeated product");
    assert_eq!(paths(&errors), ["items.2.product_id", "items.3.product_id"]);
    assert_eq!(
        errors[0].path,
        [
            PathSegment::Field("items"),
            PathSegment::Index(2),
            PathSegment::Field("product_id")
        ]
    );
}

#[test]
fn notes_are_limited_to_500_characters() {
    let at_limit = "ç".repeat(500);
    assert!(checkout(vec![line(1)], Some(&at_limit)).validate().is_ok());
    let errors = checkout(vec![line(1)], Some(&"a".repeat(501)))
        .validate()
        .expect_err("long notes");
    assert_eq!(paths(&errors), ["notes"]);
}

#[test]
fn notes_refuse_the_nul_character_postgresql_cannot_store() {
    let errors = checkout(vec![line(1)], Some("sem cebola\u{0}"))
        .validate()
        .expect_err("a NUL in the notes");
    assert_eq!(paths(&errors), ["notes"]);
    assert!(errors[0].message.contains("caractere nulo"), "{errors:?}");
    let kept = checkout(vec![line(1)], Some("sem cebola 🧅\r\n\tbem passado"))
        .validate()
        .expect("any other character is kept");
    assert_eq!(
        kept.notes.as_deref(),
        Some("sem cebola 🧅\r\n\tbem passado")
    );
}

#[test]
fn order_total_must_be_between_5_and_1000() {
    for (cents, valid) in [
        (499, false),
        (500, true),
        (100_000, true),
        (100_001, false),
        (0, false),
    ] {
        let result = validate_order_total(Money::from_cents(cents));
        assert_eq!(result.is_ok(), valid, "{cents}");
        if let Err(error) = result {
            assert_eq!(error.field(), Some("items"));
        }
    }
}

fn item(cents: i64, quantity: u32) -> OrderItem {
    OrderItem {
        product_id: ProductId::new_random(),
        product_name: "Milk-shake".to_owned(),
        unit_price: Money::from_cents(cents),
        quantity,
    }
}

fn order(items: Vec<OrderItem>) -> Order {
    Order {
        id: OrderId::new_random(),
        number: 42,
        customer_id: Some(CustomerId::new_random()),
        status: OrderStatus::Received,
        payment_status: PaymentStatus::Pending,
        items,
        notes: None,
        created_at: Utc
            .with_ymd_and_hms(2025, 1, 31, 12, 0, 0)
            .single()
            .expect("valid date"),
    }
}

#[test]
fn order_total_is_the_exact_sum_of_subtotals() {
    let placed = order(vec![item(1690, 3), item(990, 1), item(5, 7)]);
    assert_eq!(placed.items[0].subtotal(), Ok(Money::from_cents(5070)));
    assert_eq!(placed.total(), Ok(Money::from_cents(5070 + 990 + 35)));
    assert_eq!(order(Vec::new()).total(), Ok(Money::ZERO));
    assert_eq!(
        order(vec![item(i64::MAX, 2)]).total(),
        Err(MoneyError::OutOfRange)
    );
    assert_eq!(
        order(vec![item(i64::MAX, 1), item(1, 1)]).total(),
        Err(MoneyError::OutOfRange)
    );
}

#[test]
fn order_round_trips_through_serde() {
    let placed = order(vec![item(1690, 3)]);
    let json = serde_json::to_value(&placed).expect("serialises");
    assert_eq!(json["status"], "Recebido");
    assert_eq!(json["payment_status"], "pendente");
    assert_eq!(json["created_at"], "2025-01-31T12:00:00Z");
    let back: Order = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, placed);
}
