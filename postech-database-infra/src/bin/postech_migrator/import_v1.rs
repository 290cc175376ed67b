//! `postech-migrator import-v1`: the command line of `postech_database::import_v1`, with a
//! progress bar on a terminal and the report on stdout (and as JSON with `--report`).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use postech_database::import_v1::cognito::CognitoRegistry;
use postech_database::import_v1::report::ImportReport;
use postech_database::import_v1::{ImportSettings, Mode, Progress, run};

#[derive(Debug, Args)]
pub struct ImportV1Args {
    /// URL of the v1 database (read only, in one repeatable-read transaction). Never printed.
    #[arg(long, env = "V1_DATABASE_URL", hide_env_values = true)]
    v1_database_url: String,

    /// Decide everything and report what an import would write; write nothing anywhere
    /// (neither postech nor Cognito).
    #[arg(long, conflicts_with = "verify")]
    dry_run: bool,

    /// After an import: compare the counts and totals the rules derive from v1 with what
    /// postech holds; exit 1 on any difference. Writes nothing.
    #[arg(long)]
    verify: bool,

    /// Rows per batch: per read from v1 and per postech transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    batch_size: u32,

    /// Also write the full report as JSON here: counts, every refused row with its reason,
    /// every repaired, flagged or merged row.
    #[arg(long)]
    report: Option<PathBuf>,

    /// Cognito user pool of the customers (required by an import). AWS credentials, region
    /// and endpoint come from the usual AWS environment.
    #[arg(long, env = "COGNITO_USER_POOL_ID")]
    cognito_user_pool_id: Option<String>,

    /// Most Cognito registrations started per second (AdminCreateUser's default quota is 50
    /// per second for the whole account).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..=1000))]
    cognito_rate: u32,

    /// Most Cognito registrations in flight at once.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=64))]
    cognito_concurrency: u32,
}

impl ImportV1Args {
    /// What makes these arguments unusable, for clap's usage error (exit 2).
    pub fn usage_problem(&self) -> Option<&'static str> {
        let importing = !self.dry_run && !self.verify;
        let has_pool = self
            .cognito_user_pool_id
            .as_deref()
            .is_some_and(|pool| !pool.is_empty());
        (importing && !has_pool).then_some(
            "an import registers customers in Cognito: set COGNITO_USER_POOL_ID (--cognito-user-pool-id), or use --dry-run",
        )
    }
}

/// Runs the subcommand; `Ok(false)` when `--verify` found a difference.
pub fn import_v1(postech_url: &str, args: &ImportV1Args) -> anyhow::Result<bool> {
    let mode = if args.dry_run {
        Mode::DryRun
    } else if args.verify {
        Mode::Verify
    } else {
        Mode::Import
    };
    let settings = ImportSettings {
        mode,
        batch_size: usize::try_from(args.batch_size).unwrap_or(500),
    };
    let mut registry = match (mode, args.cognito_user_pool_id.as_deref()) {
        (Mode::Import, Some(pool)) if !pool.is_empty() => Some(
            CognitoRegistry::from_environment(
                pool,
                args.cognito_rate,
                usize::try_from(args.cognito_concurrency).unwrap_or(1),
            )
            .context("preparing the Cognito client")?,
        ),
        (Mode::Import, _) => anyhow::bail!(
            "{}",
            args.usage_problem()
                .unwrap_or("the Cognito user pool is missing")
        ),
        _ => None,
    };
    let progress = Bar::new();
    let report = run(
        &args.v1_database_url,
        postech_url,
        settings,
        registry.as_mut().map(|registry| {
            registry as &mut dyn postech_database::import_v1::cognito::IdentityRegistry
        }),
        &progress,
    )
    .context(match mode {
        Mode::Import => "importing v1 (committed batches stay; run again to resume)",
        Mode::DryRun => "dry-running the v1 import",
        Mode::Verify => "verifying the v1 import",
    })?;
    print!("{report}");
    if let Some(path) = &args.report {
        write_report(path, &report)?;
        println!("Report written to {}.", path.display());
    }
    Ok(report
        .verification
        .as_ref()
        .is_none_or(|verification| verification.consistent))
}

fn write_report(path: &PathBuf, report: &ImportReport) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(report).context("serialising the report")?;
    std::fs::write(path, json).with_context(|| format!("writing the report to {}", path.display()))
}

/// A progress bar drawn on stderr when it is a terminal, nothing otherwise (CI logs, pipes).
struct Bar {
    bar: ProgressBar,
}

impl Bar {
    fn new() -> Self {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:<24} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Self { bar }
    }
}

impl Progress for Bar {
    fn start(&self, phase: &'static str, total: u64) {
        self.bar.reset();
        self.bar.set_length(total);
        self.bar.set_message(phase);
    }

    fn advance(&self, rows: u64) {
        self.bar.inc(rows);
    }

    fn finish(&self) {
        if !self.bar.is_hidden() {
            self.bar.println(format!(
                "{}: {} rows",
                self.bar.message(),
                self.bar.position()
            ));
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
