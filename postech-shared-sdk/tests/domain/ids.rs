use postech_shared_sdk::ids::{CustomerId, OrderId, PaymentId, ProductId};
use uuid::Uuid;

#[test]
fn ids_display_parse_and_serialise_as_plain_uuids() {
    let uuid = Uuid::parse_str("fcab78d9-c377-41f4-bf34-03d1a8bdbd89").expect("valid UUID");
    let product = ProductId::from(uuid);
    assert_eq!(product.to_string(), "fcab78d9-c377-41f4-bf34-03d1a8bdbd89");
    assert_eq!(
        "FCAB78D9C37741F4BF3403D1A8BDBD89".parse::<ProductId>(),
        Ok(product)
    );
    assert_eq!(
        serde_json::to_string(&product).expect("serialises"),
        r#""fcab78d9-c377-41f4-bf34-03d1a8bdbd89""#
    );
    let back: ProductId =
        serde_json::from_str(r#""fcab78d9-c377-41f4-bf34-03d1a8bdbd89""#).expect("deserialises");
    assert_eq!(back, product);
    assert_eq!(*product.as_uuid(), uuid);
    assert_eq!(Uuid::from(product), uuid);
    assert!("not-a-uuid".parse::<OrderId>().is_err());
    assert!(serde_json::from_str::<PaymentId>(r#""123""#).is_err());
}

#[test]
fn random_ids_are_distinct_version_4_uuids() {
    let first = CustomerId::new_random();
    let second = CustomerId::new_random();
    assert_ne!(first, second);
    assert_eq!(first.into_uuid().get_version_num(), 4);
}
