//! A fresh database per test (feature `test-support`).
//!
//! ```no_run
//! use postech_database::test_support::TestDatabase;
//!
//! let database = TestDatabase::create_migrated()?;
//! let mut connection = database.connect()?;
//! // ... run the code under test against `database.url()` or `connection` ...
//! # Ok::<(), postech_database::MigratorError>(())
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::MigratorError;
use crate::migrator::{MigrationId, connect, run_pending};

/// The server used when `DATABASE_URL` is not set: the local PostgreSQL with trust auth.
pub const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Prefix of every database this module creates, so leftovers of a killed test run are
/// easy to find: `SELECT datname FROM pg_database WHERE datname LIKE 'postech_test_%'`.
pub const TEST_DATABASE_PREFIX: &str = "postech_test_";

static NEXT_SUFFIX: AtomicU32 = AtomicU32::new(0);

/// A uniquely named database on the server of `DATABASE_URL`, dropped (its other
/// connections terminated first) when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    server_url: String,
}

impl TestDatabase {
    /// The server URL tests use: `DATABASE_URL`, else [`DEFAULT_SERVER_URL`]. It must name
    /// a role that may create databases; the database it names is only used to create and
    /// drop the test databases.
    pub fn server_url() -> String {
        std::env::var("DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned())
    }

    /// Creates an empty database.
    pub fn create() -> Result<Self, MigratorError> {
        let server_url = Self::server_url();
        let name = unique_name();
        let mut server = connect(&server_url)?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut server)
            .map_err(MigratorError::query("creating the test database"))?;
        Ok(Self {
            url: with_database(&server_url, &name),
            name,
            server_url,
        })
    }

    /// Creates a database and applies every migration to it.
    pub fn create_migrated() -> Result<Self, MigratorError> {
        let database = Self::create()?;
        database.migrate()?;
        Ok(database)
    }

    /// Applies the pending migrations; returns what was applied.
    pub fn migrate(&self) -> Result<Vec<MigrationId>, MigratorError> {
        run_pending(&self.url)
    }

    /// The database's name (`postech_test_...`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection URL for the database, with the credentials of the server URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to the database.
    pub fn connect(&self) -> Result<PgConnection, MigratorError> {
        connect(&self.url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let dropped = connect(&self.server_url).and_then(|mut server| {
            // WITH (FORCE) terminates the sessions still connected (a pool the test leaked,
            // a thread still running) instead of failing on them.
            diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut server)
            .map_err(MigratorError::query("dropping the test database"))
        });
        if let Err(error) = dropped {
            eprintln!(
                "warning: test database {} was not dropped: {error}",
                self.name
            );
        }
    }
}

/// Lower-case, at most 63 bytes, unique across processes (pid and time) and within one
/// (counter).
fn unique_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let counter = NEXT_SUFFIX.fetch_add(1, Ordering::Relaxed);
    format!(
        "{TEST_DATABASE_PREFIX}{}_{nanos:x}_{counter}",
        std::process::id()
    )
}

/// `url` with its database path replaced by `database`; the query string is kept.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |index| index + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |index| authority_start + index);
    let mut result = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "t2"),
            "postgresql://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5433", "t3"),
            "postgres://u@h:5433/t3"
        );
    }

    #[test]
    fn names_are_unique_lower_case_identifiers() {
        let first = unique_name();
        let second = unique_name();
        assert_ne!(first, second);
        assert!(first.len() <= 63, "{first}");
        assert!(
            first
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        );
    }
}
