//! `verify`: the live schema is exactly the one the applied migrations build.
//!
//! The expected schema is not a committed snapshot: it is built on the spot. In one
//! transaction that is always rolled back, the embedded migrations the database records as
//! applied run again in a fresh scratch schema of the same database; both schemas are then
//! read through the same catalog query ([`crate::catalog`]) and compared. So the comparison
//! is made by the very server (and major version) that runs the live schema — a snapshot
//! generated on another version would differ in how it deparses expressions — and it cannot
//! go stale when a migration is added. Nothing of the scratch schema is ever visible to other
//! sessions. The role running `verify` needs CREATE on the database (the schema owner has it).
//!
//! On top of that, the columns of `crate::schema` (what the app compiles against) are
//! checked against the live columns ([`crate::schema_check`]).

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::migration::Migration;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::catalog::{self, CatalogDrift};
use crate::error::MigratorError;
use crate::lock::{self, MigrationLock};
use crate::migrator::{MigrationId, connect, load_embedded, status_on};
use crate::schema_check::{self, ColumnDrift};

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationReport {
    /// Embedded migrations the database has not applied.
    pub pending: Vec<MigrationId>,
    /// Applied versions this crate does not embed.
    pub unknown_applied: Vec<String>,
    /// Differences between `crate::schema` and the live columns.
    pub column_drift: Vec<ColumnDrift>,
    /// Differences between the schema the applied migrations build and the live one
    /// (tables, columns with their exact types, constraints, indexes, triggers, functions,
    /// sequences, types). Not computed while unknown versions are applied: this migrator
    /// cannot know what they built.
    pub catalog_drift: Vec<CatalogDrift>,
}

impl VerificationReport {
    /// True when every migration is applied, nothing unknown is, and both the columns of
    /// `schema.rs` and the catalog match.
    pub fn is_consistent(&self) -> bool {
        self.pending.is_empty()
            && self.unknown_applied.is_empty()
            && self.column_drift.is_empty()
            && self.catalog_drift.is_empty()
    }
}

#[derive(QueryableByName)]
struct SchemaName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Checks that the live schema is the one the migrations build: every embedded migration
/// applied, no unknown version applied, the catalog equal to what the applied migrations
/// create in a scratch schema (see the module documentation), and the columns of
/// `crate::schema` (names, types, nullability) the database's. Runs under the migration
/// lock, so a concurrent `up` is never seen half-way.
pub fn verify(database_url: &str) -> Result<VerificationReport, MigratorError> {
    let lock_timeout = lock::lock_timeout()?;
    let mut connection = connect(database_url)?;
    let mut lock = MigrationLock::acquire(&mut connection, lock_timeout)?;
    let connection = lock.connection();
    let status = status_on(connection)?;
    let live_columns = schema_check::live_columns(connection)?;
    let catalog_drift = if status.unknown_applied.is_empty() {
        let applied: BTreeSet<String> = status
            .migrations
            .iter()
            .filter(|state| state.applied)
            .map(|state| state.migration.version.clone())
            .collect();
        catalog_drift(connection, &applied)?
    } else {
        Vec::new()
    };
    Ok(VerificationReport {
        pending: status.pending().into_iter().cloned().collect(),
        unknown_applied: status.unknown_applied,
        column_drift: schema_check::compare(&schema_check::expected_columns(), &live_columns),
        catalog_drift,
    })
}

/// Compares the live schema with what the `applied` migrations build in a scratch schema,
/// inside a transaction that is rolled back whatever happens.
fn catalog_drift(
    connection: &mut PgConnection,
    applied: &BTreeSet<String>,
) -> Result<Vec<CatalogDrift>, MigratorError> {
    AnsiTransactionManager::begin_transaction(connection).map_err(MigratorError::Transaction)?;
    let outcome = build_and_compare(connection, applied);
    let rolled_back = AnsiTransactionManager::rollback_transaction(connection)
        .map_err(MigratorError::Transaction);
    let drift = outcome?;
    rolled_back?;
    Ok(drift)
}

fn build_and_compare(
    connection: &mut PgConnection,
    applied: &BTreeSet<String>,
) -> Result<Vec<CatalogDrift>, MigratorError> {
    let live_schema: SchemaName = diesel::sql_query("SELECT current_schema() AS name")
        .get_result(connection)
        .map_err(MigratorError::query("reading the current schema"))?;
    let live = catalog::read_catalog(connection, &live_schema.name)?;

    let scratch = scratch_schema_name();
    diesel::sql_query(format!("CREATE SCHEMA {scratch}"))
        .execute(connection)
        .map_err(MigratorError::query(
            "creating the scratch schema verify builds the expected schema in (the role needs CREATE on the database)",
        ))?;
    diesel::sql_query(format!("SET LOCAL search_path TO {scratch}"))
        .execute(connection)
        .map_err(MigratorError::query("switching to the scratch schema"))?;
    let mut migrations = load_embedded()?;
    migrations.sort_by_key(|migration| migration.name().version().to_string());
    for migration in migrations
        .iter()
        .filter(|migration| applied.contains(&migration.name().version().to_string()))
    {
        run_in_scratch(connection, migration.as_ref())?;
    }
    let expected = catalog::read_catalog(connection, &scratch)?;
    Ok(catalog::compare_catalogs(&expected, &live))
}

fn run_in_scratch(
    connection: &mut PgConnection,
    migration: &dyn Migration<Pg>,
) -> Result<(), MigratorError> {
    migration
        .run(connection)
        .map_err(|error| MigratorError::Migration {
            action: format!(
                "re-applying migration {} in the scratch schema",
                migration.name()
            ),
            error,
        })
}

/// A lower-case identifier no one else uses: the server's pid is unique among live
/// sessions, the clock separates runs of one session.
fn scratch_schema_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!("postech_verify_{}_{nanos:x}", std::process::id())
}
