//! `src/schema.rs` (what the app compiles against) matches what the migrations build.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use common::{exec, migrated_database};
use postech_database::schema_check::{ColumnDrift, compare, expected_columns, live_columns};

#[test]
fn schema_rs_matches_the_migrated_database() {
    let (_db, mut conn) = migrated_database();
    let drift = compare(
        &expected_columns(),
        &live_columns(&mut conn).expect("live columns"),
    );
    let lines: Vec<String> = drift.iter().map(ToString::to_string).collect();
    assert!(
        drift.is_empty(),
        "src/schema.rs and the migrations disagree:\n{}",
        lines.join("\n")
    );
}

#[test]
fn every_table_of_the_database_is_described() {
    let (_db, mut conn) = migrated_database();
    let live = live_columns(&mut conn).expect("live columns");
    let expected = expected_columns();
    assert_eq!(live.len(), expected.len());
    assert!(
        live.len() > 50,
        "all seven tables are inspected: {}",
        live.len()
    );
}

#[test]
fn a_column_added_by_hand_is_reported() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        "ALTER TABLE orders ADD COLUMN table_number INTEGER",
    );
    let drift = compare(
        &expected_columns(),
        &live_columns(&mut conn).expect("live columns"),
    );
    assert_eq!(
        drift,
        [ColumnDrift::MissingInSchemaRs {
            column: "orders.table_number".into(),
            data_type: "integer".into()
        }]
    );
}

#[test]
fn a_changed_type_or_nullability_is_reported() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        "ALTER TABLE products ALTER COLUMN price TYPE double precision; \
         ALTER TABLE orders ALTER COLUMN notes SET NOT NULL",
    );
    let drift = compare(
        &expected_columns(),
        &live_columns(&mut conn).expect("live columns"),
    );
    assert!(
        drift.contains(&ColumnDrift::TypeMismatch {
            column: "products.price".into(),
            expected: vec!["numeric"],
            live: "double precision".into()
        }),
        "{drift:?}"
    );
    assert!(
        drift.contains(&ColumnDrift::NullabilityMismatch {
            column: "orders.notes".into(),
            schema_rs_nullable: true
        }),
        "{drift:?}"
    );
    assert_eq!(drift.len(), 2, "{drift:?}");
}

#[test]
fn a_dropped_column_is_reported() {
    let (_db, mut conn) = migrated_database();
    exec(&mut conn, "ALTER TABLE payments DROP COLUMN qr_code_url");
    let drift = compare(
        &expected_columns(),
        &live_columns(&mut conn).expect("live columns"),
    );
    assert_eq!(
        drift,
        [ColumnDrift::MissingInDatabase {
            column: "payments.qr_code_url".into()
        }]
    );
}
