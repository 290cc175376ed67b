//! Where the schema owner's connection — the migrator's own — comes from.
//!
//! Locally and in CI: `DATABASE_URL`. In a stage: `MIGRATOR_DATABASE_SECRET_ID`, the
//! Secrets Manager secret of the owner's credentials, typically the RDS-managed master
//! secret, which holds only `{"username", "password"}`. It is read on every run, so a
//! password RDS rotated is picked up by the next run; nothing keeps a copy. As
//! ARCHITECTURE.md prescribes, a secret id set in the environment wins over the plain URL.
//!
//! The secret does not say where the database is, so host, port and dbname come, field by
//! field, from `MIGRATOR_DATABASE_HOST`/`_PORT`/`_NAME` (the deploy fills them from SSM
//! `/postech/<stage>/rds/*`), else from the secret itself when it has them, else from the
//! app's database secret (`APP_DATABASE_SECRET_ID`: the same instance and database). TLS and
//! the like come from libpq's `PGSSLMODE`, `PGSSLROOTCERT`, ... as for `DATABASE_URL`.

use anyhow::{Context, anyhow, bail};
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use postech_shared_sdk::secrets::AppDatabaseSecret;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::app_credentials::AppCredentialsOnce;
use crate::aws;

pub const SECRET_ID_VAR: &str = "MIGRATOR_DATABASE_SECRET_ID";
pub const HOST_VAR: &str = "MIGRATOR_DATABASE_HOST";
pub const PORT_VAR: &str = "MIGRATOR_DATABASE_PORT";
pub const NAME_VAR: &str = "MIGRATOR_DATABASE_NAME";
const DEFAULT_PORT: u16 = 5432;

/// The owner connection's settings, as given on the command line or in the environment.
pub struct OwnerSettings<'a> {
    pub database_url: Option<&'a str>,
    pub secret_id: Option<&'a str>,
    pub host: Option<&'a str>,
    pub port: Option<u16>,
    pub dbname: Option<&'a str>,
}

/// The owner's connection URL (it holds the password: never print it). The caller has
/// checked that a URL or a secret id is set.
pub fn owner_url(
    settings: &OwnerSettings<'_>,
    app: &mut AppCredentialsOnce,
) -> anyhow::Result<SecretString> {
    match (settings.secret_id, settings.database_url) {
        (Some(secret_id), _) => from_secret(secret_id, settings, app),
        (None, Some(url)) => Ok(url.to_owned().into()),
        (None, None) => bail!("set DATABASE_URL, or {SECRET_ID_VAR}"),
    }
}

struct OwnerSecret {
    username: String,
    password: SecretString,
    host: Option<String>,
    port: Option<u16>,
    dbname: Option<String>,
}

fn from_secret(
    secret_id: &str,
    settings: &OwnerSettings<'_>,
    app: &mut AppCredentialsOnce,
) -> anyhow::Result<SecretString> {
    let secret = read_owner_secret(secret_id)
        .with_context(|| format!("reading the schema owner's secret named by {SECRET_ID_VAR}"))?;
    let mut host = settings.host.map(str::to_owned).or(secret.host);
    let mut port = settings.port.or(secret.port);
    let mut dbname = settings.dbname.map(str::to_owned).or(secret.dbname);
    if (host.is_none() || port.is_none() || dbname.is_none())
        && let Some(app) = app.get()?
    {
        host.get_or_insert_with(|| app.host.clone());
        port.get_or_insert(app.port);
        dbname.get_or_insert_with(|| app.dbname.clone());
    }
    let missing = |what: &str, variable: &str| {
        anyhow!(
            "the schema owner's secret {secret_id} ({SECRET_ID_VAR}) names no database {what}: set {variable}, or APP_DATABASE_SECRET_ID (its host, port and dbname are used)"
        )
    };
    let location = AppDatabaseSecret {
        username: secret.username,
        password: secret.password,
        host: host.ok_or_else(|| missing("host", HOST_VAR))?,
        port: port.unwrap_or(DEFAULT_PORT),
        dbname: dbname.ok_or_else(|| missing("name", NAME_VAR))?,
        params: None,
    };
    Ok(location.connection_url())
}

fn read_owner_secret(secret_id: &str) -> anyhow::Result<OwnerSecret> {
    let text: SecretString = aws::with_sdk_config(|config| async move {
        let output = aws_sdk_secretsmanager::Client::new(&config)
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|error| {
                anyhow!(
                    "could not read secret {secret_id} from AWS Secrets Manager: {}",
                    DisplayErrorContext(&error)
                )
            })?;
        let text = output
            .secret_string()
            .ok_or_else(|| anyhow!("secret {secret_id} holds no text value"))?;
        Ok(text.to_owned().into())
    })?;
    parse_owner_secret(text.expose_secret(), secret_id)
}

/// `{"username": ..., "password": ...}` plus, optionally, `host`, `port` (number or text) and
/// `dbname`. Errors name fields, never quote values.
fn parse_owner_secret(text: &str, secret_id: &str) -> anyhow::Result<OwnerSecret> {
    let malformed = |reason: String| {
        anyhow!(
            "secret {secret_id} is not the expected JSON object {{\"username\", \"password\"}}: {reason}"
        )
    };
    let value: Value = serde_json::from_str(text).map_err(|error| {
        malformed(format!(
            "invalid JSON at line {} column {}",
            error.line(),
            error.column()
        ))
    })?;
    let object = value
        .as_object()
        .ok_or_else(|| malformed("not an object".to_owned()))?;
    let required = |field: &str| {
        string_field(object, field).ok_or_else(|| malformed(format!("no text field `{field}`")))
    };
    let username = required("username")?;
    if username.is_empty() {
        return Err(malformed("`username` is empty".to_owned()));
    }
    let password = required("password")?.into();
    let port = match object.get("port") {
        None | Some(Value::Null) => None,
        Some(Value::Number(number)) => number.as_u64().and_then(|port| u16::try_from(port).ok()),
        Some(Value::String(text)) => text.parse().ok(),
        Some(_) => None,
    };
    if object.get("port").is_some_and(|port| !port.is_null()) && port.is_none() {
        return Err(malformed(
            "`port` is not a number from 0 to 65535".to_owned(),
        ));
    }
    Ok(OwnerSecret {
        username,
        password,
        host: string_field(object, "host").filter(|host| !host.is_empty()),
        port,
        dbname: string_field(object, "dbname").filter(|dbname| !dbname.is_empty()),
    })
}

fn string_field(object: &Map<String, Value>, field: &str) -> Option<String> {
    object.get(field).and_then(Value::as_str).map(str::to_owned)
}
