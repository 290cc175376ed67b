//! Helpers shared by the integration tests: fixtures written in SQL, and the name of the
//! constraint a statement violated.
#![allow(dead_code)] // Each test binary uses a different subset.

use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::Text;
use postech_database::connect;
use postech_database::scram::scram_sha256_verifier;
use postech_database::test_support::TestDatabase;
use uuid::Uuid;

/// Category "Lanche" (seeded by the migrations).
pub const LANCHE: &str = "fcab78d9-c377-41f4-bf34-03d1a8bdbd89";

/// A migrated database and a connection to it.
pub fn migrated_database() -> (TestDatabase, PgConnection) {
    let database = TestDatabase::create_migrated().expect("test database");
    let connection = database.connect().expect("connection to the test database");
    (database, connection)
}

/// Runs statements that must succeed.
pub fn exec(connection: &mut PgConnection, sql: &str) {
    connection
        .batch_execute(sql)
        .unwrap_or_else(|error| panic!("statement failed: {error}\n{sql}"));
}

/// Runs a statement that must fail, and returns its error.
pub fn failure(connection: &mut PgConnection, sql: &str) -> Error {
    match diesel::sql_query(sql).execute(connection) {
        Ok(rows) => panic!("statement succeeded ({rows} rows) but should have failed:\n{sql}"),
        Err(error) => error,
    }
}

/// Asserts the statement fails on `constraint` (a CHECK, UNIQUE, FOREIGN KEY constraint or
/// a unique index), with the matching kind of error.
pub fn assert_rejected_by(connection: &mut PgConnection, constraint: &str, sql: &str) {
    match failure(connection, sql) {
        Error::DatabaseError(kind, info) => {
            assert_eq!(
                info.constraint_name(),
                Some(constraint),
                "violated another constraint than expected: {} ({kind:?})\n{sql}",
                info.message()
            );
            let expected_kind = if constraint.ends_with("_fkey") {
                matches!(kind, DatabaseErrorKind::ForeignKeyViolation)
            } else if constraint.ends_with("_key") {
                matches!(kind, DatabaseErrorKind::UniqueViolation)
            } else {
                matches!(kind, DatabaseErrorKind::CheckViolation)
            };
            assert!(
                expected_kind,
                "unexpected error kind {kind:?} for {constraint}"
            );
        }
        other => panic!("expected a constraint violation, got {other}"),
    }
}

#[derive(QueryableByName)]
struct TextValue {
    #[diesel(sql_type = Text)]
    value: String,
}

/// The first row of a one-column query, as text (`SELECT ... AS value`).
pub fn text(connection: &mut PgConnection, sql: &str) -> String {
    diesel::sql_query(sql)
        .get_result::<TextValue>(connection)
        .unwrap_or_else(|error| panic!("query failed: {error}\n{sql}"))
        .value
}

/// All rows of a one-column query, as text.
pub fn texts(connection: &mut PgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<TextValue>(connection)
        .unwrap_or_else(|error| panic!("query failed: {error}\n{sql}"))
        .into_iter()
        .map(|row| row.value)
        .collect()
}

/// An active product priced `price` (a SQL numeric literal such as `15.90`).
pub fn insert_product(connection: &mut PgConnection, price: &str) -> Uuid {
    let id = Uuid::new_v4();
    exec(
        connection,
        &format!(
            "INSERT INTO products (id, category_id, name, description, price, stock_available) \
             VALUES ('{id}', '{LANCHE}', 'X-Burger {id}', 'Pão, carne e queijo.', {price}, 100)"
        ),
    );
    id
}

/// An anonymous order in `status` with `total`.
pub fn insert_order(connection: &mut PgConnection, status: &str, total: &str) -> Uuid {
    let id = Uuid::new_v4();
    exec(
        connection,
        &format!("INSERT INTO orders (id, status, total) VALUES ('{id}', '{status}', {total})"),
    );
    id
}

/// A customer with `cpf` (11 digits or formatted, as given).
pub fn insert_customer(connection: &mut PgConnection, cpf: &str) -> Uuid {
    let id = Uuid::new_v4();
    exec(
        connection,
        &format!("INSERT INTO customers (id, name, cpf) VALUES ('{id}', 'Ana', '{cpf}')"),
    );
    id
}

/// A cluster-wide role name unique to this test, dropped on drop. Declare it before the
/// `TestDatabase` so the database (holding the role's grants) is dropped first.
pub struct TestRole {
    pub name: String,
}

impl TestRole {
    pub fn new() -> Self {
        Self {
            name: format!("postech_test_app_{}", Uuid::new_v4().simple()),
        }
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        if let Ok(mut server) = connect(&TestDatabase::server_url()) {
            let _ = diesel::sql_query(format!("DROP ROLE IF EXISTS {}", self.name))
                .execute(&mut server);
        }
    }
}

pub fn throwaway_password() -> String {
    format!("pw-{}", Uuid::new_v4().simple())
}

/// `database`'s URL with the role's credentials instead of the server's.
pub fn url_as(database: &TestDatabase, role: &str, password: &str) -> String {
    let url = database.url();
    let scheme_end = url.find("://").map_or(0, |index| index + 3);
    let host_start = url[scheme_end..]
        .find('@')
        .map_or(scheme_end, |index| scheme_end + index + 1);
    format!(
        "{}{role}:{password}@{}",
        &url[..scheme_end],
        &url[host_start..]
    )
}

pub fn stored_verifier(connection: &mut PgConnection, role: &str) -> String {
    text(
        connection,
        &format!("SELECT rolpassword AS value FROM pg_authid WHERE rolname = '{role}'"),
    )
}

/// Recomputes a stored verifier from its own salt and iteration count.
pub fn recompute(verifier: &str, password: &str) -> String {
    let (_, rest) = verifier.split_once('$').expect("SCRAM-SHA-256$...");
    let (parameters, _) = rest.split_once('$').expect("iterations:salt$keys");
    let (iterations, salt) = parameters.split_once(':').expect("iterations:salt");
    scram_sha256_verifier(
        password,
        &BASE64.decode(salt).expect("base64 salt"),
        iterations.parse().expect("iteration count"),
    )
    .expect("printable password")
}

/// The migrator binary connecting through `database_url`, with the variables that would point
/// it elsewhere — a secret id, the app role's credentials — removed from its environment: a
/// developer's shell or a CI job may well have them set.
pub fn migrator(database_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_postech-migrator"));
    command.args(args).env("DATABASE_URL", database_url);
    for variable in [
        "MIGRATOR_DATABASE_SECRET_ID",
        "APP_DATABASE_SECRET_ID",
        "APP_DATABASE_URL",
    ] {
        command.env_remove(variable);
    }
    command
}

/// Runs a migrator command to its end: its exit code, stdout and stderr.
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the migrator binary runs");
    (
        status.code().expect("exited normally"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}
