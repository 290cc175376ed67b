//! The postech PostgreSQL schema and its migrator.
//!
//! * [`MIGRATIONS`] — the SQL migrations of `migrations/`, embedded; [`run_pending`],
//!   [`status`], [`revert_to`] and [`verify`] apply and inspect them under a PostgreSQL
//!   advisory lock ([`lock`]), so concurrent migrators apply each migration exactly once;
//!   [`verify`] compares the live catalog with what the migrations build ([`catalog`]).
//! * [`schema`] — the diesel `table!` definitions the app queries with.
//! * [`codes`] — the status codes stored in the status columns.
//! * [`kitchen`] — the kitchen list's query, in the form its partial index serves.
//! * [`ensure_app_role`] — the app's least-privileged role, its password sent as a SCRAM
//!   verifier ([`scram`]).
//! * `import_v1` (feature `import-v1`, on by default) — moves a v1 database into postech,
//!   customers into Cognito (the migrator's `import-v1` subcommand).
//! * `test_support` (feature `test-support`) — `TestDatabase`, a fresh database per test.
//!
//! Every function takes a connection URL (`postgres://user[:password]@host:port/db?...`);
//! libpq's `PG*` variables (e.g. `PGPASSWORD`, `PGSSLMODE`) fill what the URL leaves out.

#![deny(missing_docs)]

pub mod app_role;
pub mod catalog;
pub mod codes;
pub mod error;
#[cfg(feature = "import-v1")]
pub mod import_v1;
pub mod kitchen;
pub mod lock;
pub mod migrator;
#[allow(missing_docs)] // diesel's `table!` generates undocumented column types.
pub mod schema;
pub mod schema_check;
pub mod scram;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod verify;

pub use app_role::ensure_app_role;
pub use error::MigratorError;
pub use migrator::{
    MIGRATIONS, MigrationId, MigrationState, MigrationStatus, connect, embedded_migrations,
    revert_to, run_pending, status,
};
pub use verify::{VerificationReport, verify};
