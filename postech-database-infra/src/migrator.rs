//! Applying, inspecting and reverting the embedded migrations ([`crate::verify`] checks them).

use std::collections::BTreeSet;

use diesel::migration::{Migration, MigrationSource};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::MigratorError;
use crate::lock::{self, MigrationLock};

/// The SQL migrations of `migrations/`, compiled into the crate.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// One migration, named as its directory: `version` is the digits of the date prefix
/// (`20261125000001`), `name` the whole directory name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationId {
    /// Version recorded in `__diesel_schema_migrations`, e.g. `20261125000001`.
    pub version: String,
    /// Directory name, e.g. `2026-11-25-000001_shared_functions`.
    pub name: String,
}

/// A migration and whether the database has applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// Which migration.
    pub migration: MigrationId,
    /// Whether its version is recorded as applied.
    pub applied: bool,
}

/// The migration state of a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Every embedded migration, oldest first.
    pub migrations: Vec<MigrationState>,
    /// Versions the database records as applied that this crate does not embed.
    pub unknown_applied: Vec<String>,
}

impl MigrationStatus {
    /// The embedded migrations not applied yet, oldest first.
    pub fn pending(&self) -> Vec<&MigrationId> {
        self.migrations
            .iter()
            .filter(|state| !state.applied)
            .map(|state| &state.migration)
            .collect()
    }
}

/// Opens a connection. Errors never contain the URL (it may hold a password).
pub fn connect(database_url: &str) -> Result<PgConnection, MigratorError> {
    PgConnection::establish(database_url).map_err(MigratorError::Connect)
}

/// Every embedded migration, oldest first.
pub fn embedded_migrations() -> Result<Vec<MigrationId>, MigratorError> {
    let mut migrations: Vec<MigrationId> =
        load_embedded()?.iter().map(|m| id_of(m.as_ref())).collect();
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(migrations)
}

/// Applies every pending migration, each in its own transaction, under the migration lock
/// (waiting for it at most [`lock::lock_timeout`]).
/// Returns what was applied, oldest first; empty when nothing was pending.
pub fn run_pending(database_url: &str) -> Result<Vec<MigrationId>, MigratorError> {
    let lock_timeout = lock::lock_timeout()?;
    let mut connection = connect(database_url)?;
    let mut lock = MigrationLock::acquire(&mut connection, lock_timeout)?;
    let connection = lock.connection();
    let pending = connection
        .pending_migrations(MIGRATIONS)
        .map_err(|source| harness_error("reading the applied migrations", source))?;
    let applied = pending.iter().map(|m| id_of(m.as_ref())).collect();
    for migration in &pending {
        connection
            .run_migration(migration.as_ref())
            .map_err(|source| {
                harness_error(&format!("applying migration {}", migration.name()), source)
            })?;
    }
    Ok(applied)
}

/// Which embedded migrations are applied, and which applied versions are unknown.
pub fn status(database_url: &str) -> Result<MigrationStatus, MigratorError> {
    let mut connection = connect(database_url)?;
    status_on(&mut connection)
}

/// Reverts applied migrations, newest first, until `target_version` is the newest applied
/// one; `"0"` reverts everything. Runs under the migration lock. Returns what was reverted.
pub fn revert_to(
    database_url: &str,
    target_version: &str,
) -> Result<Vec<MigrationId>, MigratorError> {
    let embedded = embedded_migrations()?;
    let target = normalise_version(target_version);
    if target != "0" && !embedded.iter().any(|m| m.version == target) {
        return Err(MigratorError::UnknownVersion {
            requested: target_version.to_owned(),
            known: embedded
                .iter()
                .map(|m| m.version.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let lock_timeout = lock::lock_timeout()?;
    let mut connection = connect(database_url)?;
    let mut lock = MigrationLock::acquire(&mut connection, lock_timeout)?;
    let connection = lock.connection();
    let status = status_on(connection)?;
    if !status.unknown_applied.is_empty() {
        return Err(MigratorError::UnknownAppliedVersions(
            status.unknown_applied.join(", "),
        ));
    }
    let mut reverted = Vec::new();
    for state in status.migrations.iter().rev() {
        if !state.applied || (target != "0" && state.migration.version <= target) {
            continue;
        }
        connection
            .revert_last_migration(MIGRATIONS)
            .map_err(|source| {
                harness_error(
                    &format!("reverting migration {}", state.migration.name),
                    source,
                )
            })?;
        reverted.push(state.migration.clone());
    }
    Ok(reverted)
}

pub(crate) fn status_on(connection: &mut PgConnection) -> Result<MigrationStatus, MigratorError> {
    let applied: BTreeSet<String> = MigrationHarness::<Pg>::applied_migrations(connection)
        .map_err(|source| harness_error("reading the applied migrations", source))?
        .into_iter()
        .map(|version| version.to_string())
        .collect();
    let embedded = embedded_migrations()?;
    let known: BTreeSet<&str> = embedded.iter().map(|m| m.version.as_str()).collect();
    let unknown_applied = applied
        .iter()
        .filter(|v| !known.contains(v.as_str()))
        .cloned()
        .collect();
    let migrations = embedded
        .into_iter()
        .map(|migration| MigrationState {
            applied: applied.contains(&migration.version),
            migration,
        })
        .collect();
    Ok(MigrationStatus {
        migrations,
        unknown_applied,
    })
}

pub(crate) fn load_embedded() -> Result<Vec<Box<dyn Migration<Pg>>>, MigratorError> {
    MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|source| harness_error("loading the embedded migrations", source))
}

fn id_of(migration: &dyn Migration<Pg>) -> MigrationId {
    MigrationId {
        version: migration.name().version().to_string(),
        name: migration.name().to_string(),
    }
}

/// Accepts `20261125000003` as well as the directory's `2026-11-25-000003`.
fn normalise_version(version: &str) -> String {
    let digits: String = version.chars().filter(|c| *c != '-').collect();
    if digits.chars().all(|c| c == '0') {
        "0".to_owned()
    } else {
        digits
    }
}

fn harness_error(action: &str, error: crate::error::MigrationHarnessError) -> MigratorError {
    MigratorError::Migration {
        action: action.to_owned(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_versions_are_strictly_increasing_and_dated() {
        let migrations = embedded_migrations().expect("embedded migrations load");
        assert!(migrations.len() >= 8, "{migrations:?}");
        for pair in migrations.windows(2) {
            assert!(pair[0].version < pair[1].version, "{pair:?}");
        }
        for migration in &migrations {
            assert_eq!(migration.version.len(), 14, "{migration:?}");
            assert!(
                migration.name.starts_with(&migration.version[..4]),
                "{migration:?}"
            );
        }
    }

    #[test]
    fn versions_are_accepted_with_or_without_dashes() {
        assert_eq!(normalise_version("2026-11-25-000003"), "20261125000003");
        assert_eq!(normalise_version("20261125000003"), "20261125000003");
        assert_eq!(normalise_version("0"), "0");
        assert_eq!(normalise_version("00000000000000"), "0");
    }
}
