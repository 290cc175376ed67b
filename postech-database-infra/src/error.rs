//! The errors of the migrator library.

use diesel::result::{ConnectionError, Error as QueryError};

/// Boxed error as returned by diesel's migration harness.
pub type MigrationHarnessError = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong while migrating, inspecting or preparing a database.
///
/// Messages never contain the connection URL or a password. Each message includes the
/// underlying error's, so printing the error alone (`{}`) says everything; for that reason
/// the underlying error is not also returned by `source()` (it would print twice in chains).
#[derive(Debug, thiserror::Error)]
pub enum MigratorError {
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to the database: {}", .0.to_string().trim_end())]
    Connect(ConnectionError),

    /// A statement failed; `action` says what the migrator was doing.
    #[error("database error while {action}: {}", .error.to_string().trim_end())]
    Query {
        /// What the migrator was doing, e.g. "taking the migration lock".
        action: &'static str,
        /// The database's error.
        error: QueryError,
    },

    /// Beginning, committing or rolling back a transaction failed.
    #[error("database transaction failed: {0}")]
    Transaction(QueryError),

    /// Applying or reverting a migration failed; the failed migration was rolled back.
    #[error("{action} failed: {}", .error.to_string().trim_end())]
    Migration {
        /// "applying migration <name>" or "reverting migration <name>".
        action: String,
        /// The harness error (the failing SQL's message included).
        error: MigrationHarnessError,
    },

    /// `down --to` named a version that is not one of the embedded migrations.
    #[error(
        "unknown migration version `{requested}`; known versions: 0 (revert everything), {known}"
    )]
    UnknownVersion {
        /// The version asked for.
        requested: String,
        /// The embedded versions, comma-separated.
        known: String,
    },

    /// The database records applied versions this binary does not know: it is newer than
    /// the binary, so reverting or verifying with this binary would be wrong.
    #[error(
        "the database has applied migrations this migrator does not know: {0}; use the migrator built from the newer schema"
    )]
    UnknownAppliedVersions(String),

    /// The role name is not a plain lower-case PostgreSQL identifier.
    #[error(
        "invalid role name `{0}`: use 1-63 characters of a-z, 0-9 and _, starting with a letter or _"
    )]
    InvalidRoleName(String),

    /// The password cannot be stored as a SCRAM verifier by this crate.
    #[error("the app role password is unsupported: {0}")]
    UnsupportedPassword(&'static str),

    /// The role already exists with attributes beyond those of the app's role.
    #[error(
        "role `{role}` already exists with attributes the app must not have ({attributes}); fix it by hand, the migrator will not remove them silently"
    )]
    RoleTooPowerful {
        /// The role's name.
        role: String,
        /// The offending attributes, e.g. "SUPERUSER, CREATEDB".
        attributes: String,
    },

    /// The role already exists as a member of other roles, whose privileges it inherits.
    #[error(
        "role `{role}` already exists as a member of {member_of}, so it would inherit their privileges (DDL, through an owner role); the app role must belong to no role: revoke the membership by hand (REVOKE {member_of} FROM {role}), the migrator will not change it silently"
    )]
    RoleHasMemberships {
        /// The role's name.
        role: String,
        /// The roles it is a member of, comma-separated.
        member_of: String,
    },

    /// After the revokes the role can still create objects (a grant this migrator may not
    /// revoke, through a role, or a schema the role owns).
    #[error(
        "role `{role}` can still create objects in {places} after CREATE was revoked from PUBLIC and from it; remove that privilege by hand (a grant by another role, or ownership)"
    )]
    RoleCanCreate {
        /// The role's name.
        role: String,
        /// Where it can create, e.g. "schema public, database postech".
        places: String,
    },

    /// Another session held the migration lock longer than the configured wait.
    #[error(
        "gave up waiting for the migration lock after {waited:?}: it is held by {holder}. Another migrator is still running or hung: let it finish or end that session, or raise MIGRATOR_LOCK_TIMEOUT_SECONDS"
    )]
    LockTimeout {
        /// How long this migrator waited.
        waited: std::time::Duration,
        /// The holding session, as far as this role may see it.
        holder: String,
    },

    /// A setting read from the environment is unusable.
    #[error("{variable} is invalid: {reason}")]
    InvalidSetting {
        /// The environment variable.
        variable: &'static str,
        /// What is wrong with its value.
        reason: String,
    },

    /// The operating system could not supply random bytes for the password salt.
    #[error("no randomness available for the password salt: {0}")]
    Randomness(String),
}

impl MigratorError {
    /// Shorthand for [`MigratorError::Query`].
    pub(crate) fn query(action: &'static str) -> impl FnOnce(QueryError) -> Self {
        move |error| Self::Query { action, error }
    }
}

/// Diesel's `transaction` needs this to report BEGIN/COMMIT failures.
impl From<QueryError> for MigratorError {
    fn from(error: QueryError) -> Self {
        Self::Transaction(error)
    }
}
