//! The read replica (`DATABASE_READER_*`): where the read-only routes (the menu when it is not
//! served from the menu cache, a product, an order by id, the kitchen list) may be read, and
//! how stale those reads may be. None of these set: every read goes to the writer, as before.
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `DATABASE_READER_HOST` (+ `DATABASE_READER_PORT`) | unset | the replica's address; the credentials, database and TLS are the writer's (`APP_DATABASE_SECRET_ID` or `DATABASE_URL`, `PGSSLMODE`, `PGSSLROOTCERT`), re-read for each new connection as the writer's are, so a rotated password reaches both. Production: `/postech/production/rds/reader-endpoint` |
//! | `DATABASE_READER_URL` | unset | instead of the host: a whole URL (local runs, tests); its own `sslmode` wins over `PGSSLMODE` as the writer's does |
//! | `DATABASE_READER_POOL_SIZE` | `DATABASE_POOL_SIZE` | connections per process to the replica |
//! | `DATABASE_READER_ACQUIRE_TIMEOUT_MS` | `1000` | wait for a replica connection before the read goes to the writer |
//! | `DATABASE_READER_MAX_LAG_MS` | `1000` | the most a replica read may lag behind the writer; beyond it (or when the lag is unknown) reads go to the writer |
//! | `DATABASE_READER_LAG_CHECK_MS` | `250` | how often the lag is measured; must be below the maximum lag |

use std::time::Duration;

use postech_shared_sdk::secrets::{AppDatabaseSecret, CachedSecret, EnvSource, SecretsError};

use super::{ConfigurationError, optional, parsed};

/// Where the replica is.
#[derive(Clone, Debug)]
pub enum ReaderEndpoint {
    /// `DATABASE_READER_URL`: a whole URL with its own credentials.
    Url(CachedSecret<AppDatabaseSecret>),
    /// `DATABASE_READER_HOST` (+ `DATABASE_READER_PORT`): the writer's credentials at this
    /// address.
    Host {
        /// The replica's host name.
        host: String,
        /// Its port; `None` keeps the writer's.
        port: Option<u16>,
    },
}

/// The read replica and how it is used.
#[derive(Clone, Debug)]
pub struct DatabaseReaderSettings {
    /// Where it is.
    pub endpoint: ReaderEndpoint,
    /// Connections per process.
    pub pool_size: usize,
    /// How long a read waits for a replica connection before going to the writer: short, a
    /// slow replica must not slow the route down to the writer's acquire timeout.
    pub acquire_timeout: Duration,
    /// The most a replica read may lag behind the writer.
    pub max_lag: Duration,
    /// How often the lag is measured.
    pub lag_check_interval: Duration,
}

/// Default `DATABASE_READER_MAX_LAG_MS`.
pub const DEFAULT_MAX_LAG: Duration = Duration::from_millis(1000);
/// Default `DATABASE_READER_LAG_CHECK_MS`.
pub const DEFAULT_LAG_CHECK_INTERVAL: Duration = Duration::from_millis(250);
/// Default `DATABASE_READER_ACQUIRE_TIMEOUT_MS`.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1000);

impl DatabaseReaderSettings {
    /// The replica's settings; `None` when no replica is configured. `writer_pool_size` is the
    /// default pool size.
    pub fn from_source(
        env: &dyn EnvSource,
        writer_pool_size: usize,
    ) -> Result<Option<Self>, ConfigurationError> {
        let url = optional(env, "DATABASE_READER_URL");
        let host = optional(env, "DATABASE_READER_HOST");
        let port = parsed::<u16>(env, "DATABASE_READER_PORT")?;
        let endpoint = match (url, host) {
            (None, None) if port.is_some() => {
                return Err(ConfigurationError::Invalid {
                    variable: "DATABASE_READER_PORT",
                    reason: "set without DATABASE_READER_HOST".to_owned(),
                });
            }
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => {
                return Err(ConfigurationError::Invalid {
                    variable: "DATABASE_READER_URL",
                    reason: "set together with DATABASE_READER_HOST: name the replica once"
                        .to_owned(),
                });
            }
            (Some(url), None) => ReaderEndpoint::Url(CachedSecret::fixed(
                AppDatabaseSecret::from_url(&url, "DATABASE_READER_URL")?,
            )),
            (None, Some(host)) => ReaderEndpoint::Host { host, port },
        };
        let millis = |variable, default: Duration| -> Result<Duration, ConfigurationError> {
            Ok(parsed::<u64>(env, variable)?.map_or(default, Duration::from_millis))
        };
        let max_lag = millis("DATABASE_READER_MAX_LAG_MS", DEFAULT_MAX_LAG)?;
        let lag_check_interval =
            millis("DATABASE_READER_LAG_CHECK_MS", DEFAULT_LAG_CHECK_INTERVAL)?;
        if lag_check_interval.is_zero() || lag_check_interval >= max_lag {
            // A measurement ages by the interval before the next one: at or past the bound,
            // the replica would be usable for no time after each measurement.
            return Err(ConfigurationError::Invalid {
                variable: "DATABASE_READER_LAG_CHECK_MS",
                reason: "must be above 0 and below DATABASE_READER_MAX_LAG_MS".to_owned(),
            });
        }
        Ok(Some(Self {
            endpoint,
            pool_size: parsed(env, "DATABASE_READER_POOL_SIZE")?.unwrap_or(writer_pool_size),
            acquire_timeout: millis(
                "DATABASE_READER_ACQUIRE_TIMEOUT_MS",
                DEFAULT_ACQUIRE_TIMEOUT,
            )?,
            max_lag,
            lag_check_interval,
        }))
    }

    /// The replica's credentials now: its URL's, or the writer's current ones at the
    /// replica's address.
    pub async fn credentials(
        &self,
        writer: &CachedSecret<AppDatabaseSecret>,
    ) -> Result<AppDatabaseSecret, SecretsError> {
        match &self.endpoint {
            ReaderEndpoint::Url(secret) => Ok(AppDatabaseSecret::clone(&*secret.get().await?)),
            ReaderEndpoint::Host { host, port } => {
                let mut credentials = AppDatabaseSecret::clone(&*writer.get().await?);
                credentials.host.clone_from(host);
                if let Some(port) = port {
                    credentials.port = *port;
                }
                Ok(credentials)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::super::test_support::{env_of, error_text};
    use super::*;

    #[test]
    fn no_reader_variable_means_no_replica() {
        let settings = DatabaseReaderSettings::from_source(&env_of(&[]), 8);
        assert!(matches!(settings, Ok(None)));
    }

    #[tokio::test]
    async fn the_host_takes_the_writers_credentials_database_and_port() {
        let settings = DatabaseReaderSettings::from_source(
            &env_of(&[("DATABASE_READER_HOST", "replica.internal")]),
            6,
        )
        .expect("valid")
        .expect("a replica");
        assert_eq!(settings.pool_size, 6);
        assert_eq!(settings.max_lag, DEFAULT_MAX_LAG);
        let writer = CachedSecret::fixed(
            AppDatabaseSecret::from_url(
                "postgres://app:pw@writer.internal:6432/postech?sslmode=verify-full",
                "test",
            )
            .expect("url"),
        );
        let credentials = settings.credentials(&writer).await.expect("credentials");
        assert_eq!(
            credentials.connection_url().expose_secret(),
            "postgres://app:pw@replica.internal:6432/postech?sslmode=verify-full"
        );
    }

    #[test]
    fn both_the_url_and_the_host_are_refused() {
        let error = error_text(DatabaseReaderSettings::from_source(
            &env_of(&[
                ("DATABASE_READER_HOST", "replica.internal"),
                ("DATABASE_READER_URL", "postgres://app@replica/postech"),
            ]),
            8,
        ));
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("DATABASE_READER_URL")),
            "{error:?}"
        );
    }

    #[test]
    fn a_lag_check_slower_than_the_bound_is_refused() {
        let error = error_text(DatabaseReaderSettings::from_source(
            &env_of(&[
                ("DATABASE_READER_HOST", "replica.internal"),
                ("DATABASE_READER_MAX_LAG_MS", "500"),
                ("DATABASE_READER_LAG_CHECK_MS", "500"),
            ]),
            8,
        ));
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("DATABASE_READER_LAG_CHECK_MS")),
            "{error:?}"
        );
    }

    #[test]
    fn a_port_without_a_host_is_refused() {
        let error = error_text(DatabaseReaderSettings::from_source(
            &env_of(&[("DATABASE_READER_PORT", "5433")]),
            8,
        ));
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("DATABASE_READER_PORT")),
            "{error:?}"
        );
    }
}
