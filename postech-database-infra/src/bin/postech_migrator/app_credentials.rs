//! Where the app role's name and password come from.
//!
//! In AWS, the secret `postech/<stage>/app-database` (named by `APP_DATABASE_SECRET_ID`) is
//! the one the app logs in with, so the migrator reads the same secret and makes the role
//! match it. Locally, `APP_DATABASE_URL` (the URL the app will use) gives both. The
//! migrator's own `DATABASE_URL` is never used here: it is the schema owner's.
//!
//! Both also name the database the app uses (host, port, dbname), which is where the schema
//! owner connects when its own secret holds only a user name and a password
//! ([`crate::owner_connection`]).

use std::time::Duration;

use anyhow::Context;
use postech_shared_sdk::secrets::{AppDatabaseSecret, SecretKind, load_secret};
use secrecy::SecretString;

use crate::aws;

const APP_DATABASE_URL: &str = "APP_DATABASE_URL";

/// The app role's credentials, the database they are for, and where they were read.
pub struct AppCredentials {
    pub username: String,
    pub password: SecretString,
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub source: String,
}

/// The app's credentials, read at most once per run (the secret may be needed both to
/// locate the database and to create the role).
#[derive(Default)]
pub struct AppCredentialsOnce {
    loaded: Option<Option<AppCredentials>>,
}

impl AppCredentialsOnce {
    /// The configured credentials, or `None` when neither variable is set.
    pub fn get(&mut self) -> anyhow::Result<Option<&AppCredentials>> {
        if self.loaded.is_none() {
            self.loaded = Some(from_environment()?);
        }
        Ok(self.loaded.as_ref().and_then(Option::as_ref))
    }
}

fn from_environment() -> anyhow::Result<Option<AppCredentials>> {
    let secret_id_variable = SecretKind::AppDatabase.secret_id_env_var();
    if let Some(secret_id) = non_empty_var(secret_id_variable) {
        let secret = read_secret(&secret_id).with_context(|| {
            format!("reading the app database secret named by {secret_id_variable}")
        })?;
        return Ok(Some(credentials(&secret, format!("secret {secret_id}"))));
    }
    match non_empty_var(APP_DATABASE_URL) {
        Some(url) => {
            let parts = AppDatabaseSecret::from_url(&url, APP_DATABASE_URL)?;
            Ok(Some(credentials(&parts, APP_DATABASE_URL.to_owned())))
        }
        None => Ok(None),
    }
}

fn credentials(secret: &AppDatabaseSecret, source: String) -> AppCredentials {
    AppCredentials {
        username: secret.username.clone(),
        password: secret.password.clone(),
        host: secret.host.clone(),
        port: secret.port,
        dbname: secret.dbname.clone(),
        source,
    }
}

fn read_secret(secret_id: &str) -> anyhow::Result<std::sync::Arc<AppDatabaseSecret>> {
    // Only the secret id is visible to the loader, so it can never fall back to the
    // migrator's own DATABASE_URL.
    let secret_id = secret_id.to_owned();
    aws::with_sdk_config(|config| async move {
        let env = move |name: &str| {
            (name == SecretKind::AppDatabase.secret_id_env_var()).then(|| secret_id.clone())
        };
        // The migrator reads the secret once; the refresh interval never elapses.
        let secret =
            load_secret::<AppDatabaseSecret>(&env, &config, Duration::from_secs(3600)).await?;
        Ok(secret.get().await?)
    })
}

pub fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}
