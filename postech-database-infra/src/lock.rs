//! The session-level advisory lock that serialises migrators.
//!
//! Two pods, a Kubernetes Job and CI may start the migrator at the same moment. Each takes
//! this lock before reading which migrations are applied, so the second one waits, then
//! finds nothing pending: every migration is applied exactly once. The lock is held by the
//! session, not a transaction, because diesel applies each migration in its own
//! transaction; it is released on drop, and by the server if the process dies.
//!
//! Session locks need a real session: run the migrator against the database endpoint, not
//! through a transaction-pooling proxy (PgBouncer in transaction mode, RDS Proxy pinning
//! aside).

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::error::MigratorError;

/// The advisory lock key of the postech migrator: the ASCII bytes of "postechM".
pub const MIGRATION_LOCK_KEY: i64 = 0x706f_7374_6563_684d;

/// Holds [`MIGRATION_LOCK_KEY`] on a connection until dropped.
pub struct MigrationLock<'conn> {
    connection: &'conn mut PgConnection,
}

impl<'conn> MigrationLock<'conn> {
    /// Waits for the lock, then holds it.
    pub fn acquire(connection: &'conn mut PgConnection) -> Result<Self, MigratorError> {
        diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
            .execute(connection)
            .map_err(MigratorError::query("taking the migration lock"))?;
        Ok(Self { connection })
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
