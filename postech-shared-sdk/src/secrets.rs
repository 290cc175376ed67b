//! Typed secrets from AWS Secrets Manager, with plain environment variables for local runs.
//!
//! Each [`SecretKind`] lives at `postech/<stage>/<kind>` ([`Stage::secret_id`]) as a JSON
//! object. A process resolves a secret with [`load_secret`]: when the kind's secret id
//! variable (e.g. `JWT_SIGNING_KEY_SECRET_ID`) is set it wins, and the secret is read from
//! Secrets Manager and re-read every refresh interval (so rotations reach running
//! processes); otherwise the plain variables of the kind are read once (e.g. `DATABASE_URL`).
//! A missing variable is an error naming it — never a default secret.
//!
//! Processes that only verify tokens hold a [`VerificationKeyRing`]: the public keys of the
//! verification-key secret's current and previous versions (the public halves of the signing
//! keys, published apart so that verifiers never hold a private key), re-read so a rotation
//! reaches them without a restart.
//!
//! Every secret value is a [`SecretString`](secrecy::SecretString), so `{:?}` prints
//! `[REDACTED]` instead of the value.

mod cache;
mod database;
mod env;
mod key_ring;
mod values;

pub use cache::CachedSecret;
pub use database::AppDatabaseSecret;
pub use env::{EnvSource, ProcessEnv};
pub use key_ring::{KeyRingError, VerificationKeyRing};
pub use values::{JwtSigningKeySecret, JwtVerificationKeySecret, MercadoPagoSecret};

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::de::DeserializeOwned;

/// The secrets of the architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// `{kid, private_key_pem, public_key_pem}`: the Ed25519 key that signs the tokens. Only
    /// the auth function reads it.
    JwtSigningKey,
    /// `{kid, public_key_pem}`: the public half of the signing key, which verifiers (the
    /// authorizer, the app) read instead, so that none of them can mint a token.
    JwtVerificationKey,
    /// `{username, password, host, port, dbname}`: the app's least-privileged database role.
    AppDatabase,
    /// `{access_token, webhook_secret, ...}`: the Mercado Pago credentials.
    MercadoPago,
}

impl SecretKind {
    /// The last segment of the secret id, e.g. `jwt-signing-key`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::JwtSigningKey => "jwt-signing-key",
            Self::JwtVerificationKey => "jwt-verification-key",
            Self::AppDatabase => "app-database",
            Self::MercadoPago => "mercadopago",
        }
    }

    /// The environment variable that names the secret in Secrets Manager.
    pub const fn secret_id_env_var(self) -> &'static str {
        match self {
            Self::JwtSigningKey => "JWT_SIGNING_KEY_SECRET_ID",
            Self::JwtVerificationKey => "JWT_VERIFICATION_KEY_SECRET_ID",
            Self::AppDatabase => "APP_DATABASE_SECRET_ID",
            Self::MercadoPago => "MERCADOPAGO_SECRET_ID",
        }
    }
}

/// A deployment stage, the middle segment of every secret id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Deployed from the `staging` branch.
    Staging,
    /// Deployed from the `main` branch.
    Production,
}

impl Stage {
    /// `staging` or `production`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    /// The secret id of a kind in this stage.
    ///
    /// ```
    /// use postech_shared_sdk::secrets::{SecretKind, Stage};
    ///
    /// assert_eq!(Stage::Staging.secret_id(SecretKind::JwtSigningKey), "postech/staging/jwt-signing-key");
    /// ```
    pub fn secret_id(self, kind: SecretKind) -> String {
        format!("postech/{}/{}", self.as_str(), kind.name())
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = SecretsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "staging" => Ok(Self::Staging),
            "production" => Ok(Self::Production),
            _ => Err(SecretsError::InvalidValue {
                source_name: "stage".into(),
                reason: format!("`{text}` is neither `staging` nor `production`"),
            }),
        }
    }
}

/// Why a secret could not be obtained. Messages never contain a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// Neither the secret id variable nor this plain variable is set.
    #[error(
        "environment variable {variable} is not set; set it, or set {secret_id_variable} to read the secret from AWS Secrets Manager"
    )]
    MissingEnvVar {
        /// The plain variable that was needed.
        variable: &'static str,
        /// The variable that would name the secret in Secrets Manager instead.
        secret_id_variable: &'static str,
    },
    /// Secrets Manager could not be reached or refused the call.
    #[error("could not read secret {secret_id} from AWS Secrets Manager: {reason}")]
    Fetch {
        /// The secret asked for.
        secret_id: String,
        /// The SDK's description of the failure.
        reason: String,
    },
    /// The secret has no `SecretString` (it was stored as binary).
    #[error("secret {secret_id} holds no text value")]
    NotText {
        /// The secret asked for.
        secret_id: String,
    },
    /// The secret's text is not the JSON object its kind requires.
    #[error("secret {source_name} is not the expected JSON object: {reason}")]
    Malformed {
        /// The secret id or environment variable the text came from.
        source_name: String,
        /// What is wrong, without quoting the value.
        reason: String,
    },
    /// A value is present but unusable (e.g. a `DATABASE_URL` that is not a PostgreSQL URL).
    #[error("{source_name} is invalid: {reason}")]
    InvalidValue {
        /// The variable or secret the value came from.
        source_name: String,
        /// What is wrong, without quoting the value.
        reason: String,
    },
}

/// A secret type: its kind, how it is parsed from Secrets Manager (JSON, through serde) and
/// how it is assembled from plain environment variables.
pub trait TypedSecret: DeserializeOwned + Send + Sync + 'static {
    /// The Secrets Manager secret this type is read from.
    const KIND: SecretKind;

    /// Builds the value from the plain variables of local runs.
    fn from_plain_env(env: &dyn EnvSource) -> Result<Self, SecretsError>;
}

/// Resolves a secret as the architecture prescribes: from Secrets Manager when
/// `T::KIND.secret_id_env_var()` is set (fetched now, so a bad id fails at startup, then
/// refreshed every `refresh_interval`), else from the plain environment variables (fixed).
///
/// ```no_run
/// # async fn example() -> Result<(), postech_shared_sdk::secrets::SecretsError> {
/// use std::time::Duration;
/// use postech_shared_sdk::secrets::{load_secret, AppDatabaseSecret, ProcessEnv};
/// use secrecy::ExposeSecret;
///
/// let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let database = load_secret::<AppDatabaseSecret>(&ProcessEnv, &sdk_config, Duration::from_secs(300)).await?;
/// let url = database.get().await?.connection_url();
/// # let _ = url.expose_secret();
/// # Ok(())
/// # }
/// ```
pub async fn load_secret<T: TypedSecret>(
    env: &dyn EnvSource,
    sdk_config: &aws_config::SdkConfig,
    refresh_interval: Duration,
) -> Result<CachedSecret<T>, SecretsError> {
    match env::non_empty(env, T::KIND.secret_id_env_var()) {
        Some(secret_id) => {
            let client =
                aws_sdk_secretsmanager::Client::new(&crate::aws_timeouts::bounded(sdk_config));
            let secret = CachedSecret::from_secrets_manager(client, secret_id, refresh_interval);
            secret.get().await?;
            Ok(secret)
        }
        None => Ok(CachedSecret::fixed(T::from_plain_env(env)?)),
    }
}

/// Parses a secret's JSON text. serde_json's messages may quote the offending value, which
/// here is secret, so only missing fields (names, not values) and positions are reported.
pub(crate) fn parse_secret_json<T: DeserializeOwned>(
    text: &str,
    source_name: &str,
) -> Result<T, SecretsError> {
    serde_json::from_str(text).map_err(|error| {
        let message = error.to_string();
        let reason = if message.starts_with("missing field") {
            message
        } else {
            format!(
                "invalid JSON ({:?} error) at line {} column {}",
                error.classify(),
                error.line(),
                error.column()
            )
        };
        SecretsError::Malformed {
            source_name: source_name.to_owned(),
            reason,
        }
    })
}

/// The value of a required plain variable of `kind`.
pub(crate) fn required_env(
    env: &dyn EnvSource,
    kind: SecretKind,
    variable: &'static str,
) -> Result<String, SecretsError> {
    env::non_empty(env, variable).ok_or(SecretsError::MissingEnvVar {
        variable,
        secret_id_variable: kind.secret_id_env_var(),
    })
}

/// The value of an optional plain variable.
pub(crate) fn optional_env(env: &dyn EnvSource, variable: &str) -> Option<String> {
    env::non_empty(env, variable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_ids_follow_the_stage_and_kind_naming() {
        assert_eq!(
            Stage::Production.secret_id(SecretKind::AppDatabase),
            "postech/production/app-database"
        );
        assert_eq!(
            Stage::Staging.secret_id(SecretKind::MercadoPago),
            "postech/staging/mercadopago"
        );
        assert_eq!("production".parse::<Stage>().ok(), Some(Stage::Production));
        assert!("prod".parse::<Stage>().is_err());
    }

    #[test]
    fn malformed_json_error_does_not_quote_the_value() {
        let error = parse_secret_json::<JwtSigningKeySecret>(
            r#"{"kid": "k1", "private_key_pem": 987654, "public_key_pem": "p"}"#,
            "postech/staging/jwt-signing-key",
        )
        .expect_err("a number is not a PEM");
        let message = error.to_string();
        assert!(
            message.contains("postech/staging/jwt-signing-key"),
            "{message}"
        );
        assert!(!message.contains("987654"), "{message}");
    }

    #[test]
    fn missing_field_error_names_the_field() {
        let error = parse_secret_json::<MercadoPagoSecret>(r#"{"access_token": "t"}"#, "mp")
            .expect_err("webhook_secret is required");
        assert!(error.to_string().contains("webhook_secret"), "{error}");
    }
}
