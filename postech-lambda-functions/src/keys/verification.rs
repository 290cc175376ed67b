//! The keys `validate_jwt` verifies tokens with: public keys only.

use std::time::Duration;

use postech_shared_sdk::secrets::{
    EnvSource, JwtVerificationKeySecret, KeyRingError, VerificationKeyRing,
};

/// Names the `jwt-verification-key` secret (`{kid, public_key_pem}`, no private key).
pub const VERIFICATION_KEY_SECRET_ID: &str = "JWT_VERIFICATION_KEY_SECRET_ID";

/// Names the `jwt-signing-key` secret, which holds the private key: never read here.
const SIGNING_KEY_SECRET_ID: &str = "JWT_SIGNING_KEY_SECRET_ID";

/// Why the verification keys could not be resolved. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum VerificationKeysError {
    /// Only the signing-key secret was named: a verifier must not hold the private key.
    #[error(
        "{SIGNING_KEY_SECRET_ID} is set but {VERIFICATION_KEY_SECRET_ID} is not: token verification reads the public keys only, from postech/<stage>/jwt-verification-key; set {VERIFICATION_KEY_SECRET_ID} to it"
    )]
    SigningKeyOffered,
    /// Neither the secret nor the plain variables are set.
    #[error(
        "environment variable {0} is not set; set it (with JWT_KEY_ID and JWT_PUBLIC_KEY_PEM), or set {VERIFICATION_KEY_SECRET_ID} to read the keys from AWS Secrets Manager"
    )]
    Missing(&'static str),
    /// The secret could not be read, or a key is unusable.
    #[error(transparent)]
    KeyRing(#[from] KeyRingError),
}

/// Resolves the verification keys: from the `jwt-verification-key` secret named by
/// `JWT_VERIFICATION_KEY_SECRET_ID` (its current and previous versions, re-read every
/// `refresh` and on a token naming an unknown `kid`, so a rotation needs no redeploy), else
/// the one fixed key of `JWT_KEY_ID` + `JWT_PUBLIC_KEY_PEM` (local runs).
///
/// `JWT_SIGNING_KEY_SECRET_ID` alone is refused rather than followed: that secret holds the
/// private key, which a verifier must neither need nor be allowed to read.
pub async fn load_verification_keys(
    env: &dyn EnvSource,
    sdk_config: &aws_config::SdkConfig,
    refresh: Duration,
) -> Result<VerificationKeyRing, VerificationKeysError> {
    if let Some(secret_id) = non_empty(env, VERIFICATION_KEY_SECRET_ID) {
        let client = aws_sdk_secretsmanager::Client::new(sdk_config);
        return Ok(VerificationKeyRing::from_secrets_manager(client, secret_id, refresh).await?);
    }
    if non_empty(env, SIGNING_KEY_SECRET_ID).is_some() {
        return Err(VerificationKeysError::SigningKeyOffered);
    }
    let key = JwtVerificationKeySecret {
        kid: non_empty(env, "JWT_KEY_ID").ok_or(VerificationKeysError::Missing("JWT_KEY_ID"))?,
        public_key_pem: non_empty(env, "JWT_PUBLIC_KEY_PEM")
            .ok_or(VerificationKeysError::Missing("JWT_PUBLIC_KEY_PEM"))?,
    };
    VerificationKeyRing::fixed(&key).map_err(|error| match error {
        KeyRingError::Material { source, .. } => KeyRingError::Material {
            origin: "JWT_KEY_ID and JWT_PUBLIC_KEY_PEM".into(),
            source,
        }
        .into(),
        other => other.into(),
    })
}

/// Empty means "not configured" (templates and manifests often declare variables empty).
fn non_empty(env: &dyn EnvSource, variable: &str) -> Option<String> {
    env.var(variable).filter(|value| !value.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use postech_shared_sdk::token::SigningKeyMaterial;

    use super::*;

    /// Never called: these tests resolve from the environment or fail before any AWS call.
    fn offline_sdk_config() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    #[tokio::test]
    async fn the_signing_key_secret_alone_is_refused() {
        let env = |name: &str| (name == SIGNING_KEY_SECRET_ID).then(|| "postech/x/k".to_owned());
        let error = load_verification_keys(&env, &offline_sdk_config(), Duration::from_secs(60))
            .await
            .expect_err("a verifier must not be pointed at the private key");
        assert!(matches!(error, VerificationKeysError::SigningKeyOffered));
        assert!(
            error.to_string().contains(VERIFICATION_KEY_SECRET_ID),
            "{error}"
        );
    }

    #[tokio::test]
    async fn plain_variables_give_one_fixed_key() {
        let key = SigningKeyMaterial::generate("local-1");
        let pem = key.public_key_pem.clone();
        let env = move |name: &str| match name {
            "JWT_KEY_ID" => Some("local-1".to_owned()),
            "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
            VERIFICATION_KEY_SECRET_ID => Some(" ".to_owned()),
            _ => None,
        };
        let ring = load_verification_keys(&env, &offline_sdk_config(), Duration::from_secs(60))
            .await
            .expect("a usable key");
        assert_eq!(ring.secret_id(), None);
        assert_eq!(ring.key_ids(), ["local-1"]);
    }

    #[tokio::test]
    async fn an_unusable_plain_key_names_the_variables() {
        let env = |name: &str| match name {
            "JWT_KEY_ID" => Some("k1".to_owned()),
            "JWT_PUBLIC_KEY_PEM" => Some("not a PEM".to_owned()),
            _ => None,
        };
        let error = load_verification_keys(&env, &offline_sdk_config(), Duration::from_secs(60))
            .await
            .expect_err("unusable key");
        assert!(error.to_string().contains("JWT_PUBLIC_KEY_PEM"), "{error}");
    }

    #[tokio::test]
    async fn a_missing_plain_variable_is_named_with_the_secret_alternative() {
        let env = |name: &str| (name == "JWT_KEY_ID").then(|| "k1".to_owned());
        let error = load_verification_keys(&env, &offline_sdk_config(), Duration::from_secs(60))
            .await
            .expect_err("no public key");
        let message = error.to_string();
        assert!(message.contains("JWT_PUBLIC_KEY_PEM"), "{message}");
        assert!(message.contains(VERIFICATION_KEY_SECRET_ID), "{message}");
    }
}
