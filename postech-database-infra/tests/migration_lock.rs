//! The migration lock's wait is bounded: a migrator facing a holder that never lets go
//! fails with a clear error and a non-zero exit instead of waiting forever.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{exec, migrator, run, text};
use diesel::pg::PgConnection;
use postech_database::lock::{LOCK_TIMEOUT_ENV, MIGRATION_LOCK_KEY, MigrationLock};
use postech_database::test_support::TestDatabase;
use postech_database::{MigratorError, connect};

/// A session of its own holding the migration lock, as a hung migrator would; returns the
/// connection (the lock lives as long as it) and its backend pid.
fn hold_the_lock(database: &TestDatabase) -> (PgConnection, String) {
    let mut holder = connect(database.url()).expect("holder connection");
    exec(
        &mut holder,
        &format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"),
    );
    let pid = text(&mut holder, "SELECT pg_backend_pid()::text AS value");
    (holder, pid)
}

#[test]
fn waiting_for_a_held_lock_gives_up_after_the_timeout_naming_the_holder() {
    let database = TestDatabase::create().expect("test database");
    let (mut holder, holder_pid) = hold_the_lock(&database);
    let mut waiter = database.connect().expect("waiter connection");

    let started = Instant::now();
    let result = MigrationLock::acquire(&mut waiter, Duration::from_millis(500)).map(drop);
    let waited = started.elapsed();
    match result {
        Err(error @ MigratorError::LockTimeout { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains(&format!("held by process {holder_pid} ")),
                "{message}"
            );
            assert!(
                message.contains("MIGRATOR_LOCK_TIMEOUT_SECONDS"),
                "{message}"
            );
        }
        Err(other) => panic!("expected LockTimeout, got {other}"),
        Ok(()) => panic!("the lock was taken while another session held it"),
    }
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_secs(10),
        "{waited:?}"
    );

    // The timeout applied to the wait only: once the holder lets go, the same connection
    // takes the lock, and migrations on it run without any lock_timeout left behind.
    exec(
        &mut holder,
        &format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"),
    );
    let mut lock = MigrationLock::acquire(&mut waiter, Duration::from_millis(500))
        .expect("lock taken once free");
    assert_eq!(
        text(
            lock.connection(),
            "SELECT current_setting('lock_timeout') AS value"
        ),
        "0"
    );
}

#[test]
fn migrator_exits_1_when_the_lock_stays_held_past_the_configured_timeout() {
    let database = TestDatabase::create().expect("test database");
    let (_holder, holder_pid) = hold_the_lock(&database);

    let started = Instant::now();
    let (code, _, stderr) = run(migrator(database.url(), &["up"]).env(LOCK_TIMEOUT_ENV, "1"));
    assert_eq!(code, 1, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        stderr.contains("gave up waiting for the migration lock after 1s"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("process {holder_pid} ")),
        "{stderr}"
    );

    let mut connection = database.connect().expect("connection");
    assert_eq!(
        text(
            &mut connection,
            "SELECT (to_regclass('products') IS NULL)::text AS value"
        ),
        "true",
        "nothing was migrated while the lock was held elsewhere"
    );
}

#[test]
fn invalid_lock_timeout_exits_1_naming_the_variable() {
    let database = TestDatabase::create().expect("test database");
    let (code, _, stderr) = run(migrator(database.url(), &["up"]).env(LOCK_TIMEOUT_ENV, "0"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("MIGRATOR_LOCK_TIMEOUT_SECONDS is invalid: `0`"),
        "{stderr}"
    );
}
