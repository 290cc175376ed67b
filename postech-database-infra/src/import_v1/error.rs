//! Why an import run stopped. A stopped run is resumable: every batch it committed stays,
//! and the next run carries on from there.

use diesel::result::{ConnectionError, Error as QueryError};
use uuid::Uuid;

use crate::error::MigratorError;

/// Which database a connection error concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The v1 database, read.
    V1,
    /// The postech database, written.
    Postech,
}

impl std::fmt::Display for Side {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Side::V1 => "the v1 database",
            Side::Postech => "the postech database",
        })
    }
}

/// Everything that stops an import run. Messages never contain a connection URL, a CPF, a
/// name or an e-mail.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A database could not be reached.
    #[error("cannot connect to {side}")]
    Connect {
        /// Which one.
        side: Side,
        /// The driver's error.
        #[source]
        source: ConnectionError,
    },

    /// A statement failed.
    #[error("database error while {action}")]
    Query {
        /// What the import was doing.
        action: &'static str,
        /// The database's error.
        #[source]
        source: QueryError,
    },

    /// The postech database is not at the schema this import writes.
    #[error("the postech database is not migrated: {0}")]
    Migrator(#[source] MigratorError),

    /// The postech database has migrations left to apply.
    #[error(
        "the postech database has pending migrations ({pending}): run `postech-migrator up` first"
    )]
    NotMigrated {
        /// The pending migrations, comma-separated.
        pending: String,
    },

    /// The v1 database's shape is not the one this import reads.
    #[error("the source is not a v1 database this import can read: {problem}")]
    NotV1 {
        /// What is missing or different.
        problem: String,
    },

    /// v1's `alembic_version` names a revision this import was not written for.
    #[error(
        "unsupported v1 schema revision {found}: this import reads revisions 9c4a9953f05f and e6cb164e3c94"
    )]
    UnsupportedRevision {
        /// The revisions found.
        found: String,
    },

    /// Another import holds the import lock on the postech database.
    #[error(
        "another import-v1 is running against this postech database (process {holder}); wait for it or end it"
    )]
    AlreadyRunning {
        /// The holder's backend process id, as far as visible.
        holder: String,
    },

    /// A real import needs the Cognito registry.
    #[error("customers must be registered in Cognito: configure the user pool")]
    NoIdentityRegistry,

    /// Cognito already holds this CPF for another customer id.
    #[error(
        "Cognito already has the CPF of v1 customer {v1_customer} registered to another customer id: the user pool is not this database's (or holds a stale identity); fix it and rerun"
    )]
    IdentityConflict {
        /// The v1 customer concerned.
        v1_customer: Uuid,
    },

    /// Cognito refused or failed a registration (after the SDK's retries).
    #[error("registering v1 customer {v1_customer} in Cognito failed")]
    Identity {
        /// The v1 customer concerned.
        v1_customer: Uuid,
        /// The SDK's error (never carries the CPF).
        #[source]
        source: postech_shared_sdk::cognito::CognitoError,
    },

    /// The async runtime for the Cognito calls could not start.
    #[error("cannot start the runtime for the Cognito calls")]
    Runtime(#[source] std::io::Error),

    /// The report file could not be written.
    #[error("cannot write the report to {path}")]
    Report {
        /// The path given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// An invariant of the import itself failed (a bug, not bad data).
    #[error("internal error of the import: {0}")]
    Internal(String),
}

impl ImportError {
    /// Shorthand for [`ImportError::Query`].
    pub(crate) fn query(action: &'static str) -> impl FnOnce(QueryError) -> Self {
        move |source| Self::Query { action, source }
    }
}

/// Diesel's `transaction` reports BEGIN/COMMIT failures through this.
impl From<QueryError> for ImportError {
    fn from(source: QueryError) -> Self {
        Self::Query {
            action: "running a transaction",
            source,
        }
    }
}
