//! The signing-key and Mercado Pago secrets.

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

use super::{EnvSource, SecretKind, SecretsError, TypedSecret, optional_env, required_env};
use crate::token::SigningKeyMaterial;

/// The Ed25519 key pair that signs tokens (`postech/<stage>/jwt-signing-key`).
///
/// Only the auth function needs this; verifiers should load [`JwtVerificationKeySecret`].
#[derive(Debug, Clone, Deserialize)]
pub struct JwtSigningKeySecret {
    /// The key id, sent as the token header's `kid`.
    pub kid: String,
    /// PKCS#8 PEM of the private key.
    pub private_key_pem: SecretString,
    /// SPKI PEM of the public key.
    pub public_key_pem: String,
}

impl TypedSecret for JwtSigningKeySecret {
    const KIND: SecretKind = SecretKind::JwtSigningKey;

    /// `JWT_KEY_ID`, `JWT_PRIVATE_KEY_PEM`, `JWT_PUBLIC_KEY_PEM`.
    fn from_plain_env(env: &dyn EnvSource) -> Result<Self, SecretsError> {
        Ok(Self {
            kid: required_env(env, Self::KIND, "JWT_KEY_ID")?,
            private_key_pem: required_env(env, Self::KIND, "JWT_PRIVATE_KEY_PEM")?.into(),
            public_key_pem: required_env(env, Self::KIND, "JWT_PUBLIC_KEY_PEM")?,
        })
    }
}

/// The key pair as [`TokenIssuer::from_material`](crate::token::TokenIssuer::from_material)
/// takes it.
impl From<JwtSigningKeySecret> for SigningKeyMaterial {
    fn from(secret: JwtSigningKeySecret) -> Self {
        Self {
            kid: secret.kid,
            private_key_pem: secret.private_key_pem,
            public_key_pem: secret.public_key_pem,
        }
    }
}

/// The public half of the signing key (`postech/<stage>/jwt-verification-key`), for processes
/// that only verify tokens (the app, the authorizer); from the environment it needs only
/// `JWT_KEY_ID` and `JWT_PUBLIC_KEY_PEM`. Parsing a [`JwtSigningKeySecret`] document as this
/// type drops its private key.
/// [`VerificationKeyRing`](super::VerificationKeyRing) keeps such keys in step with rotations.
#[derive(Debug, Clone, Deserialize)]
pub struct JwtVerificationKeySecret {
    /// The key id tokens must carry in their `kid` header.
    pub kid: String,
    /// SPKI PEM of the public key.
    pub public_key_pem: String,
}

impl TypedSecret for JwtVerificationKeySecret {
    const KIND: SecretKind = SecretKind::JwtVerificationKey;

    /// `JWT_KEY_ID`, `JWT_PUBLIC_KEY_PEM`.
    fn from_plain_env(env: &dyn EnvSource) -> Result<Self, SecretsError> {
        Ok(Self {
            kid: required_env(env, Self::KIND, "JWT_KEY_ID")?,
            public_key_pem: required_env(env, Self::KIND, "JWT_PUBLIC_KEY_PEM")?,
        })
    }
}

/// Mercado Pago credentials (`postech/<stage>/mercadopago`).
#[derive(Debug, Clone, Deserialize)]
pub struct MercadoPagoSecret {
    /// Bearer token of the Mercado Pago API.
    pub access_token: SecretString,
    /// Key of the `x-signature` HMAC of the webhook.
    pub webhook_secret: SecretString,
    /// The collector (seller) id of the QR-code order API, if the deployment uses it.
    #[serde(default, deserialize_with = "optional_string_or_number")]
    pub user_id: Option<String>,
    /// The point-of-sale id the QR codes are attached to, if the deployment uses it.
    #[serde(default)]
    pub external_pos_id: Option<String>,
    /// Another API base URL than `https://api.mercadopago.com`, e.g. the local simulator.
    #[serde(default)]
    pub api_base_url: Option<String>,
}

impl TypedSecret for MercadoPagoSecret {
    const KIND: SecretKind = SecretKind::MercadoPago;

    /// `MERCADOPAGO_ACCESS_TOKEN`, `MERCADOPAGO_WEBHOOK_SECRET`, and optionally
    /// `MERCADOPAGO_USER_ID`, `MERCADOPAGO_EXTERNAL_POS_ID`, `MERCADOPAGO_API_BASE_URL`.
    fn from_plain_env(env: &dyn EnvSource) -> Result<Self, SecretsError> {
        Ok(Self {
            access_token: required_env(env, Self::KIND, "MERCADOPAGO_ACCESS_TOKEN")?.into(),
            webhook_secret: required_env(env, Self::KIND, "MERCADOPAGO_WEBHOOK_SECRET")?.into(),
            user_id: optional_env(env, "MERCADOPAGO_USER_ID"),
            external_pos_id: optional_env(env, "MERCADOPAGO_EXTERNAL_POS_ID"),
            api_base_url: optional_env(env, "MERCADOPAGO_API_BASE_URL"),
        })
    }
}

/// Mercado Pago shows user ids as numbers; accept them stored either way.
fn optional_string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        Number(u64),
    }
    Ok(
        Option::<Text>::deserialize(deserializer)?.map(|text| match text {
            Text::String(text) => text,
            Text::Number(number) => number.to_string(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;
    use crate::secrets::parse_secret_json;

    fn env_of(pairs: &[(&str, &str)]) -> impl EnvSource + use<> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        move |name: &str| vars.get(name).cloned()
    }

    #[test]
    fn signing_key_from_env_reads_the_three_variables() {
        let env = env_of(&[
            ("JWT_KEY_ID", "local-1"),
            ("JWT_PRIVATE_KEY_PEM", "private"),
            ("JWT_PUBLIC_KEY_PEM", "public"),
        ]);
        let key = JwtSigningKeySecret::from_plain_env(&env).expect("all variables set");
        assert_eq!(key.kid, "local-1");
        assert_eq!(key.private_key_pem.expose_secret(), "private");
        assert_eq!(key.public_key_pem, "public");
    }

    #[test]
    fn missing_variable_is_named_with_the_secret_id_alternative() {
        let env = env_of(&[("JWT_KEY_ID", "local-1"), ("JWT_PRIVATE_KEY_PEM", "")]);
        let error = JwtSigningKeySecret::from_plain_env(&env).expect_err("private key is empty");
        let message = error.to_string();
        assert!(message.contains("JWT_PRIVATE_KEY_PEM"), "{message}");
        assert!(message.contains("JWT_SIGNING_KEY_SECRET_ID"), "{message}");
    }

    #[test]
    fn verifiers_need_no_private_key() {
        let env = env_of(&[("JWT_KEY_ID", "k"), ("JWT_PUBLIC_KEY_PEM", "public")]);
        let key = JwtVerificationKeySecret::from_plain_env(&env).expect("public half is enough");
        assert_eq!(key.kid, "k");
    }

    #[test]
    fn mercadopago_accepts_numeric_user_id_and_never_debug_prints_tokens() {
        let secret: MercadoPagoSecret = parse_secret_json(
            r#"{"access_token": "APP_USR-token-value", "webhook_secret": "hook-value", "user_id": 123456}"#,
            "mp",
        )
        .expect("valid secret");
        assert_eq!(secret.user_id.as_deref(), Some("123456"));
        assert_eq!(secret.external_pos_id, None);
        let debug = format!("{secret:?}");
        assert!(!debug.contains("token-value"), "{debug}");
        assert!(!debug.contains("hook-value"), "{debug}");
    }
}
