//! Usernames in logs as a keyed hash, never as typed.
//!
//! What is typed into the admin login may be a customer's CPF (their Cognito username), an
//! admin's name or a password typed into the wrong field. Logs show
//! `hmac-sha256:<first 16 hex digits>` of it under a key of this deployment: the same
//! username always gives the same pseudonym (an operator can follow one account's failures
//! and, holding the key, check whether a given username is the one), while a log reader
//! without the key cannot test the ten million candidates a CPF's check digits leave.
//!
//! The key comes from Secrets Manager (`LOG_HASH_KEY_SECRET_ID`: a generated random string,
//! `infra/signing-key.yml`) or, for local runs, `LOG_HASH_KEY`; there is no default.

use secrecy::{ExposeSecret, SecretString};

use crate::config::ConfigError;
use postech_shared_sdk::secrets::EnvSource;

/// Shortest key accepted: 128 bits of a random base64 or hex string.
pub const MIN_KEY_LENGTH: usize = 32;

/// Turns usernames into their log pseudonyms.
#[derive(Clone)]
pub struct LogPseudonyms {
    key: SecretString,
}

impl std::fmt::Debug for LogPseudonyms {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LogPseudonyms")
            .finish_non_exhaustive()
    }
}

/// Why the pseudonym key is unusable.
#[derive(Debug, thiserror::Error)]
pub enum PseudonymKeyError {
    /// Neither variable is set, or the key is too short.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The secret could not be read.
    #[error("the log hash key secret could not be read: {0}")]
    Secret(String),
}

impl LogPseudonyms {
    /// Pseudonyms under `key` (at least [`MIN_KEY_LENGTH`] characters).
    pub fn new(key: SecretString) -> Result<Self, ConfigError> {
        if key.expose_secret().trim().len() < MIN_KEY_LENGTH {
            return Err(ConfigError::Invalid {
                variable: "LOG_HASH_KEY",
                reason: format!("the key must have at least {MIN_KEY_LENGTH} characters"),
            });
        }
        Ok(Self { key })
    }

    /// The key from `LOG_HASH_KEY_SECRET_ID` (Secrets Manager, read once at cold start: a
    /// new key only changes pseudonyms from then on), else `LOG_HASH_KEY`.
    pub async fn load(
        env: &dyn EnvSource,
        sdk_config: &aws_config::SdkConfig,
    ) -> Result<Self, PseudonymKeyError> {
        let from_secret = env
            .var("LOG_HASH_KEY_SECRET_ID")
            .filter(|id| !id.trim().is_empty());
        let key = match from_secret {
            Some(secret_id) => {
                let value = aws_sdk_secretsmanager::Client::new(sdk_config)
                    .get_secret_value()
                    .secret_id(&secret_id)
                    .send()
                    .await
                    .map_err(|error| {
                        PseudonymKeyError::Secret(
                            aws_sdk_secretsmanager::error::DisplayErrorContext(error).to_string(),
                        )
                    })?;
                value
                    .secret_string()
                    .map(|text| SecretString::from(text.to_owned()))
                    .ok_or_else(|| PseudonymKeyError::Secret("not a text secret".to_owned()))?
            }
            None => env
                .var("LOG_HASH_KEY")
                .filter(|key| !key.trim().is_empty())
                .map(SecretString::from)
                .ok_or(ConfigError::Missing(
                    "LOG_HASH_KEY_SECRET_ID or LOG_HASH_KEY",
                ))?,
        };
        Ok(Self::new(key)?)
    }

    /// `hmac-sha256:` and the first 16 hex digits (64 bits) of HMAC-SHA256(key, username).
    ///
    /// ```
    /// use postech_lambda_functions::log_pseudonym::LogPseudonyms;
    ///
    /// let key = uuid::Uuid::new_v4().simple().to_string();
    /// let pseudonyms = LogPseudonyms::new(key.into()).unwrap();
    /// let logged = pseudonyms.username("529.982.247-25");
    /// assert!(logged.starts_with("hmac-sha256:") && !logged.contains("247"));
    /// assert_eq!(logged, pseudonyms.username("529.982.247-25"));
    /// ```
    pub fn username(&self, username: &str) -> String {
        let mac = hmac_sha256::HMAC::mac(username.as_bytes(), self.key.expose_secret().as_bytes());
        let hex: String = mac[..8].iter().map(|byte| format!("{byte:02x}")).collect();
        format!("hmac-sha256:{hex}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated_key() -> SecretString {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
        .into()
    }

    #[test]
    fn one_username_gives_one_pseudonym_under_one_key_and_another_under_another() {
        let first = LogPseudonyms::new(generated_key()).expect("key");
        let second = LogPseudonyms::new(generated_key()).expect("key");
        assert_eq!(first.username("gerente"), first.username("gerente"));
        assert_ne!(first.username("gerente"), first.username("caixa"));
        assert_ne!(first.username("gerente"), second.username("gerente"));
    }

    #[test]
    fn the_pseudonym_shows_nothing_of_the_username() {
        let pseudonyms = LogPseudonyms::new(generated_key()).expect("key");
        for typed in ["52998224725", "529.982.247-25", "gerente"] {
            let logged = pseudonyms.username(typed);
            assert!(!logged.contains(typed), "{logged}");
            let hex = logged.strip_prefix("hmac-sha256:").expect("prefixed");
            assert_eq!(hex.len(), 16, "{logged}");
            assert!(
                hex.chars().all(|digit| digit.is_ascii_hexdigit()),
                "{logged}"
            );
        }
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(LogPseudonyms::new("short".to_owned().into()).is_err());
    }
}
