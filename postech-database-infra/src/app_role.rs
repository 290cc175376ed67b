//! The app's least-privileged PostgreSQL role.
//!
//! The app connects as this role (`postech/<stage>/app-database`), never as the owner of
//! the schema: it can read and write rows of the schema's tables and draw order numbers,
//! and nothing else — no DDL, no TRUNCATE, no ownership, no writes to the migration
//! bookkeeping. Re-running [`ensure_app_role`] re-applies the grants, so tables added by
//! later migrations are covered by the next migrator run, and it resets the password to the
//! configured one, so rotating the secret then re-running the migrator rotates the role.

mod no_ddl;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::error::MigratorError;
use crate::lock::{self, MigrationLock};
use crate::migrator::connect;
use crate::scram::new_scram_sha256_verifier;

#[derive(QueryableByName)]
struct RoleAttributes {
    #[diesel(sql_type = Bool)]
    rolsuper: bool,
    #[diesel(sql_type = Bool)]
    rolcreaterole: bool,
    #[diesel(sql_type = Bool)]
    rolcreatedb: bool,
    #[diesel(sql_type = Bool)]
    rolreplication: bool,
    #[diesel(sql_type = Bool)]
    rolbypassrls: bool,
}

#[derive(QueryableByName)]
pub(crate) struct Statement {
    #[diesel(sql_type = Text)]
    pub(crate) sql: String,
}

/// Creates the role `role_name` (LOGIN) or updates its password, then grants it CONNECT on
/// the database, USAGE on the current schema, SELECT/INSERT/UPDATE/DELETE on every table of
/// that schema (SELECT only on `__diesel_schema_migrations`) and USAGE on its sequences.
///
/// The password never reaches the server in clear: a SCRAM-SHA-256 verifier is computed
/// here and sent instead (see [`crate::scram`]). An existing role with SUPERUSER,
/// CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS, or that is a member of any role, is
/// refused rather than silently kept. CREATE on the schema and on `public` is revoked from
/// PUBLIC (PostgreSQL before 15 grants it there), and the run fails unless the role ends up
/// unable to create objects anywhere in the database. Runs in one transaction under the
/// migration lock: a refusal changes nothing.
pub fn ensure_app_role(
    database_url: &str,
    role_name: &str,
    password: &str,
) -> Result<(), MigratorError> {
    check_role_name(role_name)?;
    let verifier = new_scram_sha256_verifier(password)?;
    let lock_timeout = lock::lock_timeout()?;
    let mut connection = connect(database_url)?;
    let mut lock = MigrationLock::acquire(&mut connection, lock_timeout)?;
    lock.connection()
        .transaction(|connection| apply_role(connection, role_name, &verifier))
}

fn apply_role(
    connection: &mut PgConnection,
    role_name: &str,
    verifier: &str,
) -> Result<(), MigratorError> {
    let existing: Option<RoleAttributes> = diesel::sql_query(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls \
           FROM pg_roles WHERE rolname = $1",
    )
    .bind::<Text, _>(role_name)
    .get_result(connection)
    .optional()
    .map_err(MigratorError::query("reading the app role"))?;

    let role_statement = match existing {
        None => "CREATE ROLE %I LOGIN PASSWORD %L",
        Some(attributes) => {
            refuse_powerful_role(role_name, &attributes)?;
            no_ddl::refuse_memberships(connection, role_name)?;
            "ALTER ROLE %I WITH LOGIN PASSWORD %L"
        }
    };
    execute_formatted(
        connection,
        role_statement,
        role_name,
        verifier,
        "setting the app role's password",
    )?;

    for (template, action) in [
        (
            "GRANT CONNECT ON DATABASE %I TO %I",
            "granting CONNECT on the database",
        ),
        (
            "GRANT USAGE ON SCHEMA %I TO %I",
            "granting USAGE on the schema",
        ),
        (
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I",
            "granting DML on the tables",
        ),
        (
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO %I",
            "granting USAGE on the sequences",
        ),
    ] {
        let object = if template.contains("DATABASE") {
            "current_database()"
        } else {
            "current_schema()"
        };
        let sql: Statement = diesel::sql_query(format!(
            "SELECT format('{template}', {object}, $1::text) AS sql"
        ))
        .bind::<Text, _>(role_name)
        .get_result(connection)
        .map_err(MigratorError::query(action))?;
        diesel::sql_query(sql.sql)
            .execute(connection)
            .map_err(MigratorError::query(action))?;
    }

    // The app may read which migrations are applied (readiness checks), never record or
    // erase one.
    let revoke: Statement = diesel::sql_query(
        "SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER \
                        ON %I.__diesel_schema_migrations FROM %I', current_schema(), $1::text) AS sql \
          WHERE to_regclass('__diesel_schema_migrations') IS NOT NULL",
    )
    .bind::<Text, _>(role_name)
    .get_result::<Statement>(connection)
    .optional()
    .map_err(MigratorError::query("restricting the migration table"))?
    .unwrap_or(Statement { sql: String::new() });
    if !revoke.sql.is_empty() {
        diesel::sql_query(revoke.sql)
            .execute(connection)
            .map_err(MigratorError::query("restricting the migration table"))?;
    }
    no_ddl::withdraw_create(connection, role_name)
}

/// Builds `template` server-side with `format()` (`%I` quotes the identifier, `%L` the
/// literal) from bound parameters, then runs it: DDL takes no bind parameters, and this
/// leaves all quoting to PostgreSQL.
fn execute_formatted(
    connection: &mut PgConnection,
    template: &str,
    identifier: &str,
    literal: &str,
    action: &'static str,
) -> Result<(), MigratorError> {
    let statement: Statement = diesel::sql_query(format!(
        "SELECT format('{template}', $1::text, $2::text) AS sql"
    ))
    .bind::<Text, _>(identifier)
    .bind::<Text, _>(literal)
    .get_result(connection)
    .map_err(MigratorError::query(action))?;
    diesel::sql_query(statement.sql)
        .execute(connection)
        .map_err(MigratorError::query(action))?;
    Ok(())
}

fn refuse_powerful_role(role_name: &str, attributes: &RoleAttributes) -> Result<(), MigratorError> {
    let powers: Vec<&str> = [
        (attributes.rolsuper, "SUPERUSER"),
        (attributes.rolcreaterole, "CREATEROLE"),
        (attributes.rolcreatedb, "CREATEDB"),
        (attributes.rolreplication, "REPLICATION"),
        (attributes.rolbypassrls, "BYPASSRLS"),
    ]
    .into_iter()
    .filter_map(|(held, name)| held.then_some(name))
    .collect();
    if powers.is_empty() {
        Ok(())
    } else {
        Err(MigratorError::RoleTooPowerful {
            role: role_name.to_owned(),
            attributes: powers.join(", "),
        })
    }
}

/// Plain lower-case identifiers only: no quoting surprises in logs, `pg_hba.conf` or
/// connection strings, and no reserved `pg_` prefix.
fn check_role_name(role_name: &str) -> Result<(), MigratorError> {
    let mut chars = role_name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let valid_rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid_start && valid_rest && role_name.len() <= 63 && !role_name.starts_with("pg_") {
        Ok(())
    } else {
        Err(MigratorError::InvalidRoleName(role_name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_must_be_plain_identifiers() {
        for valid in ["postech_app", "_app", "app2"] {
            assert!(check_role_name(valid).is_ok(), "{valid}");
        }
        for invalid in [
            "",
            "App",
            "2app",
            "app-x",
            "app\"; DROP TABLE orders; --",
            "pg_app",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(
                    check_role_name(invalid),
                    Err(MigratorError::InvalidRoleName(_))
                ),
                "{invalid}"
            );
        }
    }
}
