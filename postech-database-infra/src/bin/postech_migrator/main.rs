//! `postech-migrator`: applies, inspects and reverts the postech schema, and keeps the
//! app's database role in line with its secret.
//!
//! Exit status: 0 on success, 1 on any failure (including `verify` finding a mismatch),
//! 2 on a usage error.

mod app_credentials;
mod aws;
mod import_v1;
mod owner_connection;

use std::process::ExitCode;

use anyhow::Context;
use app_credentials::AppCredentialsOnce;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};
use owner_connection::OwnerSettings;
use postech_database::{
    MigrationId, VerificationReport, embedded_migrations, ensure_app_role, revert_to, run_pending,
    status, verify,
};
use secrecy::ExposeSecret;

#[derive(Debug, Parser)]
#[command(
    name = "postech-migrator",
    version,
    about = "Applies and inspects the postech PostgreSQL schema."
)]
struct Cli {
    /// URL of a role that owns the schema (local runs and CI). The password may be left out
    /// of the URL and given in PGPASSWORD instead. MIGRATOR_DATABASE_SECRET_ID wins over it.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,

    /// Secrets Manager id or ARN of the schema owner's {"username", "password"} (the
    /// RDS-managed master secret), read on every run.
    #[arg(long, env = owner_connection::SECRET_ID_VAR)]
    database_secret_id: Option<String>,

    /// Host of the database, with --database-secret-id (default: the secret's `host`, else
    /// the app database secret's).
    #[arg(long, env = owner_connection::HOST_VAR)]
    database_host: Option<String>,

    /// Port, with --database-secret-id (default: the secret's, else the app database
    /// secret's, else 5432).
    #[arg(long, env = owner_connection::PORT_VAR)]
    database_port: Option<u16>,

    /// Database name, with --database-secret-id (default: the secret's `dbname`, else the
    /// app database secret's).
    #[arg(long, env = owner_connection::NAME_VAR)]
    database_name: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply every pending migration, then create or update the app role when its
    /// credentials are configured (APP_DATABASE_SECRET_ID, or APP_DATABASE_URL locally).
    Up,
    /// List the migrations and whether each is applied.
    Status,
    /// Revert applied migrations, newest first, down to (and keeping) a version; 0 reverts
    /// everything.
    Down {
        /// Version to keep, e.g. 20261125000004 or 2026-11-25-000004; 0 for none.
        #[arg(long)]
        to: String,
    },
    /// Check that the live schema is the one the migrations build (constraints, indexes,
    /// column types, triggers, functions, sequences; compared with the migrations re-applied
    /// in a rolled-back scratch schema) and that src/schema.rs matches it; exit 1 if not.
    Verify,
    /// Only create or update the app role (its credentials are required).
    EnsureAppRole,
    /// Import a v1 database into this (migrated) postech database, customers into Cognito;
    /// idempotent and resumable. `--dry-run` writes nothing, `--verify` compares afterwards.
    /// See the README, "Switching a live v1 restaurant over".
    ImportV1(import_v1::ImportV1Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if non_empty(&cli.database_url).is_none() && non_empty(&cli.database_secret_id).is_none() {
        Cli::command()
            .error(
                ErrorKind::MissingRequiredArgument,
                format!(
                    "the schema owner's connection is not configured: set DATABASE_URL (--database-url), or {} (--database-secret-id) to read it from AWS Secrets Manager",
                    owner_connection::SECRET_ID_VAR
                ),
            )
            .exit();
    }
    if let Some(problem) = match &cli.command {
        Command::ImportV1(args) => args.usage_problem(),
        _ => None,
    } {
        Cli::command()
            .error(ErrorKind::MissingRequiredArgument, problem)
            .exit();
    }
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command; `Ok(false)` is a completed check that found a problem.
fn run(cli: &Cli) -> anyhow::Result<bool> {
    let mut app_credentials = AppCredentialsOnce::default();
    let settings = OwnerSettings {
        database_url: non_empty(&cli.database_url),
        secret_id: non_empty(&cli.database_secret_id),
        host: non_empty(&cli.database_host),
        port: cli.database_port,
        dbname: non_empty(&cli.database_name),
    };
    let owner_url = owner_connection::owner_url(&settings, &mut app_credentials)?;
    let url = owner_url.expose_secret();
    match &cli.command {
        Command::Up => {
            let applied = run_pending(url).context("migrating the database")?;
            report_applied(&applied)?;
            match app_credentials.get()? {
                Some(credentials) => apply_app_role(url, credentials)?,
                None => println!(
                    "App role: not configured (set APP_DATABASE_SECRET_ID, or APP_DATABASE_URL for local runs)."
                ),
            }
            Ok(true)
        }
        Command::Status => {
            let status = status(url).context("reading the migration status")?;
            for state in &status.migrations {
                let mark = if state.applied { "applied" } else { "pending" };
                println!("{mark:8} {}", state.migration.name);
            }
            for version in &status.unknown_applied {
                println!(
                    "{:8} {version} (applied in the database, unknown to this migrator)",
                    "unknown"
                );
            }
            Ok(status.unknown_applied.is_empty())
        }
        Command::Down { to } => {
            let reverted = revert_to(url, to).context("reverting migrations")?;
            if reverted.is_empty() {
                println!("Nothing to revert: no migration newer than {to} is applied.");
            } else {
                println!("Reverted {} migration(s):", reverted.len());
                for migration in &reverted {
                    println!("  {}", migration.name);
                }
            }
            Ok(true)
        }
        Command::Verify => {
            let report = verify(url).context("verifying the schema")?;
            print_verification(&report);
            Ok(report.is_consistent())
        }
        Command::EnsureAppRole => {
            let credentials = app_credentials.get()?.context(
                "the app role is not configured: set APP_DATABASE_SECRET_ID, or APP_DATABASE_URL for local runs",
            )?;
            apply_app_role(url, credentials)?;
            Ok(true)
        }
        Command::ImportV1(args) => import_v1::import_v1(url, args),
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.is_empty())
}

fn report_applied(applied: &[MigrationId]) -> anyhow::Result<()> {
    let all = embedded_migrations().context("reading the embedded migrations")?;
    let latest = all
        .last()
        .map_or("none", |migration| migration.version.as_str());
    if applied.is_empty() {
        println!(
            "Nothing pending: all {} migrations were already applied (latest {latest}).",
            all.len()
        );
    } else {
        println!("Applied {} migration(s):", applied.len());
        for migration in applied {
            println!("  {}", migration.name);
        }
        println!("The database is at {latest}.");
    }
    Ok(())
}

fn apply_app_role(url: &str, credentials: &app_credentials::AppCredentials) -> anyhow::Result<()> {
    ensure_app_role(
        url,
        &credentials.username,
        credentials.password.expose_secret(),
    )
    .with_context(|| format!("ensuring the app role `{}`", credentials.username))?;
    println!(
        "App role: `{}` can log in with the configured password (from {}); DML on every table, no DDL.",
        credentials.username, credentials.source
    );
    Ok(())
}

fn print_verification(report: &VerificationReport) {
    if report.is_consistent() {
        println!("The schema matches the migrations and src/schema.rs.");
        return;
    }
    println!("The schema does NOT match:");
    for migration in &report.pending {
        println!("  pending migration {}", migration.name);
    }
    for version in &report.unknown_applied {
        println!("  applied version {version} is unknown to this migrator");
    }
    for drift in &report.catalog_drift {
        println!("  {drift}");
    }
    for drift in &report.column_drift {
        println!("  schema.rs: {drift}");
    }
}
