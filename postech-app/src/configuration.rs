//! Typed settings, read from the environment (12-factor) with secrets from AWS Secrets
//! Manager when their id is set. A missing required variable stops the start with a message
//! naming it — there is no default secret anywhere (v1 fell back to a public constant).
//!
//! | Variable | Required | Meaning |
//! |---|---|---|
//! | `APP_HOST`, `APP_PORT` | no (`0.0.0.0`, `8000`) | listen address; port `0` picks a free one |
//! | `APP_WORKERS` | no (CPU count) | actix worker threads |
//! | `APP_SHUTDOWN_TIMEOUT_SECONDS` | no (`30`) | grace period for in-flight requests on SIGTERM |
//! | `MENU_CACHE_MAX_AGE_SECONDS` | no (`10`) | longest a cached product list is served without a re-read; changes are heard at once through `postech_menu` notifications, this only bounds a silently dropped notification connection |
//! | `KITCHEN_CACHE_MAX_AGE_MILLISECONDS` | no (`1000`) | longest a prepared kitchen-list page is served without a re-read; order creations and moves are heard at once through `postech_kitchen` notifications, this bounds the rest (a refused payment, a renamed customer) and a dropped connection |
//! | `APP_DATABASE_SECRET_ID` or `DATABASE_URL` | one of them | the app's database role |
//! | `DATABASE_POOL_SIZE` | no (`8`) | connections per process (see docs/performance.md: more connections than the database has cores only add lock waiters on hot stock rows) |
//! | `DATABASE_ACQUIRE_TIMEOUT_SECONDS` | no (`5`) | wait for a pooled connection before 503 |
//! | `PGSSLMODE`, `PGSSLROOTCERT` (or the URL's `sslmode`, `sslrootcert`) | no (clear) | database TLS, see [`database_tls`] |
//! | `DATABASE_READER_HOST` or `DATABASE_READER_URL`, `DATABASE_READER_*` | no (every read on the writer) | a read replica for the read-only routes, with the writer as fallback and a lag bound, see [`database_reader`] |
//! | `JWT_VERIFICATION_KEY_SECRET_ID` or `JWT_KEY_ID` + `JWT_PUBLIC_KEY_PEM` | one of them | token verification keys, public only. The secret (`postech/<stage>/jwt-verification-key`, `{kid, public_key_pem}`): its current and previous keys are trusted and a rotation is picked up without a restart; the plain variables: one fixed key. `JWT_SIGNING_KEY_SECRET_ID` alone is refused: the app never reads the private key. See [`AuthSettings`] |
//! | `JWT_KEY_REFRESH_SECONDS` | no (`60`) | how often the key secret is re-read |
//! | `JWT_UNKNOWN_KID_REREAD_SECONDS` | no (`5`) | least time between two re-reads of the key secret caused by tokens naming an unknown `kid`; `0` re-reads for each |
//! | `COGNITO_USER_POOL_ID` | yes | where customer identities are created, and admins' status is read |
//! | `ADMIN_STATUS_CACHE_SECONDS` | no (`30`, at most `60`) | how long Cognito's word that an admin is enabled and in group `admin` is trusted: the bound within which a disabled admin's tokens are refused (`0`: asked on every admin request) |
//! | `COGNITO_CLIENT_ID` | no | the pool's app client (unused by the app itself) |
//! | `AWS_REGION`, `AWS_ENDPOINT_URL`, credentials | as the AWS SDK reads them | Cognito and Secrets Manager (moto locally) |
//! | `RUST_LOG`, `OTEL_EXPORTER_OTLP_ENDPOINT` | no | log filter, trace export (SDK telemetry) |
//! | `PAYMENT_PROVIDER`, `POSTECH_STAGE`, `PAYMENT_SIMULATOR_DEMO`, `MERCADOPAGO_*`, `PAYMENT_EXPIRY_*` | see [`payments`] | the payment provider; none configured → the simulated one, in a local run only |
//! | `KITCHEN_STREAM_*` | see [`kitchen_stream`] | the kitchen event stream |
//! | `PAGES_AUTH_ORIGIN` | see [`pages`] | the auth function's origin for the kiosk and kitchen pages |
//! | `REGISTRATION_*` | see [`registration`] | e-mail verification codes, the registration reconciler |

pub mod database_reader;
pub mod database_tls;
pub mod kitchen_stream;
pub mod pages;
pub mod payments;
pub mod registration;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postech_shared_sdk::secrets::{
    AppDatabaseSecret, CachedSecret, EnvSource, KeyRingError, ProcessEnv, SecretsError,
    VerificationKeyRing, load_secret,
};
use secrecy::ExposeSecret;

use self::database_reader::DatabaseReaderSettings;
use self::database_tls::DatabaseTlsSettings;
use crate::adapters::postgres::{ConnectionSetupError, PgConnector};

/// How often secrets read from Secrets Manager are re-read (rotation reaches new
/// connections within this time).
const SECRET_REFRESH_INTERVAL: Duration = Duration::from_secs(300);

/// How often the token key secret is re-read when no token forces it (`JWT_KEY_REFRESH_SECONDS`),
/// as the gateway's authorizer does.
pub const DEFAULT_KEY_REFRESH: Duration = Duration::from_secs(60);

/// Connections per process. Checkouts of the same products serialise on their stock rows;
/// past a few connections per database core, extra ones only queue on those row locks
/// (measured in docs/performance.md).
pub const DEFAULT_POOL_SIZE: usize = 8;

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigurationError {
    /// A required variable is not set.
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    /// A variable is set to something unusable.
    #[error("environment variable {variable} is invalid: {reason}")]
    Invalid {
        /// The variable.
        variable: &'static str,
        /// Why.
        reason: String,
    },
    /// A secret could not be resolved (the message names the variable or the secret id).
    #[error(transparent)]
    Secret(#[from] SecretsError),
    /// The token verification keys could not be resolved or are unusable (the message names
    /// the variables or the secret id).
    #[error(transparent)]
    VerificationKeys(#[from] KeyRingError),
    /// The database URL or its TLS settings are unusable.
    #[error("database connection: {0}")]
    DatabaseConnection(#[from] ConnectionSetupError),
}

/// Where and how the HTTP server listens.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Interface to bind.
    pub host: String,
    /// Port; `0` picks a free one (tests).
    pub port: u16,
    /// Worker threads.
    pub workers: usize,
    /// Grace period for in-flight requests on SIGTERM.
    pub shutdown_timeout: Duration,
    /// The longest a prepared product list is served from memory without a new read, even
    /// with no notification: bounds staleness when the network drops the notification
    /// connection silently (until the listener's ping notices).
    pub menu_cache_max_age: Duration,
    /// The longest a prepared kitchen page is served without a new read. Short: besides a
    /// dropped connection it bounds the changes `postech_kitchen` does not carry (a refused
    /// payment, a customer's new name), as the replica's lag bound does for the same list.
    pub kitchen_cache_max_age: Duration,
}

/// The database connection.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// Credentials, re-read from Secrets Manager for each new connection when rotated.
    pub connection: CachedSecret<AppDatabaseSecret>,
    /// Pool size.
    pub pool_size: usize,
    /// How long a request waits for a connection.
    pub acquire_timeout: Duration,
    /// TLS defaults (`PGSSLMODE`, `PGSSLROOTCERT`); the URL's own parameters win.
    pub tls: DatabaseTlsSettings,
}

/// Token verification.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// The public keys tokens are verified with. From `JWT_VERIFICATION_KEY_SECRET_ID`: the
    /// secret's current and previous keys, re-read every `JWT_KEY_REFRESH_SECONDS` and when a
    /// token names an unknown `kid` (at most every `JWT_UNKNOWN_KID_REREAD_SECONDS`), so the
    /// auth function's new key is accepted without a restart and tokens of the keys before it
    /// keep working until they expire. From `JWT_KEY_ID` + `JWT_PUBLIC_KEY_PEM`: that one key,
    /// fixed (local runs).
    pub verification_keys: Arc<VerificationKeyRing>,
    /// `ADMIN_STATUS_CACHE_SECONDS`: how long an admin's status (enabled, in group `admin`)
    /// is trusted before Cognito is asked again.
    pub admin_status_ttl: Duration,
}

/// How long an admin's status is trusted unless `ADMIN_STATUS_CACHE_SECONDS` says otherwise.
pub const DEFAULT_ADMIN_STATUS_TTL: Duration = Duration::from_secs(30);

impl AuthSettings {
    /// Reads the `JWT_*` variables and resolves the keys through `aws`; an unreadable secret,
    /// an unusable key or `JWT_SIGNING_KEY_SECRET_ID` without `JWT_VERIFICATION_KEY_SECRET_ID`
    /// stops the start.
    pub async fn from_source(
        env: &dyn EnvSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, ConfigurationError> {
        let refresh = parsed(env, "JWT_KEY_REFRESH_SECONDS")?
            .map_or(DEFAULT_KEY_REFRESH, Duration::from_secs);
        let unknown_kid_reread = parsed(env, "JWT_UNKNOWN_KID_REREAD_SECONDS")?.map_or(
            VerificationKeyRing::DEFAULT_UNKNOWN_KID_REREAD_INTERVAL,
            Duration::from_secs,
        );
        // The SDK reads JWT_VERIFICATION_KEY_SECRET_ID (public keys only) and refuses
        // JWT_SIGNING_KEY_SECRET_ID alone: the app never reads the private key.
        let keys = VerificationKeyRing::load(env, aws, refresh)
            .await?
            .with_unknown_kid_reread_interval(unknown_kid_reread);
        let admin_status_ttl = match parsed::<u64>(env, "ADMIN_STATUS_CACHE_SECONDS")? {
            None => DEFAULT_ADMIN_STATUS_TTL,
            Some(seconds) if seconds <= 60 => Duration::from_secs(seconds),
            Some(_) => {
                return Err(ConfigurationError::Invalid {
                    variable: "ADMIN_STATUS_CACHE_SECONDS",
                    reason: "at most 60 seconds (the bound for a disabled admin's tokens)".into(),
                });
            }
        };
        Ok(Self {
            verification_keys: Arc::new(keys),
            admin_status_ttl,
        })
    }
}

/// The Cognito user pool of customers.
#[derive(Clone, Debug)]
pub struct CognitoSettings {
    /// The pool id.
    pub user_pool_id: String,
    /// The app client id (not needed for what the app does; passed through to the client).
    pub app_client_id: String,
}

/// Everything the app needs to start.
#[derive(Clone, Debug)]
pub struct Settings {
    /// HTTP server.
    pub http: HttpSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// The read replica, when there is one.
    pub database_reader: Option<DatabaseReaderSettings>,
    /// Tokens.
    pub auth: AuthSettings,
    /// Cognito.
    pub cognito: CognitoSettings,
    /// Payments: provider, credentials, expiry.
    pub payments: payments::PaymentSettings,
    /// AWS SDK configuration (region, endpoint, credentials).
    pub aws: aws_config::SdkConfig,
    /// The kitchen event stream.
    pub kitchen_stream: kitchen_stream::KitchenStreamSettings,
    /// The kiosk and kitchen pages.
    pub pages: pages::PageSettings,
    /// Customer registration: verification codes, the reconciler.
    pub registration: registration::RegistrationSettings,
}

impl Settings {
    /// Reads the process environment and resolves the secrets.
    pub async fn from_env() -> Result<Self, ConfigurationError> {
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::from_source(&ProcessEnv, aws).await
    }

    /// Reads `env` and resolves the secrets through `aws`.
    pub async fn from_source(
        env: &dyn EnvSource,
        aws: aws_config::SdkConfig,
    ) -> Result<Self, ConfigurationError> {
        let http = HttpSettings {
            host: optional(env, "APP_HOST").unwrap_or_else(|| "0.0.0.0".to_owned()),
            port: parsed(env, "APP_PORT")?.unwrap_or(8000),
            workers: parsed(env, "APP_WORKERS")?.unwrap_or_else(default_workers),
            shutdown_timeout: Duration::from_secs(
                parsed(env, "APP_SHUTDOWN_TIMEOUT_SECONDS")?.unwrap_or(30),
            ),
            menu_cache_max_age: Duration::from_secs(
                parsed(env, "MENU_CACHE_MAX_AGE_SECONDS")?.unwrap_or(10),
            ),
            kitchen_cache_max_age: Duration::from_millis(
                parsed(env, "KITCHEN_CACHE_MAX_AGE_MILLISECONDS")?.unwrap_or(1000),
            ),
        };
        let database = DatabaseSettings {
            connection: load_secret(env, &aws, SECRET_REFRESH_INTERVAL).await?,
            pool_size: parsed(env, "DATABASE_POOL_SIZE")?.unwrap_or(DEFAULT_POOL_SIZE),
            acquire_timeout: Duration::from_secs(
                parsed(env, "DATABASE_ACQUIRE_TIMEOUT_SECONDS")?.unwrap_or(5),
            ),
            tls: DatabaseTlsSettings::from_source(env)?,
        };
        // A wrong sslmode or CA bundle stops the start here, not every connection later.
        let credentials = database.connection.get().await?;
        let connector = PgConnector::new(database.tls.clone());
        connector.check(credentials.connection_url().expose_secret())?;
        let database_reader = DatabaseReaderSettings::from_source(env, database.pool_size)?;
        if let Some(reader) = &database_reader {
            let credentials = reader.credentials(&database.connection).await?;
            connector.check(credentials.connection_url().expose_secret())?;
        }
        let cognito = CognitoSettings {
            user_pool_id: optional(env, "COGNITO_USER_POOL_ID")
                .ok_or(ConfigurationError::Missing("COGNITO_USER_POOL_ID"))?,
            app_client_id: optional(env, "COGNITO_CLIENT_ID").unwrap_or_default(),
        };
        let auth = AuthSettings::from_source(env, &aws).await?;
        let payments = payments::PaymentSettings::from_source(env, &aws).await?;
        Ok(Self {
            http,
            database,
            database_reader,
            auth,
            cognito,
            payments,
            aws,
            kitchen_stream: kitchen_stream::KitchenStreamSettings::from_source(env)?,
            pages: pages::PageSettings::from_source(env)?,
            registration: registration::RegistrationSettings::from_source(env)?,
        })
    }
}

fn optional(env: &dyn EnvSource, variable: &str) -> Option<String> {
    env.var(variable)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn parsed<T>(env: &dyn EnvSource, variable: &'static str) -> Result<Option<T>, ConfigurationError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    optional(env, variable)
        .map(|text| {
            text.parse()
                .map_err(|error: T::Err| ConfigurationError::Invalid {
                    variable,
                    reason: error.to_string(),
                })
        })
        .transpose()
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Helpers of the configuration tests: the settings are read from a fixed environment.
#[cfg(test)]
pub(crate) mod test_support {
    /// An AWS configuration that is never called: every test here resolves from the environment.
    pub fn aws() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    /// An environment holding exactly these variables.
    pub fn env_of(
        variables: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Send + Sync {
        move |name| {
            variables
                .iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    /// The text of the error that stopped the start; `None` when the settings were accepted.
    pub fn error_text<T, E: std::fmt::Display>(result: Result<T, E>) -> Option<String> {
        result.err().map(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use postech_shared_sdk::token::SigningKeyMaterial;

    use super::test_support::{aws, env_of, error_text};
    use super::*;

    const KEY_AND_POOL: [(&str, &str); 3] = [
        ("JWT_KEY_ID", "k1"),
        ("JWT_PUBLIC_KEY_PEM", "pem"),
        ("COGNITO_USER_POOL_ID", "pool"),
    ];

    #[tokio::test]
    async fn a_missing_database_url_is_named() {
        let error = error_text(Settings::from_source(&env_of(&KEY_AND_POOL), aws()).await);
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("DATABASE_URL")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_user_pool_is_named() {
        let env = env_of(&[
            ("DATABASE_URL", "postgres://app@localhost/postech"),
            ("JWT_KEY_ID", "k1"),
            ("JWT_PUBLIC_KEY_PEM", "pem"),
        ]);
        let error = error_text(Settings::from_source(&env, aws()).await);
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("COGNITO_USER_POOL_ID")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn an_unusable_database_tls_setting_stops_the_start() {
        let env = env_of(&[
            (
                "DATABASE_URL",
                "postgres://app@localhost/postech?sslmode=verify-ca",
            ),
            ("JWT_KEY_ID", "k1"),
            ("JWT_PUBLIC_KEY_PEM", "pem"),
            ("COGNITO_USER_POOL_ID", "pool"),
        ]);
        let error = error_text(Settings::from_source(&env, aws()).await);
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("verify-ca") && text.contains("PGSSLROOTCERT")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn plain_key_variables_give_one_fixed_key() {
        let key = SigningKeyMaterial::generate("local-key");
        let public_key_pem = key.public_key_pem.clone();
        let env = move |name: &str| match name {
            "JWT_KEY_ID" => Some("local-key".to_owned()),
            "JWT_PUBLIC_KEY_PEM" => Some(public_key_pem.clone()),
            _ => None,
        };
        let keys = AuthSettings::from_source(&env, &aws())
            .await
            .expect("a usable key")
            .verification_keys;
        assert_eq!(keys.secret_id(), None, "never reads Secrets Manager");
        assert_eq!(keys.key_ids(), ["local-key"]);
    }

    #[tokio::test]
    async fn an_unusable_public_key_stops_the_start_naming_the_variables() {
        let error = error_text(AuthSettings::from_source(&env_of(&KEY_AND_POOL), &aws()).await);
        assert!(
            error.as_deref().is_some_and(
                |text| text.contains("JWT_PUBLIC_KEY_PEM") && text.contains("unusable")
            ),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn the_signing_key_secret_alone_is_refused() {
        let env = env_of(&[(
            "JWT_SIGNING_KEY_SECRET_ID",
            "postech/staging/jwt-signing-key",
        )]);
        let error = AuthSettings::from_source(&env, &aws()).await.err();
        assert!(
            matches!(
                error,
                Some(ConfigurationError::VerificationKeys(
                    KeyRingError::SigningKeyOffered
                ))
            ),
            "{error:?}"
        );
        let text = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(text.contains("JWT_VERIFICATION_KEY_SECRET_ID"), "{text}");
    }

    #[tokio::test]
    async fn the_verification_secret_is_read_and_never_the_signing_one() {
        // Both named: only the verification secret is fetched. The AWS configuration has no
        // endpoint, so the fetch fails, and its error names the secret that was asked for.
        let env = env_of(&[
            (
                "JWT_VERIFICATION_KEY_SECRET_ID",
                "postech/staging/jwt-verification-key",
            ),
            (
                "JWT_SIGNING_KEY_SECRET_ID",
                "postech/staging/jwt-signing-key",
            ),
        ]);
        let error = error_text(AuthSettings::from_source(&env, &aws()).await);
        assert!(
            error.as_deref().is_some_and(|text| {
                text.contains("postech/staging/jwt-verification-key")
                    && !text.contains("jwt-signing-key")
            }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_plain_key_variable_names_the_verification_secret() {
        let env = env_of(&[("JWT_KEY_ID", "k1")]);
        let error = error_text(AuthSettings::from_source(&env, &aws()).await);
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("JWT_PUBLIC_KEY_PEM")
                    && text.contains("JWT_VERIFICATION_KEY_SECRET_ID")
                    && !text.contains("JWT_SIGNING_KEY_SECRET_ID")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn malformed_key_intervals_are_named() {
        for variable in ["JWT_KEY_REFRESH_SECONDS", "JWT_UNKNOWN_KID_REREAD_SECONDS"] {
            let env = move |name: &str| (name == variable).then(|| "soon".to_owned());
            let error = error_text(AuthSettings::from_source(&env, &aws()).await);
            assert!(
                error.as_deref().is_some_and(|text| text.contains(variable)),
                "{variable}: {error:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_malformed_port_is_named() {
        let error =
            error_text(Settings::from_source(&env_of(&[("APP_PORT", "eighty")]), aws()).await);
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("APP_PORT")),
            "{error:?}"
        );
    }
}
