//! The app's least-privileged role: DML yes, DDL and migration bookkeeping no; the password
//! stored as the SCRAM verifier PostgreSQL itself would compute.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use common::{
    TestRole, exec, failure, recompute, stored_verifier, text, throwaway_password, url_as,
};
use postech_database::test_support::TestDatabase;
use postech_database::{MigratorError, connect, ensure_app_role, revert_to, run_pending};

#[test]
fn app_role_can_read_and_write_rows() {
    let role = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    let password = throwaway_password();
    ensure_app_role(database.url(), &role.name, &password).expect("role ensured");

    let mut app = connect(&url_as(&database, &role.name, &password)).expect("app role logs in");
    exec(
        &mut app,
        "INSERT INTO orders (total) VALUES (10.00); \
         INSERT INTO order_status_history (order_id, from_status, to_status, actor) \
           SELECT id, NULL, 'received', 'customer' FROM orders; \
         UPDATE orders SET status = 'paid'; \
         INSERT INTO customers (name) VALUES ('Ana'); \
         DELETE FROM customers WHERE name = 'Ana'",
    );
    assert_eq!(
        text(&mut app, "SELECT number::text AS value FROM orders"),
        "1"
    );
    assert_eq!(
        text(
            &mut app,
            "SELECT count(*)::text AS value FROM __diesel_schema_migrations"
        ),
        "9",
        "the app may read which migrations are applied"
    );
}

#[test]
fn app_role_cannot_change_the_schema_or_the_migration_record() {
    let role = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    let password = throwaway_password();
    ensure_app_role(database.url(), &role.name, &password).expect("role ensured");
    let mut app = connect(&url_as(&database, &role.name, &password)).expect("app role logs in");

    for statement in [
        "CREATE TABLE intruder (id INTEGER)",
        "DROP TABLE payments",
        "ALTER TABLE orders ADD COLUMN intruder INTEGER",
        "TRUNCATE order_items",
        "CREATE INDEX intruder_idx ON orders (notes)",
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20991231000000')",
        "DELETE FROM __diesel_schema_migrations",
        "CREATE ROLE intruder",
    ] {
        let error = failure(&mut app, statement).to_string();
        assert!(
            error.contains("permission denied") || error.contains("must be owner"),
            "{statement}: {error}"
        );
    }
}

#[test]
fn stored_password_is_the_verifier_postgresql_computes() {
    let role = TestRole::new();
    let oracle = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    let password = throwaway_password();
    ensure_app_role(database.url(), &role.name, &password).expect("role ensured");

    let mut admin = database.connect().expect("admin connection");
    let ours = stored_verifier(&mut admin, &role.name);
    assert!(ours.starts_with("SCRAM-SHA-256$4096:"), "{ours}");
    assert!(!ours.contains(&password));

    // PostgreSQL hashes a clear-text password itself; our function, given the server's
    // salt, must produce the very same verifier.
    exec(
        &mut admin,
        &format!(
            "SET password_encryption = 'scram-sha-256'; CREATE ROLE {} PASSWORD '{password}'",
            oracle.name
        ),
    );
    let servers = stored_verifier(&mut admin, &oracle.name);
    assert_eq!(recompute(&servers, &password), servers);
    assert_eq!(recompute(&ours, &password), ours);
}

#[test]
fn second_run_rotates_the_password_and_keeps_the_grants() {
    let role = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    let first = throwaway_password();
    let second = throwaway_password();
    ensure_app_role(database.url(), &role.name, &first).expect("role created");
    ensure_app_role(database.url(), &role.name, &second).expect("role updated");

    let mut admin = database.connect().expect("admin connection");
    let verifier = stored_verifier(&mut admin, &role.name);
    assert_eq!(recompute(&verifier, &second), verifier);
    assert_ne!(recompute(&verifier, &first), verifier);

    let mut app = connect(&url_as(&database, &role.name, &second)).expect("app role logs in");
    exec(&mut app, "INSERT INTO orders (total) VALUES (10.00)");
}

#[test]
fn rerun_grants_cover_tables_of_later_migrations() {
    let role = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    revert_to(database.url(), "20261125000007").expect("revert payments");
    let password = throwaway_password();
    ensure_app_role(database.url(), &role.name, &password).expect("role ensured");
    run_pending(database.url()).expect("payments re-created");

    let mut app = connect(&url_as(&database, &role.name, &password)).expect("app role logs in");
    let error = failure(&mut app, "SELECT * FROM payments").to_string();
    assert!(error.contains("permission denied"), "{error}");

    ensure_app_role(database.url(), &role.name, &password).expect("role ensured again");
    exec(&mut app, "SELECT * FROM payments");
}

#[test]
fn existing_role_with_extra_powers_is_refused() {
    let role = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    let mut admin = database.connect().expect("admin connection");
    exec(
        &mut admin,
        &format!("CREATE ROLE {} LOGIN CREATEDB CREATEROLE", role.name),
    );

    match ensure_app_role(database.url(), &role.name, &throwaway_password()) {
        Err(MigratorError::RoleTooPowerful {
            role: name,
            attributes,
        }) => {
            assert_eq!(name, role.name);
            assert_eq!(attributes, "CREATEROLE, CREATEDB");
        }
        other => panic!("expected RoleTooPowerful, got {other:?}"),
    }
}

#[test]
fn unsafe_role_name_is_refused_before_connecting() {
    let result = ensure_app_role(
        "postgres://nobody@127.0.0.1:1/nowhere",
        "app\"; DROP TABLE orders; --",
        "irrelevant",
    );
    assert!(
        matches!(result, Err(MigratorError::InvalidRoleName(_))),
        "{result:?}"
    );
}

#[test]
fn app_role_cannot_create_in_public_even_after_create_was_granted_to_public() {
    let role = TestRole::new();
    let database = TestDatabase::create().expect("test database");
    let mut admin = database.connect().expect("admin connection");
    // What PostgreSQL before 15 has by default, and what an operator may have run since.
    exec(&mut admin, "GRANT CREATE ON SCHEMA public TO PUBLIC");
    run_pending(database.url()).expect("migrated");
    let password = throwaway_password();
    ensure_app_role(database.url(), &role.name, &password).expect("role ensured");

    let mut app = connect(&url_as(&database, &role.name, &password)).expect("app role logs in");
    for statement in [
        "CREATE TABLE intruder (id INTEGER)",
        "CREATE TABLE public.intruder (id INTEGER)",
        "CREATE FUNCTION public.intruder() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
    ] {
        let error = failure(&mut app, statement).to_string();
        assert!(error.contains("permission denied"), "{statement}: {error}");
    }
}

#[test]
fn create_granted_to_an_existing_app_role_itself_is_revoked() {
    let role = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    let mut admin = database.connect().expect("admin connection");
    exec(
        &mut admin,
        &format!(
            "CREATE ROLE {role} LOGIN; GRANT CREATE ON SCHEMA public TO {role}; \
             GRANT CREATE ON DATABASE \"{database}\" TO {role}",
            role = role.name,
            database = database.name()
        ),
    );
    let password = throwaway_password();
    ensure_app_role(database.url(), &role.name, &password).expect("role ensured");

    let mut app = connect(&url_as(&database, &role.name, &password)).expect("app role logs in");
    for statement in [
        "CREATE TABLE intruder (id INTEGER)",
        "CREATE SCHEMA intruder",
    ] {
        let error = failure(&mut app, statement).to_string();
        assert!(error.contains("permission denied"), "{statement}: {error}");
    }
}

#[test]
fn existing_app_role_that_is_a_member_of_another_role_is_refused_and_left_as_is() {
    let role = TestRole::new();
    let owner = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    let mut admin = database.connect().expect("admin connection");
    // The schema owner's role, and an app role made a member of it: through the membership
    // it could ALTER and DROP the owner's tables.
    exec(
        &mut admin,
        &format!(
            "CREATE ROLE {owner}; ALTER TABLE orders OWNER TO {owner}; \
             CREATE ROLE {role} LOGIN; GRANT {owner} TO {role}",
            owner = owner.name,
            role = role.name
        ),
    );
    let verifier_before = text(
        &mut admin,
        &format!(
            "SELECT coalesce(rolpassword, 'none') AS value FROM pg_authid WHERE rolname = '{}'",
            role.name
        ),
    );

    match ensure_app_role(database.url(), &role.name, &throwaway_password()) {
        Err(error @ MigratorError::RoleHasMemberships { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains(&format!("member of {}", owner.name)),
                "{message}"
            );
            assert!(
                message.contains(&format!("REVOKE {} FROM {}", owner.name, role.name)),
                "{message}"
            );
        }
        other => panic!("expected RoleHasMemberships, got {other:?}"),
    }
    assert_eq!(
        text(
            &mut admin,
            &format!(
                "SELECT coalesce(rolpassword, 'none') AS value FROM pg_authid WHERE rolname = '{}'",
                role.name
            )
        ),
        verifier_before,
        "a refused run changes nothing"
    );
}

#[test]
fn create_left_on_another_schema_fails_the_run_naming_it() {
    let role = TestRole::new();
    let database = TestDatabase::create_migrated().expect("test database");
    let mut admin = database.connect().expect("admin connection");
    exec(
        &mut admin,
        "CREATE SCHEMA scratchpad; GRANT CREATE ON SCHEMA scratchpad TO PUBLIC",
    );

    match ensure_app_role(database.url(), &role.name, &throwaway_password()) {
        Err(MigratorError::RoleCanCreate { role: name, places }) => {
            assert_eq!(name, role.name);
            assert_eq!(places, "schema scratchpad");
        }
        other => panic!("expected RoleCanCreate, got {other:?}"),
    }
    assert_eq!(
        text(
            &mut admin,
            &format!(
                "SELECT count(*)::text AS value FROM pg_roles WHERE rolname = '{}'",
                role.name
            )
        ),
        "0",
        "the role is not created by a failed run"
    );
}
