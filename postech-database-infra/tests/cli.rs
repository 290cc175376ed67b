//! The `postech-migrator` binary, run as a process: output, exit codes, and the app role
//! read from Secrets Manager (a real moto server).
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{TestRole, migrator, recompute, run, stored_verifier, text};
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::local_aws::{self, MotoServer};
use secrecy::{ExposeSecret, SecretString};

#[test]
fn up_twice_prints_what_it_applied_then_that_nothing_was_pending() {
    let database = TestDatabase::create().expect("test database");
    let (code, first, stderr) = run(&mut migrator(database.url(), &["up"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        first.starts_with("Applied 9 migration(s):\n  2026-11-25-000001_shared_functions\n"),
        "{first}"
    );
    assert!(
        first.contains(
            "  2026-11-25-000008_create_payments\n  2026-12-03-100001_v1_import\nThe database is at 20261203100001.\n"
        ),
        "{first}"
    );

    let (code, second, stderr) = run(&mut migrator(database.url(), &["up"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        second.starts_with(
            "Nothing pending: all 9 migrations were already applied (latest 20261203100001).\n"
        ),
        "{second}"
    );
}

#[test]
fn status_down_and_verify_report_and_exit_accordingly() {
    let database = TestDatabase::create_migrated().expect("test database");
    let (code, verified, _) = run(&mut migrator(database.url(), &["verify"]));
    assert_eq!(
        (code, verified.as_str()),
        (0, "The schema matches the migrations and src/schema.rs.\n")
    );

    let (code, reverted, stderr) = run(&mut migrator(
        database.url(),
        &["down", "--to", "2026-11-25-000007"],
    ));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        reverted,
        "Reverted 2 migration(s):\n  2026-12-03-100001_v1_import\n  2026-11-25-000008_create_payments\n"
    );

    let (code, listed, _) = run(&mut migrator(database.url(), &["status"]));
    assert_eq!(code, 0);
    assert!(
        listed.contains("applied  2026-11-25-000007_create_order_status_history\n"),
        "{listed}"
    );
    assert!(
        listed.contains("pending  2026-11-25-000008_create_payments\n"),
        "{listed}"
    );

    let (code, mismatch, _) = run(&mut migrator(database.url(), &["verify"]));
    assert_eq!(code, 1, "verify fails while a migration is pending");
    assert!(
        mismatch.contains("pending migration 2026-11-25-000008_create_payments"),
        "{mismatch}"
    );
}

#[test]
fn failing_migration_exits_1_naming_it_and_keeps_the_earlier_ones() {
    let database = TestDatabase::create().expect("test database");
    let mut connection = database.connect().expect("connection");
    common::exec(&mut connection, "CREATE TABLE products (id INTEGER)");

    let (code, stdout, stderr) = run(&mut migrator(database.url(), &["up"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("applying migration 2026-11-25-000003_create_products failed"),
        "{stderr}"
    );
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(
        text(
            &mut connection,
            "SELECT count(*)::text AS value FROM __diesel_schema_migrations"
        ),
        "2",
        "the two migrations before the failing one stay applied; the failing one left nothing"
    );
}

#[test]
fn unreachable_database_exits_1_without_printing_the_password() {
    let (code, _, stderr) = run(&mut migrator(
        "postgres://postgres:do-not-print-me@127.0.0.1:1/postech",
        &["up"],
    ));
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: migrating the database: cannot connect to the database:"),
        "{stderr}"
    );
    assert!(!stderr.contains("do-not-print-me"), "{stderr}");
}

#[test]
fn unknown_version_exits_1_listing_the_known_ones() {
    let database = TestDatabase::create_migrated().expect("test database");
    let (code, _, stderr) = run(&mut migrator(database.url(), &["down", "--to", "42"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("unknown migration version `42`"),
        "{stderr}"
    );
    assert!(stderr.contains("20261125000008"), "{stderr}");
}

#[test]
fn missing_database_url_and_secret_id_is_a_usage_error() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_postech-migrator"));
    command
        .arg("up")
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATOR_DATABASE_SECRET_ID");
    let (code, _, stderr) = run(&mut command);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("set DATABASE_URL (--database-url), or MIGRATOR_DATABASE_SECRET_ID"),
        "{stderr}"
    );
}

#[test]
fn ensure_app_role_without_credentials_exits_1_saying_what_to_set() {
    let database = TestDatabase::create_migrated().expect("test database");
    let (code, _, stderr) = run(&mut migrator(database.url(), &["ensure-app-role"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("APP_DATABASE_SECRET_ID"), "{stderr}");
}

#[test]
fn up_creates_the_app_role_from_app_database_url() {
    let role = TestRole::new();
    let database = TestDatabase::create().expect("test database");
    let password = common::throwaway_password();
    let app_url = format!("postgres://{}:{password}@127.0.0.1:5432/postech", role.name);
    let mut command = migrator(database.url(), &["up"]);
    command.env("APP_DATABASE_URL", &app_url);
    let (code, stdout, stderr) = run(&mut command);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("App role: `{}` can log in", role.name)),
        "{stdout}"
    );
    assert!(!stdout.contains(&password) && !stderr.contains(&password));

    let mut admin = database.connect().expect("admin connection");
    let verifier = stored_verifier(&mut admin, &role.name);
    assert_eq!(recompute(&verifier, &password), verifier);
}

#[test]
fn up_creates_the_app_role_from_the_secrets_manager_secret() {
    let moto = MotoServer::shared()
        .expect("a moto server is required: install moto[server] (tools/requirements-dev.txt)");
    let role = TestRole::new();
    let database = TestDatabase::create().expect("test database");
    let secret_id = local_aws::unique_name("postech/test/app-database");
    let password: SecretString = local_aws::generate_password();
    let secret = serde_json::json!({
        "username": role.name, "password": password.expose_secret(),
        "host": "db.internal", "port": 5432, "dbname": "postech",
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = local_aws::sdk_config(moto.endpoint()).await;
        local_aws::put_secret_string(&config, &secret_id, &secret.to_string().into())
            .await
            .expect("secret stored in moto");
    });

    let mut command = migrator(database.url(), &["up"]);
    command
        .env("APP_DATABASE_SECRET_ID", &secret_id)
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_REGION", local_aws::LOCAL_REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE");
    let (code, stdout, stderr) = run(&mut command);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("(from secret {secret_id})")),
        "{stdout}"
    );
    assert!(
        !stdout.contains(password.expose_secret()) && !stderr.contains(password.expose_secret())
    );

    let mut admin = database.connect().expect("admin connection");
    let verifier = stored_verifier(&mut admin, &role.name);
    assert_eq!(recompute(&verifier, password.expose_secret()), verifier);
}

#[test]
fn unknown_secret_exits_1_naming_the_secret() {
    let moto = MotoServer::shared()
        .expect("a moto server is required: install moto[server] (tools/requirements-dev.txt)");
    let database = TestDatabase::create().expect("test database");
    let mut command = migrator(database.url(), &["up"]);
    command
        .env("APP_DATABASE_SECRET_ID", "postech/test/does-not-exist")
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_REGION", local_aws::LOCAL_REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    let (code, _, stderr) = run(&mut command);
    assert_eq!(code, 1);
    assert!(stderr.contains("postech/test/does-not-exist"), "{stderr}");
}
