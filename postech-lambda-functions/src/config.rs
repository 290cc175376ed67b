//! Settings read from environment variables, once, at cold start.
//!
//! Secrets are not here: the signing key (`authenticate`) and the verification keys
//! (`validate_jwt`) are resolved by [`crate::keys`] from Secrets Manager
//! (`JWT_SIGNING_KEY_SECRET_ID`, `JWT_VERIFICATION_KEY_SECRET_ID`) or, for local runs, from
//! plain variables.

use std::net::SocketAddr;
use std::time::Duration;

use lambda_http::http::HeaderValue;
use postech_shared_sdk::secrets::EnvSource;

/// How often the key secret is re-read when nothing forces it: the longest a rotation takes to
/// reach a warm function.
pub const DEFAULT_KEY_REFRESH: Duration = Duration::from_secs(60);

/// The address `postech-auth-local` listens on unless `POSTECH_AUTH_LOCAL_ADDR` says otherwise.
pub const DEFAULT_LOCAL_ADDR: &str = "127.0.0.1:9000";

/// A setting that is missing or unusable. Names the variable, never quotes a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    /// A variable is set to something unusable.
    #[error("environment variable {variable} is invalid: {reason}")]
    Invalid {
        /// The variable.
        variable: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// What `authenticate` needs besides the signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticateSettings {
    /// `COGNITO_USER_POOL_ID`: the pool of customers and admins.
    pub user_pool_id: String,
    /// `COGNITO_CLIENT_ID`: the app client allowed to run `ADMIN_USER_PASSWORD_AUTH`.
    pub client_id: String,
    /// `JWT_KEY_REFRESH_SECONDS` (default 60): how often the signing key is re-read.
    pub key_refresh: Duration,
}

impl AuthenticateSettings {
    /// Reads the settings; a missing variable is an error naming it.
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        Ok(Self {
            user_pool_id: required(env, "COGNITO_USER_POOL_ID")?,
            client_id: required(env, "COGNITO_CLIENT_ID")?,
            key_refresh: key_refresh(env)?,
        })
    }
}

/// How long the authorizer trusts Cognito's word that an admin is active, unless
/// `ADMIN_STATUS_CACHE_SECONDS` says otherwise (at most 60 s).
pub const DEFAULT_ADMIN_STATUS_TTL: Duration = Duration::from_secs(30);

/// What `validate_jwt` needs besides the verification keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerSettings {
    /// `COGNITO_USER_POOL_ID`: where admins are looked up (enabled, in group `admin`).
    pub user_pool_id: String,
    /// `ADMIN_STATUS_CACHE_SECONDS` (default 30, at most 60): how long an admin's status is
    /// trusted, the bound within which a disabled admin's tokens stop passing.
    pub admin_status_ttl: Duration,
    /// `JWT_KEY_REFRESH_SECONDS` (default 60): how often the key secret is re-read.
    pub key_refresh: Duration,
    /// `PAYMENT_SIMULATOR` (`routed` or `absent`, default `absent`): whether the stage serves
    /// the payment simulator's routes.
    pub payment_simulator: PaymentSimulator,
    /// `DEFAULT_STAFF_USAGE_KEY`: the API key of the shared staff usage plan, named for admin
    /// requests that bring no key of their own (infra/usage-plans.yml). Required: without a
    /// key, API Gateway refuses every request to a method that requires one.
    pub default_staff_usage_key: String,
}

impl AuthorizerSettings {
    /// Reads the settings; a missing or invalid variable is an error naming it.
    pub fn from_env(env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let payment_simulator = match optional(env, "PAYMENT_SIMULATOR").as_deref() {
            None | Some("absent") => PaymentSimulator::Absent,
            Some("routed") => PaymentSimulator::Routed,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    variable: "PAYMENT_SIMULATOR",
                    reason: format!("expected routed or absent, got {other:?}"),
                });
            }
        };
        Ok(Self {
            user_pool_id: required(env, "COGNITO_USER_POOL_ID")?,
            admin_status_ttl: admin_status_ttl(env)?,
            key_refresh: key_refresh(env)?,
            payment_simulator,
            default_staff_usage_key: required(env, "DEFAULT_STAFF_USAGE_KEY")?,
        })
    }
}

/// Whether the stage serves the payment simulator's approve/reject routes (API-V1.md: "for
/// local runs and demos"). Production does not: its route table has no such method, and the
/// authorizer denies the paths should a request reach it another way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentSimulator {
    /// Public routes, as in staging.
    Routed,
    /// Denied, as in production.
    Absent,
}

/// Where `postech-auth-local` listens: `POSTECH_AUTH_LOCAL_ADDR`, default
/// [`DEFAULT_LOCAL_ADDR`] (loopback only).
pub fn local_listen_addr(env: &dyn EnvSource) -> Result<SocketAddr, ConfigError> {
    let text =
        optional(env, "POSTECH_AUTH_LOCAL_ADDR").unwrap_or_else(|| DEFAULT_LOCAL_ADDR.into());
    text.parse()
        .map_err(|error: std::net::AddrParseError| ConfigError::Invalid {
            variable: "POSTECH_AUTH_LOCAL_ADDR",
            reason: error.to_string(),
        })
}

/// `POSTECH_AUTH_LOCAL_ALLOWED_ORIGIN`: the origin of browser pages allowed to call the local
/// server (the app's kiosk and kitchen pages in `make run`), if any.
pub fn local_allowed_origin(env: &dyn EnvSource) -> Result<Option<HeaderValue>, ConfigError> {
    let Some(origin) = optional(env, "POSTECH_AUTH_LOCAL_ALLOWED_ORIGIN") else {
        return Ok(None);
    };
    let origin = origin.trim();
    let is_origin = origin.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(['/', ' '])
    });
    match HeaderValue::from_str(origin) {
        Ok(value) if is_origin => Ok(Some(value)),
        _ => Err(ConfigError::Invalid {
            variable: "POSTECH_AUTH_LOCAL_ALLOWED_ORIGIN",
            reason: "an origin such as http://127.0.0.1:8080 (scheme, host, port; no path)"
                .to_owned(),
        }),
    }
}

fn key_refresh(env: &dyn EnvSource) -> Result<Duration, ConfigError> {
    match optional(env, "JWT_KEY_REFRESH_SECONDS") {
        None => Ok(DEFAULT_KEY_REFRESH),
        Some(text) => text
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|error| ConfigError::Invalid {
                variable: "JWT_KEY_REFRESH_SECONDS",
                reason: error.to_string(),
            }),
    }
}

/// `ADMIN_STATUS_CACHE_SECONDS`: whole seconds, 0 (ask every time) to 60.
pub fn admin_status_ttl(env: &dyn EnvSource) -> Result<Duration, ConfigError> {
    let Some(text) = optional(env, "ADMIN_STATUS_CACHE_SECONDS") else {
        return Ok(DEFAULT_ADMIN_STATUS_TTL);
    };
    match text.trim().parse::<u64>() {
        Ok(seconds) if seconds <= 60 => Ok(Duration::from_secs(seconds)),
        _ => Err(ConfigError::Invalid {
            variable: "ADMIN_STATUS_CACHE_SECONDS",
            reason: "whole seconds from 0 to 60 (the bound for a disabled admin's tokens)"
                .to_owned(),
        }),
    }
}

fn required(env: &dyn EnvSource, variable: &'static str) -> Result<String, ConfigError> {
    optional(env, variable).ok_or(ConfigError::Missing(variable))
}

fn optional(env: &dyn EnvSource, variable: &str) -> Option<String> {
    env.var(variable).filter(|value| !value.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl EnvSource + use<> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        move |name: &str| vars.get(name).cloned()
    }

    #[test]
    fn authenticate_settings_name_the_missing_variable() {
        let error = AuthenticateSettings::from_env(&env_of(&[("COGNITO_USER_POOL_ID", "pool")]))
            .expect_err("client id is missing");
        assert!(error.to_string().contains("COGNITO_CLIENT_ID"), "{error}");
    }

    const STAFF_KEY: (&str, &str) = ("DEFAULT_STAFF_USAGE_KEY", "postech-test-staff-shared");
    const POOL: (&str, &str) = ("COGNITO_USER_POOL_ID", "us-east-1_pool");

    #[test]
    fn the_admin_status_is_trusted_30_s_by_default_and_never_over_60_s() {
        let defaults = AuthorizerSettings::from_env(&env_of(&[STAFF_KEY, POOL])).expect("defaults");
        assert_eq!(defaults.admin_status_ttl, DEFAULT_ADMIN_STATUS_TTL);
        let short = AuthorizerSettings::from_env(&env_of(&[
            STAFF_KEY,
            POOL,
            ("ADMIN_STATUS_CACHE_SECONDS", "1"),
        ]))
        .expect("1 s");
        assert_eq!(short.admin_status_ttl, Duration::from_secs(1));
        for bad in ["61", "3600", "-1", "soon"] {
            let error = AuthorizerSettings::from_env(&env_of(&[
                STAFF_KEY,
                POOL,
                ("ADMIN_STATUS_CACHE_SECONDS", bad),
            ]))
            .expect_err(bad);
            assert!(
                error.to_string().contains("ADMIN_STATUS_CACHE_SECONDS"),
                "{error}"
            );
        }
        let error = AuthorizerSettings::from_env(&env_of(&[STAFF_KEY])).expect_err("no pool");
        assert!(
            error.to_string().contains("COGNITO_USER_POOL_ID"),
            "{error}"
        );
    }

    #[test]
    fn key_refresh_defaults_to_a_minute_and_accepts_seconds() {
        let defaults = AuthorizerSettings::from_env(&env_of(&[STAFF_KEY, POOL])).expect("defaults");
        assert_eq!(defaults.key_refresh, DEFAULT_KEY_REFRESH);
        let custom = AuthorizerSettings::from_env(&env_of(&[
            STAFF_KEY,
            POOL,
            ("JWT_KEY_REFRESH_SECONDS", "5"),
        ]))
        .expect("valid number");
        assert_eq!(custom.key_refresh, Duration::from_secs(5));
        assert!(
            AuthorizerSettings::from_env(&env_of(&[
                STAFF_KEY,
                POOL,
                ("JWT_KEY_REFRESH_SECONDS", "soon")
            ]))
            .is_err()
        );
    }

    #[test]
    fn the_payment_simulator_is_absent_unless_the_stage_routes_it() {
        let default = AuthorizerSettings::from_env(&env_of(&[STAFF_KEY, POOL])).expect("defaults");
        assert_eq!(default.payment_simulator, PaymentSimulator::Absent);
        let routed = AuthorizerSettings::from_env(&env_of(&[
            STAFF_KEY,
            POOL,
            ("PAYMENT_SIMULATOR", "routed"),
        ]))
        .expect("routed");
        assert_eq!(routed.payment_simulator, PaymentSimulator::Routed);
        let error =
            AuthorizerSettings::from_env(&env_of(&[STAFF_KEY, POOL, ("PAYMENT_SIMULATOR", "yes")]))
                .expect_err("not a value");
        assert!(error.to_string().contains("PAYMENT_SIMULATOR"), "{error}");
    }

    #[test]
    fn the_authorizer_needs_the_staff_usage_key() {
        let error = AuthorizerSettings::from_env(&env_of(&[POOL])).expect_err("no key");
        assert!(
            error.to_string().contains("DEFAULT_STAFF_USAGE_KEY"),
            "{error}"
        );
    }

    #[test]
    fn local_server_listens_on_loopback_port_9000_by_default() {
        let addr = local_listen_addr(&env_of(&[])).expect("default parses");
        assert_eq!(addr.to_string(), "127.0.0.1:9000");
        assert!(local_listen_addr(&env_of(&[("POSTECH_AUTH_LOCAL_ADDR", "nowhere")])).is_err());
    }

    #[test]
    fn the_local_server_allows_one_bare_origin_or_none() {
        assert_eq!(local_allowed_origin(&env_of(&[])).ok(), Some(None));
        let allowed = local_allowed_origin(&env_of(&[(
            "POSTECH_AUTH_LOCAL_ALLOWED_ORIGIN",
            "http://127.0.0.1:8080",
        )]));
        assert_eq!(
            allowed
                .ok()
                .flatten()
                .as_ref()
                .map(|value| value.as_bytes()),
            Some(&b"http://127.0.0.1:8080"[..])
        );
        for bad in ["*", "127.0.0.1:8080", "http://host/path", "ftp://host"] {
            assert!(
                local_allowed_origin(&env_of(&[("POSTECH_AUTH_LOCAL_ALLOWED_ORIGIN", bad)]))
                    .is_err(),
                "{bad}"
            );
        }
    }
}
