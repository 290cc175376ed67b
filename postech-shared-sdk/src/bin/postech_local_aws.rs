//! `postech-local-aws`: seeds a moto server with what the local stack needs — the user pool,
//! the `admin` group, a demo admin with a password generated now, and a fresh token key in
//! both secrets (the key pair for the auth function, the public half for verifiers) — then
//! prints the details and writes them as an env file for the other local processes.

// Printing the seeded details for the person running the local stack is this tool's job.
#![allow(clippy::print_stdout)]

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use postech_shared_sdk::local_aws::{self, LOCAL_REGION, LocalUserPool};
use postech_shared_sdk::secrets::{SecretKind, Stage};
use postech_shared_sdk::token::SigningKeyMaterial;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Provision the local AWS (moto server) of the postech stack"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the user pool, the admin group, a demo admin and a token key (both secrets).
    Seed {
        /// Base URL of the moto server, e.g. http://127.0.0.1:5000.
        #[arg(long)]
        endpoint: String,
        /// The stage whose secret ids are used (`staging` or `production`).
        #[arg(long, default_value = "staging")]
        stage: Stage,
        /// Username of the demo admin.
        #[arg(long, default_value = "admin")]
        admin_username: String,
        /// Where to write the KEY=VALUE env file (mode 0600: it holds the admin password).
        #[arg(long)]
        env_file: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed {
            endpoint,
            stage,
            admin_username,
            env_file,
        } => seed(&endpoint, stage, &admin_username, env_file.as_deref()).await,
    }
}

async fn seed(
    endpoint: &str,
    stage: Stage,
    admin_username: &str,
    env_file: Option<&Path>,
) -> anyhow::Result<()> {
    let config = local_aws::sdk_config(endpoint).await;
    let pool = local_aws::provision_user_pool(&config, &format!("postech-{stage}"))
        .await
        .context("provisioning the user pool")?;
    let admin_password = local_aws::generate_password();
    local_aws::create_admin(&config, &pool, admin_username, &admin_password)
        .await
        .context("creating the demo admin")?;
    let key_id = format!("local-{}", local_aws::unique_suffix());
    let secret_id = stage.secret_id(SecretKind::JwtSigningKey);
    let verification_secret_id = local_aws::verification_key_secret_id(stage);
    local_aws::store_token_key(
        &config,
        &secret_id,
        &verification_secret_id,
        &SigningKeyMaterial::generate(&key_id),
    )
    .await
    .context("storing the token key")?;

    let settings = [
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", LOCAL_REGION.to_owned()),
        ("COGNITO_USER_POOL_ID", pool.user_pool_id.clone()),
        ("COGNITO_CLIENT_ID", pool.client_id.clone()),
        // The auth function signs with the first, verifiers read only the second.
        ("JWT_SIGNING_KEY_SECRET_ID", secret_id.clone()),
        (
            "JWT_VERIFICATION_KEY_SECRET_ID",
            verification_secret_id.clone(),
        ),
        ("DEMO_ADMIN_USERNAME", admin_username.to_owned()),
        (
            "DEMO_ADMIN_PASSWORD",
            admin_password.expose_secret().to_owned(),
        ),
    ];
    if let Some(path) = env_file {
        write_env_file(path, &settings)
            .with_context(|| format!("writing the env file {}", path.display()))?;
    }
    print_summary(
        endpoint,
        &pool,
        [&secret_id, &verification_secret_id],
        &key_id,
        admin_username,
        &admin_password,
        env_file,
    );
    Ok(())
}

fn write_env_file(path: &Path, settings: &[(&str, String)]) -> anyhow::Result<()> {
    if let Some(directory) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(directory)?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    for (key, value) in settings {
        anyhow::ensure!(
            !value.contains(['\n', '\r']),
            "the value of {key} spans several lines"
        );
        writeln!(file, "{key}={value}")?;
    }
    Ok(())
}

fn print_summary(
    endpoint: &str,
    pool: &LocalUserPool,
    [signing_secret_id, verification_secret_id]: [&str; 2],
    key_id: &str,
    admin_username: &str,
    admin_password: &SecretString,
    env_file: Option<&Path>,
) {
    println!("local AWS seeded (moto server at {endpoint}, region {LOCAL_REGION})");
    println!("  Cognito user pool:   {}", pool.user_pool_id);
    println!("  Cognito app client:  {}", pool.client_id);
    println!("  signing key secret:  {signing_secret_id} (kid {key_id})");
    println!("  verification secret: {verification_secret_id} (public key only)");
    println!("  demo admin:          {admin_username}");
    // Printing it is the point: the password exists only in this run's output and env file.
    println!("  demo admin password: {}", admin_password.expose_secret());
    if let Some(path) = env_file {
        println!("  env file:            {}", path.display());
    }
}
