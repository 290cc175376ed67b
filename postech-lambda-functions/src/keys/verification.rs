//! The keys `validate_jwt` verifies with.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use postech_shared_sdk::secrets::{
    EnvSource, JwtVerificationKeySecret, SecretKind, SecretsError, TypedSecret,
};
use postech_shared_sdk::token::{TokenError, TokenVerifier, VerifiedToken};
use tokio::time::Instant;

use super::KeyError;

/// How many keys stay trusted: the current one and the ones before it, so tokens signed just
/// before a rotation keep working until they expire (8 h at most).
pub const KEPT_KEYS: usize = 3;

/// A token naming a key we do not know triggers a re-read of the secret (it may have just
/// been rotated), but such re-reads happen at most this often: forged `kid`s must not turn
/// into a flood of Secrets Manager calls.
const UNKNOWN_KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// The version stages Secrets Manager moves on every new value.
const CURRENT_STAGE: &str = "AWSCURRENT";
const PREVIOUS_STAGE: &str = "AWSPREVIOUS";

/// The public keys tokens are verified with, kept in step with the signing-key secret.
///
/// Holds only public keys: the private key in the secret is parsed away on every read.
pub struct VerificationKeys {
    source: Source,
    refresh: Duration,
    ring: RwLock<KeyRing>,
    refreshing: tokio::sync::Mutex<()>,
}

enum Source {
    /// From plain environment variables (local runs): never changes.
    Fixed,
    SecretsManager {
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
    },
}

struct KeyRing {
    /// `(kid, public key PEM)`, oldest first.
    keys: Vec<(String, String)>,
    verifier: Arc<TokenVerifier>,
    read_at: Instant,
    /// The last re-read caused by an unknown `kid`.
    unknown_key_read_at: Option<Instant>,
}

impl std::fmt::Debug for VerificationKeys {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("VerificationKeys")
            .field("key_ids", &self.key_ids())
            .field("refresh", &self.refresh)
            .finish_non_exhaustive()
    }
}

impl VerificationKeys {
    /// Resolves the keys as the architecture prescribes: from Secrets Manager when
    /// `JWT_SIGNING_KEY_SECRET_ID` is set (its current and previous versions), else from
    /// `JWT_KEY_ID` and `JWT_PUBLIC_KEY_PEM`.
    pub async fn load(
        env: &dyn EnvSource,
        sdk_config: &aws_config::SdkConfig,
        refresh: Duration,
    ) -> Result<Self, KeyError> {
        let secret_id = env
            .var(SecretKind::JwtSigningKey.secret_id_env_var())
            .filter(|value| !value.trim().is_empty());
        match secret_id {
            Some(secret_id) => {
                let client = aws_sdk_secretsmanager::Client::new(sdk_config);
                Self::from_secrets_manager(client, secret_id, refresh).await
            }
            None => Self::fixed(&JwtVerificationKeySecret::from_plain_env(env)?),
        }
    }

    /// Keys that never change.
    pub fn fixed(key: &JwtVerificationKeySecret) -> Result<Self, KeyError> {
        Self::with_ring(Source::Fixed, Duration::MAX, vec![pair(key)])
    }

    /// Keys read from the secret now (current version, and the previous one when there is
    /// one) and re-read every `refresh`.
    pub async fn from_secrets_manager(
        client: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
        refresh: Duration,
    ) -> Result<Self, KeyError> {
        let secret_id = secret_id.into();
        let current = fetch(&client, &secret_id, CURRENT_STAGE)
            .await?
            .ok_or_else(|| SecretsError::Fetch {
                secret_id: secret_id.clone(),
                reason: "the secret has no current version".into(),
            })?;
        let mut keys = Vec::with_capacity(2);
        // A previous version that cannot be read only costs the tokens of the old key.
        match fetch(&client, &secret_id, PREVIOUS_STAGE).await {
            Ok(Some(previous)) if previous.kid != current.kid => keys.push(pair(&previous)),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "previous signing key unavailable"),
        }
        keys.push(pair(&current));
        Self::with_ring(Source::SecretsManager { client, secret_id }, refresh, keys)
    }

    fn with_ring(
        source: Source,
        refresh: Duration,
        keys: Vec<(String, String)>,
    ) -> Result<Self, KeyError> {
        let verifier = Arc::new(TokenVerifier::from_public_pems(keys.iter().cloned())?);
        Ok(Self {
            source,
            refresh,
            ring: RwLock::new(KeyRing {
                keys,
                verifier,
                read_at: Instant::now(),
                unknown_key_read_at: None,
            }),
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// Verifies a token with the known keys; a token naming an unknown key first makes the
    /// secret be re-read (at most every few seconds), in case the key was just rotated.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        if self.is_older_than(self.refresh) {
            self.reread(ReadCause::Schedule).await;
        }
        match self.verifier().verify(token) {
            Err(TokenError::UnknownKey) => {
                self.reread(ReadCause::UnknownKey).await;
                // Verify again even when this call did not read: a concurrent one may have
                // added the key while we waited for it.
                self.verifier().verify(token)
            }
            verified => verified,
        }
    }

    /// The trusted key ids, oldest first.
    pub fn key_ids(&self) -> Vec<String> {
        self.read_ring()
            .keys
            .iter()
            .map(|(kid, _)| kid.clone())
            .collect()
    }

    fn verifier(&self) -> Arc<TokenVerifier> {
        Arc::clone(&self.read_ring().verifier)
    }

    fn read_ring(&self) -> std::sync::RwLockReadGuard<'_, KeyRing> {
        self.ring.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_older_than(&self, age: Duration) -> bool {
        self.read_ring().read_at.elapsed() >= age
    }

    /// Re-reads the secret when `cause` still calls for it once the read lock is held. A
    /// failed read keeps the known keys and counts as a read, so the next attempt waits.
    async fn reread(&self, cause: ReadCause) {
        let Source::SecretsManager { client, secret_id } = &self.source else {
            return;
        };
        let _one_read_at_a_time = self.refreshing.lock().await;
        let due = {
            let ring = self.read_ring();
            match cause {
                ReadCause::Schedule => ring.read_at.elapsed() >= self.refresh,
                ReadCause::UnknownKey => ring
                    .unknown_key_read_at
                    .is_none_or(|at| at.elapsed() >= UNKNOWN_KEY_REFETCH_INTERVAL),
            }
        };
        if !due {
            return;
        }
        let fetched = fetch(client, secret_id, CURRENT_STAGE).await;
        let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        ring.read_at = now;
        if cause == ReadCause::UnknownKey {
            ring.unknown_key_read_at = Some(now);
        }
        match fetched {
            Ok(Some(current)) => ring.add(pair(&current)),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "key refresh failed; keeping the known keys"),
        }
    }
}

/// Why the secret is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadCause {
    /// The refresh interval passed.
    Schedule,
    /// A token named a key id we do not trust (yet).
    UnknownKey,
}

impl KeyRing {
    fn add(&mut self, (kid, pem): (String, String)) {
        if self.keys.iter().any(|(known, _)| *known == kid) {
            return;
        }
        let mut keys = self.keys.clone();
        keys.push((kid.clone(), pem));
        if keys.len() > KEPT_KEYS {
            keys.remove(0);
        }
        match TokenVerifier::from_public_pems(keys.iter().cloned()) {
            Ok(verifier) => {
                tracing::info!(%kid, "trusting new signing key");
                self.keys = keys;
                self.verifier = Arc::new(verifier);
            }
            Err(error) => {
                tracing::error!(%kid, %error, "new signing key is unusable; keeping the known keys");
            }
        }
    }
}

fn pair(key: &JwtVerificationKeySecret) -> (String, String) {
    (key.kid.clone(), key.public_key_pem.clone())
}

/// One version of the secret; `Ok(None)` when that version stage does not exist.
async fn fetch(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    version_stage: &str,
) -> Result<Option<JwtVerificationKeySecret>, SecretsError> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .version_stage(version_stage)
        .send()
        .await;
    let output = match output {
        Ok(output) => output,
        Err(error)
            if error.code() == Some("ResourceNotFoundException")
                && version_stage != CURRENT_STAGE =>
        {
            return Ok(None);
        }
        Err(error) => {
            return Err(SecretsError::Fetch {
                secret_id: secret_id.to_owned(),
                reason: DisplayErrorContext(&error).to_string(),
            });
        }
    };
    let text = output
        .secret_string()
        .ok_or_else(|| SecretsError::NotText {
            secret_id: secret_id.to_owned(),
        })?;
    // serde_json's messages can quote the offending value, and the document holds the
    // private key: report positions only.
    serde_json::from_str(text)
        .map(Some)
        .map_err(|error| SecretsError::Malformed {
            source_name: secret_id.to_owned(),
            reason: if error.to_string().starts_with("missing field") {
                error.to_string()
            } else {
                format!(
                    "invalid JSON at line {} column {}",
                    error.line(),
                    error.column()
                )
            },
        })
}
