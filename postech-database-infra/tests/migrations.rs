//! Applying, reverting and re-applying the migrations against the real PostgreSQL.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::{exec, text, texts};
use diesel::pg::PgConnection;
use postech_database::schema_check::ColumnDrift;
use postech_database::test_support::TestDatabase;
use postech_database::{
    MigratorError, embedded_migrations, revert_to, run_pending, status, verify,
};

const TABLES: [&str; 8] = [
    "categories",
    "customers",
    "order_items",
    "order_status_history",
    "orders",
    "payments",
    "products",
    "v1_import_notes",
];

/// Everything the migrations create in the schema, as comparable text: columns with
/// type, nullability, default and generation, constraints, indexes, triggers, sequences,
/// functions.
fn schema_snapshot(connection: &mut PgConnection) -> Vec<String> {
    texts(
        connection,
        "SELECT value FROM ( \
           SELECT format('column %s.%s %s null=%s default=%s generated=%s', table_name, column_name, \
                  data_type, is_nullable, column_default, generation_expression) AS value \
             FROM information_schema.columns WHERE table_schema = 'public' \
           UNION ALL \
           SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid)) \
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
           UNION ALL \
           SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public' \
           UNION ALL \
           SELECT format('trigger %s on %s', tgname, tgrelid::regclass) FROM pg_trigger WHERE NOT tgisinternal \
           UNION ALL \
           SELECT format('sequence %s', sequencename) FROM pg_sequences WHERE schemaname = 'public' \
           UNION ALL \
           SELECT format('function %s', proname) FROM pg_proc WHERE pronamespace = 'public'::regnamespace \
         ) objects ORDER BY value",
    )
}

fn user_tables(connection: &mut PgConnection) -> Vec<String> {
    texts(
        connection,
        "SELECT table_name::text AS value FROM information_schema.tables \
          WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
          ORDER BY table_name",
    )
}

#[test]
fn fresh_database_gets_every_table_and_the_seeded_categories() {
    let database = TestDatabase::create().expect("test database");
    let applied = run_pending(database.url()).expect("migrations apply");
    assert_eq!(applied, embedded_migrations().expect("embedded"));

    let mut connection = database.connect().expect("connection");
    assert_eq!(user_tables(&mut connection), TABLES);
    assert_eq!(
        texts(
            &mut connection,
            "SELECT name AS value FROM categories ORDER BY name"
        ),
        ["Acompanhamento", "Bebida", "Lanche", "Sobremesa"]
    );
    assert_eq!(
        text(
            &mut connection,
            "SELECT id::text AS value FROM categories WHERE name = 'Sobremesa'"
        ),
        "d290f1ee-6c54-4b01-90e6-d701748f0851"
    );
}

#[test]
fn second_run_applies_nothing() {
    let database = TestDatabase::create().expect("test database");
    assert!(!run_pending(database.url()).expect("first run").is_empty());
    assert!(run_pending(database.url()).expect("second run").is_empty());
    assert!(status(database.url()).expect("status").pending().is_empty());
}

#[test]
fn status_lists_pending_then_applied_migrations() {
    let database = TestDatabase::create().expect("test database");
    let before = status(database.url()).expect("status");
    assert!(before.migrations.iter().all(|state| !state.applied));
    assert_eq!(
        before.pending().len(),
        embedded_migrations().expect("embedded").len()
    );

    run_pending(database.url()).expect("migrations apply");
    let after = status(database.url()).expect("status");
    assert!(after.migrations.iter().all(|state| state.applied));
    assert!(after.unknown_applied.is_empty());
}

#[test]
fn reverting_to_zero_leaves_nothing_behind() {
    let database = TestDatabase::create_migrated().expect("test database");
    let reverted = revert_to(database.url(), "0").expect("revert everything");
    assert_eq!(
        reverted.len(),
        embedded_migrations().expect("embedded").len()
    );
    assert_eq!(
        reverted.first().map(|m| m.version.clone()),
        embedded_migrations()
            .expect("embedded")
            .last()
            .map(|m| m.version.clone()),
        "newest first"
    );

    let mut connection = database.connect().expect("connection");
    let leftovers: Vec<String> = schema_snapshot(&mut connection)
        .into_iter()
        .filter(|object| !object.contains("__diesel_schema_migrations"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:#?}");
    assert_eq!(
        text(
            &mut connection,
            "SELECT count(*)::text AS value FROM __diesel_schema_migrations"
        ),
        "0"
    );
}

#[test]
fn reverting_to_a_version_keeps_it_and_everything_before() {
    let database = TestDatabase::create_migrated().expect("test database");
    let reverted = revert_to(database.url(), "2026-11-25-000004").expect("revert to customers");
    let names: Vec<&str> = reverted.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "2026-12-03-400001_customer_registration_states",
            "2026-12-03-300001_menu_notify",
            "2026-12-03-200002_payments_qr_code_image",
            "2026-12-03-200001_kitchen_event_log",
            "2026-12-03-100001_v1_import",
            "2026-11-25-000008_create_payments",
            "2026-11-25-000007_create_order_status_history",
            "2026-11-25-000006_create_order_items",
            "2026-11-25-000005_create_orders",
        ]
    );
    let mut connection = database.connect().expect("connection");
    assert_eq!(
        user_tables(&mut connection),
        ["categories", "customers", "products"]
    );
    assert!(
        revert_to(database.url(), "20261125000004")
            .expect("no-op")
            .is_empty()
    );
}

#[test]
fn every_migration_redoes_to_the_same_schema() {
    let database = TestDatabase::create_migrated().expect("test database");
    let mut connection = database.connect().expect("connection");
    let migrated = schema_snapshot(&mut connection);
    let versions: Vec<String> = embedded_migrations()
        .expect("embedded")
        .into_iter()
        .map(|m| m.version)
        .collect();

    // Down one step at a time to zero, and back up each time: every down.sql undoes its
    // up.sql exactly, or the snapshot differs.
    for keep in (0..versions.len()).rev() {
        let target = if keep == 0 {
            "0"
        } else {
            versions[keep - 1].as_str()
        };
        revert_to(database.url(), target).expect("revert");
        run_pending(database.url()).expect("re-apply");
        assert_eq!(
            schema_snapshot(&mut connection),
            migrated,
            "redo from {target}"
        );
    }
}

#[test]
fn five_concurrent_migrators_apply_each_migration_once() {
    let database = TestDatabase::create().expect("test database");
    let barrier = Arc::new(Barrier::new(5));
    let runs: Vec<_> = (0..5)
        .map(|_| {
            let url = database.url().to_owned();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                run_pending(&url)
            })
        })
        .collect();
    let mut applied: Vec<String> = Vec::new();
    for run in runs {
        let migrations = run.join().expect("migrator thread").expect("migrator run");
        applied.extend(migrations.into_iter().map(|m| m.version));
    }
    applied.sort();
    let expected: Vec<String> = embedded_migrations()
        .expect("embedded")
        .into_iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(
        applied, expected,
        "each migration applied by exactly one migrator"
    );

    let mut connection = database.connect().expect("connection");
    assert_eq!(
        text(
            &mut connection,
            "SELECT count(*)::text AS value FROM __diesel_schema_migrations"
        ),
        expected.len().to_string()
    );
}

#[test]
fn revert_to_an_unknown_version_is_refused() {
    let database = TestDatabase::create_migrated().expect("test database");
    match revert_to(database.url(), "20991231000000") {
        Err(MigratorError::UnknownVersion { requested, known }) => {
            assert_eq!(requested, "20991231000000");
            assert!(known.contains("20261125000001"), "{known}");
        }
        other => panic!("expected UnknownVersion, got {other:?}"),
    }
    assert!(
        status(database.url()).expect("status").pending().is_empty(),
        "nothing reverted"
    );
}

#[test]
fn verify_accepts_a_migrated_database() {
    let database = TestDatabase::create_migrated().expect("test database");
    let report = verify(database.url()).expect("verify");
    assert!(report.is_consistent(), "{report:#?}");
}

#[test]
fn verify_reports_pending_migrations() {
    let database = TestDatabase::create_migrated().expect("test database");
    revert_to(database.url(), "20261203200001").expect("revert the QR image column");
    let report = verify(database.url()).expect("verify");
    assert!(!report.is_consistent());
    let pending: Vec<&str> = report
        .pending
        .iter()
        .map(|migration| migration.version.as_str())
        .collect();
    assert_eq!(
        pending,
        ["20261203200002", "20261203300001", "20261203400001"]
    );
    assert!(
        report
            .column_drift
            .contains(&ColumnDrift::MissingInDatabase {
                column: "payments.qr_code_base64".into()
            }),
        "{:?}",
        report.column_drift
    );
}

#[test]
fn verify_reports_unknown_applied_versions() {
    let database = TestDatabase::create_migrated().expect("test database");
    let mut connection = database.connect().expect("connection");
    exec(
        &mut connection,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20991231000000')",
    );
    let report = verify(database.url()).expect("verify");
    assert_eq!(report.unknown_applied, ["20991231000000"]);
    assert!(matches!(
        revert_to(database.url(), "0"),
        Err(MigratorError::UnknownAppliedVersions(_))
    ));
}

#[test]
fn connection_failure_is_a_clear_error_without_the_password() {
    let url = "postgres://postgres:not-the-password@127.0.0.1:1/postgres";
    let error = run_pending(url).expect_err("nothing listens on port 1");
    let message = error.to_string();
    assert!(
        message.starts_with("cannot connect to the database"),
        "{message}"
    );
    assert!(!message.contains("not-the-password"), "{message}");
}
