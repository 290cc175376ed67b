//! What makes "no DDL" hold for the app role whatever the server version and history.
//!
//! Grants alone do not: before PostgreSQL 15 every role may create objects in `public`
//! (CREATE is granted to PUBLIC there), an operator may have run `GRANT CREATE ON SCHEMA
//! public TO PUBLIC` on any version, and a role inherits every privilege of the roles it
//! is a member of — a member of the schema owner's role can ALTER and DROP its tables.
//! So the migrator refuses an app role that belongs to any role, takes CREATE away from
//! PUBLIC and from the app role, then checks the outcome with `has_schema_privilege`,
//! which answers for the role as it really is (PUBLIC, memberships and ownership included).

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::Statement;
use crate::error::MigratorError;

/// Refuses a role that is a member of another role, naming those roles.
///
/// Refused rather than revoked: the membership was granted on purpose by someone (perhaps
/// to share a role with another consumer), and quietly undoing it could break that, while
/// keeping it would hand the app whatever the other role may do (DDL, as a member of the
/// schema owner). A failed deploy with the exact REVOKE to run makes that decision explicit.
pub(super) fn refuse_memberships(
    connection: &mut PgConnection,
    role_name: &str,
) -> Result<(), MigratorError> {
    let memberships: Statement = diesel::sql_query(
        "SELECT coalesce(string_agg(quote_ident(granted.rolname), ', ' ORDER BY granted.rolname), '') AS sql \
           FROM pg_auth_members m \
           JOIN pg_roles granted ON granted.oid = m.roleid \
           JOIN pg_roles member ON member.oid = m.member \
          WHERE member.rolname = $1",
    )
    .bind::<Text, _>(role_name)
    .get_result(connection)
    .map_err(MigratorError::query("reading the app role's memberships"))?;
    if memberships.sql.is_empty() {
        Ok(())
    } else {
        Err(MigratorError::RoleHasMemberships {
            role: role_name.to_owned(),
            member_of: memberships.sql,
        })
    }
}

/// Revokes CREATE on the app's schema and on `public` from PUBLIC and from the app role,
/// and CREATE on the database from the app role; then fails unless the role can create
/// objects nowhere in the database.
pub(super) fn withdraw_create(
    connection: &mut PgConnection,
    role_name: &str,
) -> Result<(), MigratorError> {
    let action = "revoking CREATE from PUBLIC and the app role";
    let revokes: Vec<Statement> = diesel::sql_query(
        "SELECT format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC, %I', nspname, $1::text) AS sql \
           FROM pg_namespace WHERE nspname IN (current_schema(), 'public') \
         UNION ALL \
         SELECT format('REVOKE CREATE ON DATABASE %I FROM %I', current_database(), $1::text)",
    )
    .bind::<Text, _>(role_name)
    .load(connection)
    .map_err(MigratorError::query(action))?;
    for revoke in revokes {
        diesel::sql_query(revoke.sql)
            .execute(connection)
            .map_err(MigratorError::query(action))?;
    }

    // A REVOKE by a role that is not the grantor only warns, and CREATE may also come from
    // a membership or a schema the app role owns: check what the role can actually do.
    let places: Statement = diesel::sql_query(
        "SELECT coalesce(string_agg(place, ', ' ORDER BY place), '') AS sql FROM ( \
           SELECT format('schema %I', nspname) AS place FROM pg_namespace \
            WHERE has_schema_privilege($1::text, oid, 'CREATE') \
              AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' \
           UNION ALL \
           SELECT format('database %I', current_database()) \
            WHERE has_database_privilege($1::text, current_database(), 'CREATE') \
         ) creatable",
    )
    .bind::<Text, _>(role_name)
    .get_result(connection)
    .map_err(MigratorError::query(
        "checking that the app role can create nothing",
    ))?;
    if places.sql.is_empty() {
        Ok(())
    } else {
        Err(MigratorError::RoleCanCreate {
            role: role_name.to_owned(),
            places: places.sql,
        })
    }
}
