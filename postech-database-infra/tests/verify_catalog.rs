//! `verify` compares the whole catalog (constraints, indexes, exact column types, triggers,
//! functions, sequences) with what the applied migrations build, not only the columns of
//! schema.rs: each hand-made change below goes unnoticed by a column-only check.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use common::{exec, migrated_database, migrator, run, text};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use postech_database::catalog::{CatalogDrift, read_catalog};
use postech_database::test_support::TestDatabase;
use postech_database::{VerificationReport, revert_to, verify};

/// Verifies a database changed by `sql` after migrating, and returns the report.
fn verify_after(sql: &str) -> VerificationReport {
    let (database, mut connection) = migrated_database();
    exec(&mut connection, sql);
    verify(database.url()).expect("verify runs")
}

/// The one catalog difference of `report`, which must be about `object`.
fn only_drift(report: &VerificationReport, object: &str) -> CatalogDrift {
    assert!(!report.is_consistent(), "{report:?}");
    match report.catalog_drift.as_slice() {
        [drift] if drift.object() == object => drift.clone(),
        other => panic!("expected one difference about {object}, got {other:#?}"),
    }
}

#[test]
fn freshly_migrated_database_verifies_clean_and_its_catalog_covers_every_kind() {
    let (database, mut connection) = migrated_database();
    let report = verify(database.url()).expect("verify runs");
    assert!(report.is_consistent(), "{report:#?}");

    AnsiTransactionManager::begin_transaction(&mut connection).expect("begin");
    let catalog = read_catalog(&mut connection, "public").expect("catalog");
    AnsiTransactionManager::rollback_transaction(&mut connection).expect("rollback");
    for (object, definition) in [
        ("column products.price", "numeric(10,2) NOT NULL"),
        (
            "constraint products.products_price_range_check",
            "CHECK (((price > (0)::numeric) AND (price <= 1000.00)))",
        ),
        (
            "index payments_one_pending_per_order_key",
            "CREATE UNIQUE INDEX payments_one_pending_per_order_key ON payments USING btree (order_id) WHERE (status = 'pending'::text)",
        ),
        (
            "trigger orders.orders_set_updated_at",
            "CREATE TRIGGER orders_set_updated_at BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION postech_set_updated_at()",
        ),
        (
            "sequence order_number_seq",
            "AS bigint START 1 INCREMENT 1 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1 OWNED BY orders.number",
        ),
    ] {
        assert_eq!(
            catalog.get(object).map(String::as_str),
            Some(definition),
            "{object}"
        );
    }
    assert!(
        catalog
            .get("function postech_set_updated_at()")
            .is_some_and(|definition| definition
                .starts_with("function RETURNS trigger LANGUAGE plpgsql VOLATILE, body sha256 ")),
        "{catalog:#?}"
    );
    assert!(
        !catalog.keys().any(|object| object.contains("__diesel")),
        "diesel's bookkeeping is not part of the schema"
    );
}

#[test]
fn a_dropped_check_constraint_fails_verify_naming_it() {
    let report = verify_after("ALTER TABLE products DROP CONSTRAINT products_price_range_check");
    let drift = only_drift(&report, "constraint products.products_price_range_check");
    assert!(matches!(drift, CatalogDrift::Missing { .. }), "{drift:?}");
    assert!(
        report.column_drift.is_empty(),
        "schema.rs columns cannot see it"
    );
}

#[test]
fn a_dropped_partial_unique_index_fails_verify_naming_it() {
    let report = verify_after("DROP INDEX payments_one_pending_per_order_key");
    let drift = only_drift(&report, "index payments_one_pending_per_order_key");
    assert!(
        drift.to_string().starts_with(
            "index payments_one_pending_per_order_key: missing from the database (the migrations create: CREATE UNIQUE INDEX"
        ),
        "{drift}"
    );
}

#[test]
fn a_changed_numeric_precision_fails_verify_naming_the_column() {
    let report = verify_after("ALTER TABLE products ALTER COLUMN price TYPE NUMERIC(12,2)");
    let drift = only_drift(&report, "column products.price");
    assert_eq!(
        drift.to_string(),
        "column products.price: the migrations create `numeric(10,2) NOT NULL`, the database has `numeric(12,2) NOT NULL`"
    );
    assert!(
        report.column_drift.is_empty(),
        "schema.rs only knows `numeric`"
    );
}

#[test]
fn a_dropped_or_disabled_trigger_fails_verify() {
    let dropped = verify_after("DROP TRIGGER orders_set_updated_at ON orders");
    only_drift(&dropped, "trigger orders.orders_set_updated_at");

    let disabled = verify_after("ALTER TABLE payments DISABLE TRIGGER payments_set_updated_at");
    let drift = only_drift(&disabled, "trigger payments.payments_set_updated_at");
    assert!(drift.to_string().ends_with("(disabled)`"), "{drift}");
}

#[test]
fn a_rewritten_function_or_sequence_fails_verify() {
    let function = verify_after(
        "CREATE OR REPLACE FUNCTION postech_set_updated_at() RETURNS trigger LANGUAGE plpgsql \
         AS $$ BEGIN RETURN NEW; END; $$",
    );
    let drift = only_drift(&function, "function postech_set_updated_at()");
    assert!(matches!(drift, CatalogDrift::Changed { .. }), "{drift:?}");

    let sequence = verify_after("ALTER SEQUENCE order_number_seq INCREMENT BY 2");
    only_drift(&sequence, "sequence order_number_seq");
}

#[test]
fn an_index_added_by_hand_is_reported_as_unexpected() {
    let report = verify_after("CREATE INDEX orders_notes_idx ON orders (notes)");
    let drift = only_drift(&report, "index orders_notes_idx");
    assert!(
        matches!(drift, CatalogDrift::Unexpected { .. }),
        "{drift:?}"
    );
}

#[test]
fn a_partly_migrated_database_is_compared_with_its_applied_migrations_only() {
    let (database, mut connection) = migrated_database();
    revert_to(database.url(), "20261125000007").expect("payments reverted");
    let report = verify(database.url()).expect("verify runs");
    // Pending: exactly the migrations after the one reverted to, whatever later ones exist.
    let pending: Vec<&str> = report.pending.iter().map(|id| id.name.as_str()).collect();
    assert_eq!(pending, migrations_after("2026-11-25-000007"), "{report:?}");
    assert!(report.catalog_drift.is_empty(), "{report:#?}");

    exec(
        &mut connection,
        "ALTER TABLE orders DROP CONSTRAINT orders_status_check",
    );
    let report = verify(database.url()).expect("verify runs");
    only_drift(&report, "constraint orders.orders_status_check");
}

#[test]
fn verify_leaves_no_scratch_schema_behind() {
    let (database, mut connection) = migrated_database();
    verify(database.url()).expect("verify runs");
    verify(database.url()).expect("verify runs twice");
    assert_eq!(
        text(
            &mut connection,
            "SELECT count(*)::text AS value FROM pg_namespace WHERE nspname LIKE 'postech_verify%'"
        ),
        "0"
    );
}

#[test]
fn migrator_verify_exits_1_naming_the_dropped_constraint() {
    let database = TestDatabase::create_migrated().expect("test database");
    let mut connection = database.connect().expect("connection");
    exec(
        &mut connection,
        "ALTER TABLE products DROP CONSTRAINT products_price_range_check",
    );
    let (code, stdout, _) = run(&mut migrator(database.url(), &["verify"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.starts_with(
            "The schema does NOT match:\n  constraint products.products_price_range_check: missing from the database (the migrations create: CHECK ("
        ),
        "{stdout}"
    );
}

/// `verify` re-runs the migrations in a scratch schema through `search_path`; a name
/// qualified with a schema would reach the live schema instead.
#[test]
fn migrations_never_qualify_names_with_a_schema() {
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut checked = 0;
    for entry in std::fs::read_dir(&migrations).expect("migrations directory") {
        for file in ["up.sql", "down.sql"] {
            let path = entry.as_ref().expect("entry").path().join(file);
            let sql = std::fs::read_to_string(&path)
                .expect("migration file")
                .to_lowercase();
            assert!(
                !sql.contains("public.") && !sql.contains("search_path"),
                "{} names a schema",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 16, "{checked}");
}

/// The names of the migration directories whose version (the date-and-number prefix) sorts
/// after `version`, in order.
fn migrations_after(version: &str) -> Vec<String> {
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .expect("the migrations directory is readable")
        .map(|entry| entry.expect("a directory entry").file_name())
        .filter_map(|file_name| file_name.into_string().ok())
        .filter(|candidate| {
            candidate
                .get(..version.len())
                .is_some_and(|prefix| prefix > version)
        })
        .collect();
    names.sort();
    names
}
