//! PostgreSQL: the SQL of every use case, one module per table family, as plain functions
//! over a diesel-async deadpool pool, on the schema of the `postech-database` crate;
//! connections honour libpq's `sslmode` ([`connect`]).

mod codes;
pub mod connect;
pub mod customers;
pub mod kitchen_events;
pub mod listener;
mod money;
pub mod orders;
pub mod payments;
mod pool_metrics;
pub mod prepared;
pub mod products;
pub mod replica;
pub mod seed;
pub mod tls;

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::AsyncPgConnection;
use diesel_async::RunQueryDsl;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use prometheus::IntCounter;

use crate::application::error::{Cause, PortError, because};

pub use codes::order_status_code;
pub use connect::{ConnectionSetupError, PgConnector};
pub use pool_metrics::PoolCollector;
pub use replica::{ReadOutcome, ReadPools};

const DEPENDENCY: &str = "database";

/// A pool of connections shared by every repository, counting the waits for a connection
/// that timed out (`db_pool_acquire_timeouts_total`, see [`PoolCollector`]).
#[derive(Clone)]
pub struct PgPool {
    pool: Pool<AsyncPgConnection>,
    acquire_timeouts: IntCounter,
}

impl PgPool {
    /// A connection from the pool, waiting at most the acquire timeout for one.
    pub async fn get(&self) -> Result<Object<AsyncPgConnection>, PoolError> {
        let connection = self.pool.get().await;
        if let Err(PoolError::Timeout(_)) = &connection {
            self.acquire_timeouts.inc();
        }
        connection
    }

    /// The series of this pool (connections in use and idle, its size, acquire timeouts),
    /// read at each scrape; register it in the registry `/metrics` renders.
    pub fn collector(&self) -> Result<PoolCollector, prometheus::Error> {
        PoolCollector::new(self.pool.clone(), self.acquire_timeouts.clone())
    }
}

/// Why the pool could not be created.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the database pool")]
pub struct PoolSetupError(#[source] Cause);

/// Opens one connection (the URL argument of diesel-async's callback is unused: credentials
/// come from the callback's own source, so rotations reach new connections).
pub type EstablishConnection = diesel_async::pooled_connection::SetupCallback<AsyncPgConnection>;

/// Builds the pool. Connections are opened lazily, so the app starts (and `/health` answers)
/// while the database is still coming up; `/ready` tells when it answers.
pub fn connection_pool(
    max_size: usize,
    acquire_timeout: Duration,
    establish: EstablishConnection,
) -> Result<PgPool, PoolSetupError> {
    let mut config = ManagerConfig::default();
    // `Verified` would spend one round trip per checkout on `SELECT 1`; a broken connection
    // shows up as an error on first use instead and is dropped by the pool.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = establish;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config("", config);
    let pool = Pool::builder(manager)
        .max_size(max_size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(acquire_timeout))
        .create_timeout(Some(acquire_timeout))
        .build()
        .map_err(|error| PoolSetupError(error.into()))?;
    let acquire_timeouts =
        pool_metrics::acquire_timeouts_counter().map_err(|error| PoolSetupError(error.into()))?;
    Ok(PgPool {
        pool,
        acquire_timeouts,
    })
}

/// A connection from `pool`, as a port error when none comes in time (a span: the wait is
/// part of every statement group's latency).
#[tracing::instrument(name = "db.acquire", skip_all)]
pub(crate) async fn connection(pool: &PgPool) -> Result<Object<AsyncPgConnection>, PortError> {
    pool.get().await.map_err(|error| match error {
        PoolError::Backend(error) => PortError::Unavailable {
            dependency: DEPENDENCY,
            cause: error.into(),
        },
        other => PortError::Unavailable {
            dependency: DEPENDENCY,
            cause: other.into(),
        },
    })
}

/// Sorts a diesel error no caller handles itself into a [`PortError`]. Connection-level
/// failures and transactions PostgreSQL aborted to break a lock conflict are "unavailable"
/// (503: worth retrying), text PostgreSQL cannot store is the client's (422), anything else
/// "unexpected" (500).
pub(crate) fn to_port_error(error: DieselError) -> PortError {
    if is_lock_conflict(&error) {
        return PortError::Unavailable {
            dependency: DEPENDENCY,
            cause: because("transaction aborted by a lock conflict", error),
        };
    }
    if is_unstorable_text(&error) {
        return PortError::UnstorableText {
            dependency: DEPENDENCY,
            cause: error.into(),
        };
    }
    if is_connection_lost(&error) {
        return PortError::Unavailable {
            dependency: DEPENDENCY,
            cause: because("connection lost", error),
        };
    }
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::BrokenTransactionManager => PortError::Unavailable {
            dependency: DEPENDENCY,
            cause: error.into(),
        },
        // The message is PostgreSQL's fixed text ("deadlock detected", "duplicate key value
        // violates unique constraint …"); the values involved are in `details`, never logged.
        DieselError::DatabaseError(kind, info) => PortError::Unexpected {
            dependency: DEPENDENCY,
            cause: because(
                format!(
                    "{kind:?} (constraint {})",
                    info.constraint_name().unwrap_or("none")
                ),
                error,
            ),
        },
        _ => PortError::Unexpected {
            dependency: DEPENDENCY,
            cause: error.into(),
        },
    }
}

/// Whether the statement failed because the server went away under it: the session was
/// terminated (a shutdown, a restart, a failover: SQLSTATE class 57, "operator
/// intervention"), the server is not accepting sessions yet or any more (57P03), or the
/// socket closed. diesel-async reports the closed socket as `UnableToSendCommand` and class 57
/// as `Unknown`, without the SQLSTATE, so the latter is recognised by message (English: the
/// app checks `lc_messages` at connection start). The restart drill
/// (`tests/payments/database_restart.rs`) proved these were answered 500 before.
pub(crate) fn is_connection_lost(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => CONNECTION_LOST_MESSAGES
            .iter()
            .any(|prefix| info.message().starts_with(prefix)),
        _ => false,
    }
}

/// The beginnings of PostgreSQL's messages for SQLSTATEs 57P01 (`admin_shutdown`), 57P02
/// (`crash_shutdown`), 57P05 (`idle_session_timeout`): "terminating connection …"; and 57P03
/// (`cannot_connect_now`): "the database system is starting up", "… is shutting down", ….
const CONNECTION_LOST_MESSAGES: [&str; 2] = ["terminating connection", "the database system is"];

/// Why PostgreSQL aborted a transaction to resolve a conflict with another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockConflict {
    /// SQLSTATE 40P01.
    Deadlock,
    /// SQLSTATE 40001.
    Serialization,
}

impl LockConflict {
    /// Both kinds, for series created at zero.
    pub const ALL: [LockConflict; 2] = [LockConflict::Deadlock, LockConflict::Serialization];

    /// The label of the `reason` of the checkout series.
    pub const fn label(self) -> &'static str {
        match self {
            LockConflict::Deadlock => "deadlock",
            LockConflict::Serialization => "serialization",
        }
    }
}

/// Whether PostgreSQL aborted the transaction to resolve a conflict with another one — a
/// serialization failure (SQLSTATE 40001) or a deadlock (40P01) — so that running it again
/// may well succeed. Every path here locks in one global order, so a deadlock means a bug or
/// a foreign transaction (an operator's, a migration's); retrying is still the right answer.
pub(crate) fn is_lock_conflict(error: &DieselError) -> bool {
    lock_conflict(error).is_some()
}

/// The kind of lock conflict that aborted the transaction, if that is the error.
///
/// diesel-async names 40001 but folds 40P01 into `Unknown` and does not expose the SQLSTATE,
/// so a deadlock is recognised by PostgreSQL's message, which is English under the `C` and
/// `en_*` `lc_messages` of the Debian and RDS defaults.
pub(crate) fn lock_conflict(error: &DieselError) -> Option<LockConflict> {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            Some(LockConflict::Serialization)
        }
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
            if info.message() == DEADLOCK_MESSAGE =>
        {
            Some(LockConflict::Deadlock)
        }
        _ => None,
    }
}

/// PostgreSQL's message for SQLSTATE 40P01 (`deadlock_detected`).
const DEADLOCK_MESSAGE: &str = "deadlock detected";

/// Whether PostgreSQL refused a text for a character it cannot store: SQLSTATE 22021
/// (`character_not_in_repertoire`: "invalid byte sequence for encoding …", e.g. NUL, which
/// no `text` may hold) or 22P05 (`untranslatable_character`: "character with byte sequence
/// … has no equivalent …", "unsupported Unicode escape sequence"). Recognised by message,
/// like a deadlock (see [`is_lock_conflict`]): diesel-async reports both as `Unknown`.
pub(crate) fn is_unstorable_text(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => UNSTORABLE_TEXT_MESSAGES
            .iter()
            .any(|prefix| info.message().starts_with(prefix)),
        _ => false,
    }
}

/// The beginnings of PostgreSQL's messages for SQLSTATEs 22021 and 22P05.
const UNSTORABLE_TEXT_MESSAGES: [&str; 3] = [
    "invalid byte sequence for encoding",
    "character with byte sequence",
    "unsupported Unicode escape sequence",
];

/// The name of the constraint a unique, foreign-key or check violation hit, if that is the
/// error.
pub(crate) fn violated_constraint(error: &DieselError) -> Option<&str> {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation
            | DatabaseErrorKind::ForeignKeyViolation
            | DatabaseErrorKind::CheckViolation,
            info,
        ) => info.constraint_name(),
        _ => None,
    }
}

/// Readiness: one trivial query through the pool.
pub async fn ping(pool: &PgPool) -> Result<(), PortError> {
    let mut connection = connection(pool).await?;
    diesel::sql_query("SELECT 1")
        .execute(&mut connection)
        .await
        .map(|_| ())
        .map_err(to_port_error)
}
