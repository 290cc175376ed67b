//! Settings read from environment variables, once, at cold start.
//!
//! Secrets are not here: the signing key (`authenticate`) and the verification keys
//! (`validate_jwt`) are resolved by [`crate::keys`] from Secrets Manager
//! (`JWT_SIGNING_KEY_SECRET_ID`, `JWT_VERIFICATION_KEY_SECRET_ID`) or, for local runs, from
//! plain variables.

use std::net::SocketAddr;
use std::time::Duration;

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

/// What `validate_jwt` needs besides the verification keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizerSettings {
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

    #[test]
    fn key_refresh_defaults_to_a_minute_and_accepts_seconds() {
        let defaults = AuthorizerSettings::from_env(&env_of(&[STAFF_KEY])).expect("defaults");
        assert_eq!(defaults.key_refresh, DEFAULT_KEY_REFRESH);
        let custom =
            AuthorizerSettings::from_env(&env_of(&[STAFF_KEY, ("JWT_KEY_REFRESH_SECONDS", "5")]))
                .expect("valid number");
        assert_eq!(custom.key_refresh, Duration::from_secs(5));
        assert!(
            AuthorizerSettings::from_env(&env_of(&[
                STAFF_KEY,
                ("JWT_KEY_REFRESH_SECONDS", "soon")
            ]))
            .is_err()
        );
    }

    #[test]
    fn the_payment_simulator_is_absent_unless_the_stage_routes_it() {
        let default = AuthorizerSettings::from_env(&env_of(&[STAFF_KEY])).expect("defaults");
        assert_eq!(default.payment_simulator, PaymentSimulator::Absent);
        let routed =
            AuthorizerSettings::from_env(&env_of(&[STAFF_KEY, ("PAYMENT_SIMULATOR", "routed")]))
                .expect("routed");
        assert_eq!(routed.payment_simulator, PaymentSimulator::Routed);
        let error =
            AuthorizerSettings::from_env(&env_of(&[STAFF_KEY, ("PAYMENT_SIMULATOR", "yes")]))
                .expect_err("not a value");
        assert!(error.to_string().contains("PAYMENT_SIMULATOR"), "{error}");
    }

    #[test]
    fn the_authorizer_needs_the_staff_usage_key() {
        let error = AuthorizerSettings::from_env(&env_of(&[])).expect_err("no key");
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
}
