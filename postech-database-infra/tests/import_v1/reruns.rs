//! Running the import again, after a crash, as a dry run, and as a verification.

use std::process::Stdio;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use postech_database::test_support::TestDatabase;

use crate::common::{self, text};
use crate::fixture::{
    Pool, counters, dirty_v1, fingerprint, generated_v1, import, import_command, import_ok,
    picture, tempdir,
};

const TABLES: [&str; 7] = [
    "tb_categorias",
    "tb_produtos",
    "tb_clientes",
    "tb_pedidos",
    "tb_itens_pedido",
    "tb_pagamentos",
    "tb_fila_pedidos",
];

#[test]
fn a_second_run_imports_nothing_and_changes_nothing() {
    let v1 = dirty_v1();
    let postech = TestDatabase::create_migrated().expect("postech database");
    let pool = Pool::new();
    import_ok(&v1, &postech, Some(&pool), &["--batch-size", "3"]);
    let mut connection = postech.connect().expect("postech connection");
    let after_first = fingerprint(&mut connection);
    let users_after_first = pool.users();

    let second = import_ok(&v1, &postech, Some(&pool), &["--batch-size", "7"]);
    assert_eq!(fingerprint(&mut connection), after_first);
    assert_eq!(pool.users(), users_after_first);
    for table in TABLES {
        assert_eq!(counters(&second, table)["written"], 0, "{table}");
    }
    assert_eq!(counters(&second, "tb_pedidos")["already_present"], 18);
    assert_eq!(second["notes_changed"], 0);
    assert_eq!(second["cognito"]["registered"], 0);
}

#[test]
fn a_refused_row_fixed_in_v1_is_imported_by_the_next_run_and_its_refusal_note_goes() {
    let v1 = dirty_v1();
    let postech = TestDatabase::create_migrated().expect("postech database");
    let pool = Pool::new();
    import_ok(&v1, &postech, Some(&pool), &[]);
    let refused = "ba000000-0000-4000-8000-0000000000f5";
    let mut v1_connection = v1.connect().expect("v1 connection");
    v1_connection
        .batch_execute(&format!(
            "UPDATE tb_pagamentos SET valor = 5 WHERE id = '{refused}'"
        ))
        .expect("v1 row fixed");

    let rerun = import_ok(&v1, &postech, Some(&pool), &[]);
    assert_eq!(counters(&rerun, "tb_pagamentos")["written"], 1);
    let mut connection = postech.connect().expect("postech connection");
    assert_eq!(
        text(
            &mut connection,
            &format!(
                "SELECT status || ' ' || amount AS value FROM payments WHERE id = '{refused}'"
            )
        ),
        "rejected 5.00"
    );
    assert_eq!(
        text(
            &mut connection,
            &format!(
                "SELECT count(*)::text AS value FROM v1_import_notes WHERE v1_key = '{refused}'"
            )
        ),
        "0"
    );
}

/// Starts an import and kills it (SIGKILL) as soon as `witness` (a count) is above 0.
fn kill_once(v1: &TestDatabase, postech: &TestDatabase, pool: &Pool, args: &[&str], witness: &str) {
    let mut child = import_command(v1, postech, Some(pool), args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("import started");
    let mut connection = postech.connect().expect("postech connection");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            panic!("the import ended ({status}) before anything was committed");
        }
        let committed: u64 = text(&mut connection, witness).parse().expect("count");
        if committed > 0 {
            child.kill().expect("import killed");
            child.wait().expect("import reaped");
            return;
        }
        assert!(Instant::now() < deadline, "no batch committed in 300 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn count(postech: &TestDatabase, table: &str) -> u64 {
    let mut connection = postech.connect().expect("postech connection");
    text(
        &mut connection,
        &format!("SELECT count(*)::text AS value FROM {table}"),
    )
    .parse()
    .expect("count")
}

/// Kills an import of a generated v1 database when `witness` shows a first commit, resumes
/// it, and compares the result with an uninterrupted import of the same data.
fn crash_and_resume(args: &[&str], witness: &str, table: &str, untouched: &str) {
    let v1 = generated_v1(600, 150);
    let reference = TestDatabase::create_migrated().expect("postech database");
    let reference_pool = Pool::new();
    let uninterrupted = import_ok(&v1, &reference, Some(&reference_pool), args);
    let total = count(&reference, table);

    let postech = TestDatabase::create_migrated().expect("postech database");
    let pool = Pool::new();
    kill_once(&v1, &postech, &pool, args, witness);
    let committed = count(&postech, table);
    assert!(
        committed > 0 && committed < total,
        "killed mid-run: {committed} of {total} rows of {table} committed"
    );
    assert_eq!(
        count(&postech, untouched),
        0,
        "killed before reaching {untouched}"
    );

    let resumed = import_ok(&v1, &postech, Some(&pool), args);
    let v1_table = match table {
        "customers" => "tb_clientes",
        _ => "tb_pedidos",
    };
    let counted = counters(&resumed, v1_table);
    assert_eq!(counted["already_present"], committed);
    assert_eq!(counted["written"] + committed, total);
    for table in TABLES {
        let (resumed, uninterrupted) = (counters(&resumed, table), counters(&uninterrupted, table));
        for outcome in [
            "clean",
            "repaired",
            "flagged",
            "merged",
            "superseded",
            "rejected",
        ] {
            assert_eq!(
                resumed[outcome], uninterrupted[outcome],
                "{table} {outcome}"
            );
        }
    }

    let mut resumed_db = postech.connect().expect("postech connection");
    let mut reference_db = reference.connect().expect("reference connection");
    let (resumed_picture, reference_picture) =
        (picture(&mut resumed_db), picture(&mut reference_db));
    assert_eq!(resumed_picture.len(), reference_picture.len());
    let differences: Vec<_> = resumed_picture
        .iter()
        .zip(&reference_picture)
        .filter(|(a, b)| a != b)
        .take(5)
        .collect();
    assert!(differences.is_empty(), "{differences:#?}");
    assert_eq!(pool.users(), reference_pool.users());
}

#[test]
fn a_run_killed_while_registering_customers_resumes_to_the_uninterrupted_result() {
    // Paced Cognito calls keep the customers phase long enough to be caught in it.
    crash_and_resume(
        &["--batch-size", "10", "--cognito-rate", "40"],
        "SELECT count(*)::text AS value FROM customers",
        "customers",
        "orders",
    );
}

#[test]
fn a_run_killed_while_importing_orders_resumes_to_the_uninterrupted_result() {
    crash_and_resume(
        &[
            "--batch-size",
            "5",
            "--cognito-rate",
            "1000",
            "--cognito-concurrency",
            "16",
        ],
        "SELECT count(*)::text AS value FROM orders",
        "orders",
        "v1_import_notes WHERE false",
    );
}

#[test]
fn a_dry_run_writes_nothing_anywhere_and_reports_what_the_import_writes() {
    let v1 = dirty_v1();
    let postech = TestDatabase::create_migrated().expect("postech database");
    let pool = Pool::new();
    let mut connection = postech.connect().expect("postech connection");
    let before = fingerprint(&mut connection);

    let workdir = tempdir();
    let mut command = import_command(&v1, &postech, Some(&pool), &["--dry-run"]);
    command.current_dir(&workdir);
    let (code, stdout, stderr) = common::run(&mut command);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("dry run (nothing written)"), "{stdout}");
    assert_eq!(fingerprint(&mut connection), before, "postech untouched");
    assert!(pool.users().is_empty(), "Cognito untouched");
    assert_eq!(
        std::fs::read_dir(&workdir).expect("workdir").count(),
        0,
        "no file written"
    );
    let _ = std::fs::remove_dir_all(&workdir);

    let dry = import_ok(&v1, &postech, Some(&pool), &["--dry-run"]);
    assert_eq!(fingerprint(&mut connection), before);
    let real = import_ok(&v1, &postech, Some(&pool), &[]);
    for table in TABLES {
        assert_eq!(counters(&dry, table), counters(&real, table), "{table}");
    }
    assert_eq!(dry["cognito"]["registered"], real["cognito"]["registered"]);
    assert_eq!(dry["rejects"], real["rejects"]);
}

#[test]
fn verify_passes_after_an_import_and_names_each_difference_after_tampering() {
    let v1 = dirty_v1();
    let postech = TestDatabase::create_migrated().expect("postech database");
    let pool = Pool::new();
    import_ok(&v1, &postech, Some(&pool), &[]);

    let verified = import_ok(&v1, &postech, None, &["--verify"]);
    assert_eq!(verified["verification"]["consistent"], true, "{verified:#}");

    let mut connection = postech.connect().expect("postech connection");
    connection
        .batch_execute(
            "UPDATE payments SET amount = amount + 1 \
              WHERE id = 'ba000000-0000-4000-8000-000000000001'; \
             DELETE FROM v1_import_notes \
              WHERE v1_key = 'a0000000-0000-4000-8000-000000000005'",
        )
        .expect("tampering");
    let (code, stdout, stderr) = import(&v1, &postech, None, &["--verify"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let mismatches: Vec<&str> = stdout
        .lines()
        .filter(|line| line.trim_start().starts_with("MISMATCH"))
        .collect();
    assert_eq!(mismatches.len(), 2, "{stdout}");
    assert!(
        mismatches[0].contains("product") && mismatches[0].contains("refusal notes"),
        "{stdout}"
    );
    assert!(
        mismatches[1].contains("payment")
            && mismatches[1].contains("amount cents")
            && mismatches[1].contains("expected          13110")
            && mismatches[1].contains("found          13210"),
        "{stdout}"
    );
}

#[test]
fn verify_before_any_import_finds_every_row_missing() {
    let v1 = dirty_v1();
    let postech = TestDatabase::create_migrated().expect("postech database");
    let report = {
        let (code, stdout, _) = import(&v1, &postech, None, &["--verify"]);
        assert_eq!(code, 1, "{stdout}");
        stdout
    };
    assert!(
        report.contains("MISMATCH order        rows                         expected             18 found              0"),
        "{report}"
    );
}

#[test]
fn a_second_import_while_one_runs_is_refused() {
    let v1 = dirty_v1();
    let postech = TestDatabase::create_migrated().expect("postech database");
    let mut holder = postech.connect().expect("postech connection");
    holder
        .batch_execute("SELECT pg_advisory_lock(x'706f737465636849'::bigint)")
        .expect("lock held");
    // Every mode takes the lock: a dry run beside an import would report half a batch.
    let (code, _, stderr) = import(&v1, &postech, None, &["--dry-run"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("another import-v1 is running"), "{stderr}");
    assert_eq!(count(&postech, "orders"), 0);
}

#[test]
fn an_import_without_a_user_pool_is_a_usage_error() {
    // Refused before any connection: the URLs lead nowhere.
    let mut command = common::migrator("postgres://nobody@127.0.0.1:1/postech", &["import-v1"]);
    command
        .env("V1_DATABASE_URL", "postgres://nobody@127.0.0.1:1/v1")
        .env_remove("COGNITO_USER_POOL_ID");
    let (code, _, stderr) = common::run(&mut command);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("COGNITO_USER_POOL_ID"), "{stderr}");
}
