//! The session-level advisory lock that serialises migrators.
//!
//! Two pods, a Kubernetes Job and CI may start the migrator at the same moment. Each takes
//! this lock before reading which migrations are applied, so the second one waits, then
//! finds nothing pending: every migration is applied exactly once. The lock is held by the
//! session, not a transaction, because diesel applies each migration in its own
//! transaction; it is released on drop, and by the server if the process dies.
//!
//! The wait is bounded ([`lock_timeout`], `MIGRATOR_LOCK_TIMEOUT_SECONDS`, 300 s by
//! default): a holder that hangs (a stuck migration, a session left open by hand) makes the
//! next migrator fail with [`MigratorError::LockTimeout`], naming the holder's process id,
//! instead of waiting until the Job's deadline kills it without a word.
//!
//! Session locks need a real session: run the migrator against the database endpoint, not
//! through a transaction-pooling proxy (PgBouncer in transaction mode, RDS Proxy pinning
//! aside).

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as QueryError};
use diesel::sql_types::{BigInt, Integer, Text};

use crate::error::MigratorError;

/// The advisory lock key of the postech migrator: the ASCII bytes of "postechM".
pub const MIGRATION_LOCK_KEY: i64 = 0x706f_7374_6563_684d;

/// The variable that bounds the wait for the lock, in whole seconds.
pub const LOCK_TIMEOUT_ENV: &str = "MIGRATOR_LOCK_TIMEOUT_SECONDS";

/// How long a migrator waits for the lock when [`LOCK_TIMEOUT_ENV`] is not set: longer
/// than any migration of this schema takes, shorter than the migration Job's deadline.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// The longest accepted timeout (one day). PostgreSQL reads `lock_timeout = 0` as "wait
/// forever", so 0 is refused too: an unbounded wait is exactly what this setting prevents.
const MAX_LOCK_TIMEOUT_SECONDS: u64 = 86_400;

/// The configured wait: `MIGRATOR_LOCK_TIMEOUT_SECONDS` (1 to 86400), else
/// [`DEFAULT_LOCK_TIMEOUT`]. Every function of this crate that takes the lock uses it.
pub fn lock_timeout() -> Result<Duration, MigratorError> {
    match std::env::var(LOCK_TIMEOUT_ENV) {
        Ok(value) if !value.trim().is_empty() => parse_lock_timeout(&value),
        _ => Ok(DEFAULT_LOCK_TIMEOUT),
    }
}

fn parse_lock_timeout(value: &str) -> Result<Duration, MigratorError> {
    match value.trim().parse::<u64>() {
        Ok(seconds) if (1..=MAX_LOCK_TIMEOUT_SECONDS).contains(&seconds) => {
            Ok(Duration::from_secs(seconds))
        }
        _ => Err(MigratorError::InvalidSetting {
            variable: LOCK_TIMEOUT_ENV,
            reason: format!(
                "`{value}` is not a whole number of seconds from 1 to {MAX_LOCK_TIMEOUT_SECONDS}"
            ),
        }),
    }
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Integer)]
    pid: i32,
    #[diesel(sql_type = Text)]
    detail: String,
}

/// Holds [`MIGRATION_LOCK_KEY`] on a connection until dropped.
pub struct MigrationLock<'conn> {
    connection: &'conn mut PgConnection,
}

impl<'conn> MigrationLock<'conn> {
    /// Waits for the lock at most `timeout`, then holds it. Fails with
    /// [`MigratorError::LockTimeout`] when another session keeps it longer.
    pub fn acquire(
        connection: &'conn mut PgConnection,
        timeout: Duration,
    ) -> Result<Self, MigratorError> {
        // `SET LOCAL lock_timeout` bounds the wait and ends with the transaction, so the
        // migrations themselves run without it. The advisory lock is session-level: it
        // outlives the COMMIT.
        let millis = timeout.as_millis().clamp(1, i32::MAX as u128);
        let locked = connection.transaction::<_, QueryError, _>(|connection| {
            diesel::sql_query(format!("SET LOCAL lock_timeout = {millis}")).execute(connection)?;
            diesel::sql_query("SELECT pg_advisory_lock($1)")
                .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
                .execute(connection)
        });
        match locked {
            Ok(_) => Ok(Self { connection }),
            Err(error) if is_lock_timeout(&error) => Err(MigratorError::LockTimeout {
                waited: timeout,
                holder: describe_holder(connection),
            }),
            Err(error) => Err(MigratorError::Query {
                action: "taking the migration lock",
                error,
            }),
        }
    }

    /// The locked connection.
    pub fn connection(&mut self) -> &mut PgConnection {
        self.connection
    }
}

impl Drop for MigrationLock<'_> {
    fn drop(&mut self) {
        // If unlocking fails the connection is broken, and the server releases a broken
        // session's locks by itself; there is nothing better to do in a destructor.
        let _ = diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
            .execute(self.connection);
    }
}

/// SQLSTATE 55P03 (lock_not_available), which `lock_timeout` raises.
fn is_lock_timeout(error: &QueryError) -> bool {
    match error {
        QueryError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().contains("lock timeout")
        }
        _ => false,
    }
}

/// "process 1234 (application psql, user postgres, connected since 2026-12-02 10:00:00+00)"
/// when the holder is visible; the pid alone otherwise. Never fails: it only decorates an
/// error that is already certain.
fn describe_holder(connection: &mut PgConnection) -> String {
    // pg_advisory_lock(bigint) is recorded with the key's high half in classid and its low
    // half in objid, objsubid 1.
    let holder: Option<Holder> = diesel::sql_query(
        "SELECT l.pid, \
                format('application %s, user %s, connected since %s', \
                       coalesce(nullif(a.application_name, ''), 'unnamed'), \
                       coalesce(a.usename::text, 'unknown'), \
                       coalesce(a.backend_start::text, 'unknown')) AS detail \
           FROM pg_locks l \
           LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
            AND l.classid = (($1 >> 32) & 4294967295)::oid \
            AND l.objid = ($1 & 4294967295)::oid \
          LIMIT 1",
    )
    .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
    .get_result(connection)
    .optional()
    .ok()
    .flatten();
    match holder {
        Some(holder) => format!("process {} ({})", holder.pid, holder.detail),
        None => "a session that has released it since".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_is_whole_seconds_from_one_to_a_day() {
        assert_eq!(parse_lock_timeout("1").ok(), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_lock_timeout(" 300 ").ok(),
            Some(Duration::from_secs(300))
        );
        for invalid in ["0", "-5", "1.5", "ten", "86401"] {
            let error = parse_lock_timeout(invalid)
                .expect_err("invalid timeout")
                .to_string();
            assert!(error.contains(LOCK_TIMEOUT_ENV), "{error}");
            assert!(error.contains(invalid), "{error}");
        }
    }
}
