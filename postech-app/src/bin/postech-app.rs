//! The postech-app binary: wiring only.
//!
//! * `postech-app` or `postech-app serve` — serve the API (configuration: see
//!   `postech_app::configuration`).
//! * `postech-app migrate` — apply pending migrations (the Kubernetes Job before a rollout;
//!   the image carries exactly the migrations it was built against).
//! * `postech-app seed-sample-menu` — insert the six v1 sample products if missing.
//! * `postech-app openapi` — print the OpenAPI document.

use std::io::Write;

use anyhow::Context;
use postech_app::adapters::http::openapi;
use postech_app::adapters::postgres::seed::seed_sample_menu;
use postech_app::configuration::Settings;
use postech_app::startup::{Application, database_pool};
use postech_shared_sdk::secrets::{AppDatabaseSecret, ProcessEnv, load_secret};
use postech_shared_sdk::telemetry::{self, TelemetryConfig};
use secrecy::ExposeSecret;

const SERVICE_NAME: &str = "postech-app";
const USAGE: &str = "usage: postech-app [serve | migrate | seed-sample-menu | openapi]";

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "serve".to_owned());
    if command == "openapi" {
        let document = openapi::document()
            .to_pretty_json()
            .context("serialising the OpenAPI document")?;
        return writeln!(std::io::stdout(), "{document}").context("writing to stdout");
    }
    if !matches!(command.as_str(), "serve" | "migrate" | "seed-sample-menu") {
        anyhow::bail!("unknown command {command:?}; {USAGE}");
    }
    let _telemetry = telemetry::init(TelemetryConfig::from_env(
        SERVICE_NAME,
        env!("CARGO_PKG_VERSION"),
    ))
    .context("setting up telemetry")?;
    let outcome = match command.as_str() {
        "serve" => serve().await,
        "migrate" => migrate().await,
        // `seed-sample-menu`: the only command left after the check above.
        _ => seed().await,
    };
    if let Err(error) = &outcome {
        tracing::error!(error = format!("{error:#}"), "postech-app stopped");
    }
    outcome
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::from_env()
        .await
        .context("reading the configuration")?;
    let application = Application::build(settings)
        .await
        .context("starting the app")?;
    tracing::info!(port = application.port(), "postech-app listening");
    application.run_until_stopped().await.context("serving")?;
    tracing::info!("postech-app stopped gracefully");
    Ok(())
}

async fn migrate() -> anyhow::Result<()> {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secret =
        load_secret::<AppDatabaseSecret>(&ProcessEnv, &aws, std::time::Duration::from_secs(3600))
            .await
            .context("reading the database credentials")?;
    let url = secret.get().await?.connection_url();
    // The migrator is synchronous (libpq); keep it off the async workers.
    let applied =
        tokio::task::spawn_blocking(move || postech_database::run_pending(url.expose_secret()))
            .await
            .context("the migrator task panicked")?
            .context("applying migrations")?;
    tracing::info!(applied = applied.len(), "migrations applied");
    Ok(())
}

async fn seed() -> anyhow::Result<()> {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let connection =
        load_secret::<AppDatabaseSecret>(&ProcessEnv, &aws, std::time::Duration::from_secs(3600))
            .await
            .context("reading the database credentials")?;
    let settings = postech_app::configuration::DatabaseSettings {
        connection,
        pool_size: 1,
        acquire_timeout: std::time::Duration::from_secs(10),
        tls: postech_app::configuration::database_tls::DatabaseTlsSettings::from_source(
            &ProcessEnv,
        )?,
    };
    let pool = database_pool(&settings)?;
    let inserted = seed_sample_menu(&pool).await?;
    tracing::info!(inserted, "sample menu seeded");
    Ok(())
}
