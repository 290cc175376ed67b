//! The migrator's own connection from Secrets Manager (a real moto server): the secret holds
//! only `{"username", "password"}`, as the RDS-managed master secret does, and is read on
//! every run; the host, port and database come from configuration.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{TestRole, exec, run, text};
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::local_aws::{self, MotoServer};
use postech_shared_sdk::secrets::AppDatabaseSecret;

fn moto() -> &'static MotoServer {
    MotoServer::shared()
        .expect("a moto server is required: install moto[server] (tools/requirements-dev.txt)")
}

fn store_secret(secret_id: &str, value: &serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = local_aws::sdk_config(moto().endpoint()).await;
        local_aws::put_secret_string(&config, secret_id, &value.to_string().into())
            .await
            .expect("secret stored in moto");
    });
}

/// The test server's host and port (from `DATABASE_URL`, else the local default).
fn server_location() -> (String, u16) {
    let server = AppDatabaseSecret::from_url(&TestDatabase::server_url(), "DATABASE_URL")
        .expect("server URL");
    (server.host, server.port)
}

/// The migrator with only the owner secret configured (plus moto's AWS settings): no
/// DATABASE_URL, no location, no app credentials unless a test adds them.
fn migrator(secret_id: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_postech-migrator"));
    command
        .args(args)
        .env("MIGRATOR_DATABASE_SECRET_ID", secret_id)
        .env("AWS_ENDPOINT_URL", moto().endpoint())
        .env("AWS_REGION", local_aws::LOCAL_REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    for variable in [
        "AWS_PROFILE",
        "DATABASE_URL",
        "MIGRATOR_DATABASE_HOST",
        "MIGRATOR_DATABASE_PORT",
        "MIGRATOR_DATABASE_NAME",
        "APP_DATABASE_SECRET_ID",
        "APP_DATABASE_URL",
    ] {
        command.env_remove(variable);
    }
    command
}

/// `command` pointed at `database` through the MIGRATOR_DATABASE_* variables.
fn located_at(command: &mut Command, database: &TestDatabase) {
    let (host, port) = server_location();
    command
        .env("MIGRATOR_DATABASE_HOST", host)
        .env("MIGRATOR_DATABASE_PORT", port.to_string())
        .env("MIGRATOR_DATABASE_NAME", database.name());
}

/// A login role owning `database`, as the RDS master user owns the stage's database.
fn make_owner(database: &TestDatabase, owner: &TestRole, extra: &str) {
    let mut admin = database.connect().expect("admin connection");
    exec(
        &mut admin,
        &format!(
            "CREATE ROLE {owner} LOGIN {extra}; ALTER DATABASE \"{database}\" OWNER TO {owner}",
            owner = owner.name,
            database = database.name()
        ),
    );
}

fn owner_secret(username: &str, password: &str) -> serde_json::Value {
    serde_json::json!({ "username": username, "password": password })
}

#[test]
fn up_connects_as_the_owner_of_the_secret_which_wins_over_database_url() {
    let owner = TestRole::new();
    let database = TestDatabase::create().expect("test database");
    make_owner(&database, &owner, "");
    let secret_id = local_aws::unique_name("rds!db-owner");
    let password = format!("do-not-print-{}", local_aws::unique_suffix());
    store_secret(&secret_id, &owner_secret(&owner.name, &password));

    let mut command = migrator(&secret_id, &["up"]);
    located_at(&mut command, &database);
    // A plain URL that leads nowhere: the secret id set beside it wins (ARCHITECTURE.md).
    command.env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nowhere");
    let (code, stdout, stderr) = run(&mut command);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Applied 9 migration(s):"), "{stdout}");
    assert!(!stdout.contains(&password) && !stderr.contains(&password));

    let mut admin = database.connect().expect("admin connection");
    assert_eq!(
        text(
            &mut admin,
            "SELECT tableowner::text AS value FROM pg_tables WHERE tablename = 'orders'"
        ),
        owner.name,
        "the migrations ran as the secret's user"
    );
}

#[test]
fn the_secret_is_read_again_on_every_run() {
    let owner = TestRole::new();
    let database = TestDatabase::create().expect("test database");
    make_owner(&database, &owner, "");
    let secret_id = local_aws::unique_name("rds!db-rotated");
    store_secret(&secret_id, &owner_secret(&owner.name, "first-password"));
    let mut first = migrator(&secret_id, &["up"]);
    located_at(&mut first, &database);
    let (code, _, stderr) = run(&mut first);
    assert_eq!(code, 0, "{stderr}");

    // A rotation: the next run uses the new value, not a copy of the old one. (The local
    // server trusts loopback, so a changed user name is what shows which value was used.)
    let rotated_user = format!("{}_rotated", owner.name);
    let rotated_password = format!("do-not-print-{}", local_aws::unique_suffix());
    store_secret(&secret_id, &owner_secret(&rotated_user, &rotated_password));
    let mut second = migrator(&secret_id, &["status"]);
    located_at(&mut second, &database);
    let (code, stdout, stderr) = run(&mut second);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains(&format!("role \"{rotated_user}\" does not exist")),
        "{stderr}"
    );
    assert!(!stderr.contains(&rotated_password), "{stderr}");
}

#[test]
fn host_port_and_database_come_from_the_app_database_secret_when_not_configured() {
    let owner = TestRole::new();
    let app = TestRole::new();
    let database = TestDatabase::create().expect("test database");
    make_owner(&database, &owner, "CREATEROLE");
    let (host, port) = server_location();
    let owner_secret_id = local_aws::unique_name("rds!db-master");
    store_secret(&owner_secret_id, &owner_secret(&owner.name, "irrelevant"));
    let app_secret_id = local_aws::unique_name("postech/test/app-database");
    store_secret(
        &app_secret_id,
        &serde_json::json!({
            "username": app.name, "password": local_aws::unique_suffix(),
            "host": host, "port": port, "dbname": database.name(),
        }),
    );

    let mut command = migrator(&owner_secret_id, &["up"]);
    command.env("APP_DATABASE_SECRET_ID", &app_secret_id);
    let (code, stdout, stderr) = run(&mut command);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("Applied 9 migration(s):"), "{stdout}");
    assert!(
        stdout.contains(&format!("App role: `{}` can log in", app.name)),
        "{stdout}"
    );
}

#[test]
fn a_secret_without_a_location_exits_1_saying_what_to_set() {
    let secret_id = local_aws::unique_name("rds!db-nowhere");
    store_secret(&secret_id, &owner_secret("postgres", "irrelevant"));
    let (code, _, stderr) = run(&mut migrator(&secret_id, &["status"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!(
            "the schema owner's secret {secret_id} (MIGRATOR_DATABASE_SECRET_ID) names no database host: set MIGRATOR_DATABASE_HOST, or APP_DATABASE_SECRET_ID"
        )),
        "{stderr}"
    );
}

#[test]
fn an_unknown_or_malformed_owner_secret_exits_1_naming_it_never_its_value() {
    let database = TestDatabase::create().expect("test database");
    let unknown = local_aws::unique_name("rds!db-missing");
    let mut command = migrator(&unknown, &["up"]);
    located_at(&mut command, &database);
    let (code, _, stderr) = run(&mut command);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("reading the schema owner's secret named by MIGRATOR_DATABASE_SECRET_ID"),
        "{stderr}"
    );
    assert!(stderr.contains(&unknown), "{stderr}");

    let malformed = local_aws::unique_name("rds!db-malformed");
    store_secret(
        &malformed,
        &serde_json::json!({ "user": "postgres", "password": "do-not-print-me" }),
    );
    let mut command = migrator(&malformed, &["up"]);
    located_at(&mut command, &database);
    let (code, _, stderr) = run(&mut command);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!(
            "secret {malformed} is not the expected JSON object"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("no text field `username`"), "{stderr}");
    assert!(!stderr.contains("do-not-print-me"), "{stderr}");
}

#[test]
fn unreachable_database_exits_1_without_printing_the_secret_password() {
    let secret_id = local_aws::unique_name("rds!db-unreachable");
    let password = format!("do-not-print-{}", local_aws::unique_suffix());
    store_secret(&secret_id, &owner_secret("postgres", &password));
    let mut command = migrator(&secret_id, &["up"]);
    command
        .env("MIGRATOR_DATABASE_HOST", "127.0.0.1")
        .env("MIGRATOR_DATABASE_PORT", "1")
        .env("MIGRATOR_DATABASE_NAME", "postech");
    let (code, stdout, stderr) = run(&mut command);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: migrating the database: cannot connect to the database:"),
        "{stderr}"
    );
    assert!(!stderr.contains(&password) && !stdout.contains(&password));
}
