//! The key `authenticate` signs with.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use postech_shared_sdk::secrets::{CachedSecret, EnvSource, JwtSigningKeySecret, load_secret};
use postech_shared_sdk::token::TokenIssuer;
use secrecy::ExposeSecret;

use super::KeyError;

/// The current signing key as a ready [`TokenIssuer`].
///
/// The secret is a [`CachedSecret`] (re-read every refresh interval); the issuer, whose PEM
/// parsing is the costly part, is rebuilt only when the secret's `kid` changes.
pub struct SigningKeys {
    secret: CachedSecret<JwtSigningKeySecret>,
    current: RwLock<Option<Arc<TokenIssuer>>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SigningKeys")
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// Resolves the key as the architecture prescribes — `JWT_SIGNING_KEY_SECRET_ID` from
    /// Secrets Manager, else `JWT_KEY_ID`/`JWT_PRIVATE_KEY_PEM`/`JWT_PUBLIC_KEY_PEM` — and
    /// checks it is usable now, so a bad key fails the cold start rather than the first login.
    pub async fn load(
        env: &dyn EnvSource,
        sdk_config: &aws_config::SdkConfig,
        refresh: Duration,
    ) -> Result<Self, KeyError> {
        let secret = load_secret::<JwtSigningKeySecret>(env, sdk_config, refresh).await?;
        Self::from_secret(secret).await
    }

    /// Wraps an already resolved secret, checking its key is usable.
    pub async fn from_secret(secret: CachedSecret<JwtSigningKeySecret>) -> Result<Self, KeyError> {
        let keys = Self {
            secret,
            current: RwLock::new(None),
        };
        keys.issuer().await?;
        Ok(keys)
    }

    /// The issuer for the secret's current key.
    pub async fn issuer(&self) -> Result<Arc<TokenIssuer>, KeyError> {
        let key = self.secret.get().await?;
        if let Some(issuer) = self.cached_issuer(&key.kid) {
            return Ok(issuer);
        }
        let issuer = Arc::new(TokenIssuer::from_pem(
            &key.kid,
            key.private_key_pem.expose_secret(),
        )?);
        tracing::info!(kid = %key.kid, "signing with key");
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&issuer));
        Ok(issuer)
    }

    fn cached_issuer(&self, kid: &str) -> Option<Arc<TokenIssuer>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|issuer| issuer.kid() == kid)
            .map(Arc::clone)
    }
}
