//! The public keys tokens are verified with, kept in step with the verification-key secret.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use tokio::time::Instant;

use super::{
    EnvSource, JwtVerificationKeySecret, SecretKind, SecretsError, TypedSecret, env,
    parse_secret_json,
};
use crate::token::{TokenError, TokenVerifier, VerifiedToken};

/// The version stages Secrets Manager moves on every new value: the new value becomes
/// `AWSCURRENT`, the one it replaces `AWSPREVIOUS`.
const CURRENT_STAGE: &str = "AWSCURRENT";
const PREVIOUS_STAGE: &str = "AWSPREVIOUS";

/// Where [`VerificationKeyRing::load`] found a fixed key, for error messages.
const PLAIN_VARIABLES: &str = "JWT_KEY_ID and JWT_PUBLIC_KEY_PEM";

/// Why a [`VerificationKeyRing`] could not be built. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    /// The secret could not be read or parsed, or a plain variable is missing.
    #[error(transparent)]
    Secret(#[from] SecretsError),
    /// Only the signing-key secret was named: it holds the private key, which a verifier must
    /// neither need nor be allowed to read.
    #[error(
        "JWT_SIGNING_KEY_SECRET_ID is set but JWT_VERIFICATION_KEY_SECRET_ID is not: tokens are verified with the public keys of postech/<stage>/jwt-verification-key; set JWT_VERIFICATION_KEY_SECRET_ID to it"
    )]
    SigningKeyOffered,
    /// A key was read but cannot verify tokens (not an Ed25519 public key PEM, empty key id).
    #[error("the JWT verification key from {origin} is unusable: {source}")]
    Material {
        /// The secret id or the variables the key came from.
        origin: String,
        /// What is wrong with it.
        source: TokenError,
    },
}

/// The public keys tokens are verified with, kept in step with the `jwt-verification-key`
/// secret (the public halves of the signing keys), so a key rotation reaches a running
/// verifier (the app, the authorizer) without a restart.
///
/// Backed by Secrets Manager, the ring starts with the secret's current key and its previous
/// one (version stages `AWSCURRENT` and `AWSPREVIOUS`), then adds the current key again:
///
/// * every `refresh_interval`, when a token is verified;
/// * at once when a token names a `kid` the ring does not know (the secret may just have been
///   rotated), but at most every [`unknown-kid re-read
///   interval`](Self::with_unknown_kid_reread_interval), so forged `kid`s cannot turn into a
///   flood of Secrets Manager calls.
///
/// Keys are never dropped on a re-read, only when more than [`KEPT_KEYS`](Self::KEPT_KEYS)
/// were seen (the oldest goes): tokens signed just before a rotation keep working until they
/// expire. A failed re-read keeps the known keys. Built from plain variables
/// ([`fixed`](Self::fixed)) the ring holds one key and never changes.
///
/// Only public keys are kept: should a secret hold a private key too, it is parsed away on
/// every read.
///
/// **Revocation.** The secret's current version may also carry `revoked_kids` (key ids no
/// longer trusted: an emergency rotation after a key leak) and `revoked_jtis`
/// (`[{"jti", "until"}]`: single tokens, e.g. a stolen admin token), and `previous_keys`
/// (`[{"kid", "public_key_pem"}]`, which a revocation write carries so that the key before
/// the current one survives as `AWSPREVIOUS` moves). Every verifier re-reads the secret at
/// least every [`MAX_REVOCATION_DELAY`](Self::MAX_REVOCATION_DELAY), whatever refresh interval
/// it was given, so a revocation is honoured by the app and the authorizer within that bound;
/// a revoked key is dropped from the ring and never re-added, a token with a revoked `jti`
/// or `kid` is refused with [`TokenError::Revoked`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use postech_shared_sdk::secrets::{JwtVerificationKeySecret, VerificationKeyRing};
/// use postech_shared_sdk::token::{Role, SigningKeyMaterial, TokenError, TokenIssuer};
///
/// let key = SigningKeyMaterial::generate("2025-01");
/// let ring = VerificationKeyRing::fixed(&JwtVerificationKeySecret {
///     kid: key.kid.clone(),
///     public_key_pem: key.public_key_pem.clone(),
/// })?;
/// let token = TokenIssuer::from_material(&key)?.issue_admin("gerente")?.access_token;
/// assert_eq!(ring.verify(&token).await?.role, Role::Admin);
///
/// let other = SigningKeyMaterial::generate("never-configured");
/// let foreign = TokenIssuer::from_material(&other)?.issue_admin("gerente")?.access_token;
/// assert_eq!(ring.verify(&foreign).await, Err(TokenError::UnknownKey));
/// # Ok(())
/// # }
/// ```
pub struct VerificationKeyRing {
    source: Source,
    refresh_interval: Duration,
    unknown_kid_reread_interval: Duration,
    ring: RwLock<Ring>,
    revocations: RwLock<Revocations>,
    /// One re-read at a time: tasks that need one while another runs wait for its result
    /// instead of calling Secrets Manager too.
    rereading: tokio::sync::Mutex<()>,
}

enum Source {
    /// From plain environment variables (local runs): never changes.
    Fixed,
    SecretsManager {
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
    },
}

struct Ring {
    /// `(kid, public key PEM)`, oldest first.
    keys: Vec<(String, String)>,
    verifier: Arc<TokenVerifier>,
    read_at: Instant,
    /// The last re-read caused by an unknown `kid`.
    unknown_kid_read_at: Option<Instant>,
}

/// What the secret's current version revokes.
#[derive(Debug, Default, Clone)]
struct Revocations {
    kids: HashSet<String>,
    jtis: HashSet<String>,
}

/// The revocation part of the verification-key secret, beside `kid` and `public_key_pem`.
#[derive(Debug, Default, serde::Deserialize)]
struct RevocationDocument {
    #[serde(default)]
    revoked_kids: Vec<String>,
    #[serde(default)]
    revoked_jtis: Vec<RevokedJti>,
    #[serde(default)]
    previous_keys: Vec<JwtVerificationKeySecret>,
}

#[derive(Debug, serde::Deserialize)]
struct RevokedJti {
    jti: String,
}

impl RevocationDocument {
    fn revocations(&self) -> Revocations {
        Revocations {
            kids: self.revoked_kids.iter().cloned().collect(),
            jtis: self
                .revoked_jtis
                .iter()
                .map(|entry| entry.jti.clone())
                .collect(),
        }
    }
}

/// Why the secret is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadCause {
    /// The refresh interval passed.
    Schedule,
    /// A token named a key id the ring does not trust (yet).
    UnknownKid,
}

impl fmt::Debug for VerificationKeyRing {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("VerificationKeyRing")
            .field("secret_id", &self.secret_id())
            .field("key_ids", &self.key_ids())
            .field("refresh_interval", &self.refresh_interval)
            .field(
                "unknown_kid_reread_interval",
                &self.unknown_kid_reread_interval,
            )
            .finish_non_exhaustive()
    }
}

impl VerificationKeyRing {
    /// How many keys stay trusted: the current one and the ones before it, so tokens signed
    /// before a rotation keep working until they expire (8 h at most), even across two
    /// quick rotations.
    pub const KEPT_KEYS: usize = 3;

    /// The least time between two re-reads caused by unknown `kid`s, unless
    /// [`with_unknown_kid_reread_interval`](Self::with_unknown_kid_reread_interval) says
    /// otherwise.
    pub const DEFAULT_UNKNOWN_KID_REREAD_INTERVAL: Duration = Duration::from_secs(5);

    /// The longest a revocation written to the secret goes unnoticed by a running verifier:
    /// a longer refresh interval is shortened to this.
    pub const MAX_REVOCATION_DELAY: Duration = Duration::from_secs(15);

    /// Resolves the keys: from Secrets Manager when `JWT_VERIFICATION_KEY_SECRET_ID` names the
    /// verification-key secret (its current and previous versions, re-read as described on
    /// the type), else the fixed key of `JWT_KEY_ID` and `JWT_PUBLIC_KEY_PEM` (local runs).
    ///
    /// `JWT_SIGNING_KEY_SECRET_ID` alone is refused ([`KeyRingError::SigningKeyOffered`])
    /// rather than followed: that secret holds the private key, and a verifier able to read
    /// it could mint tokens.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), postech_shared_sdk::secrets::KeyRingError> {
    /// use std::time::Duration;
    /// use postech_shared_sdk::secrets::{ProcessEnv, VerificationKeyRing};
    ///
    /// let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    /// let ring = VerificationKeyRing::load(&ProcessEnv, &sdk_config, Duration::from_secs(60)).await?;
    /// let verified = ring.verify("eyJ...").await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn load(
        env: &dyn EnvSource,
        sdk_config: &aws_config::SdkConfig,
        refresh_interval: Duration,
    ) -> Result<Self, KeyRingError> {
        let signing_key_offered =
            env::non_empty(env, SecretKind::JwtSigningKey.secret_id_env_var()).is_some();
        match env::non_empty(env, SecretKind::JwtVerificationKey.secret_id_env_var()) {
            Some(secret_id) => {
                let client =
                    aws_sdk_secretsmanager::Client::new(&crate::aws_timeouts::bounded(sdk_config));
                Self::from_secrets_manager(client, secret_id, refresh_interval).await
            }
            None if signing_key_offered => Err(KeyRingError::SigningKeyOffered),
            None => {
                let key = JwtVerificationKeySecret::from_plain_env(env)?;
                Self::with_keys(
                    Source::Fixed,
                    Duration::MAX,
                    vec![pair(&key)],
                    PLAIN_VARIABLES,
                )
            }
        }
    }

    /// A ring holding this one key forever.
    pub fn fixed(key: &JwtVerificationKeySecret) -> Result<Self, KeyRingError> {
        Self::with_keys(
            Source::Fixed,
            Duration::MAX,
            vec![pair(key)],
            "the fixed key",
        )
    }

    /// A ring read from the secret now (its current version, and the previous one when there
    /// is one) and re-read as described on the type. Fails when the current version cannot
    /// be read or holds an unusable key, so a wrong secret id stops the start.
    pub async fn from_secrets_manager(
        client: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
        refresh_interval: Duration,
    ) -> Result<Self, KeyRingError> {
        let secret_id = secret_id.into();
        let (current, document) = fetch(&client, &secret_id, CURRENT_STAGE)
            .await?
            .ok_or_else(|| SecretsError::Fetch {
                secret_id: secret_id.clone(),
                reason: "the secret has no current version".into(),
            })?;
        let revocations = document.revocations();
        let mut keys: Vec<(String, String)> = Vec::with_capacity(3);
        let mut trust = |key: &JwtVerificationKeySecret| {
            if key.kid != current.kid
                && !revocations.kids.contains(&key.kid)
                && !keys.iter().any(|(kid, _)| *kid == key.kid)
            {
                keys.push(pair(key));
            }
        };
        document.previous_keys.iter().for_each(&mut trust);
        // A previous version that cannot be read only costs the tokens of the old key.
        match fetch(&client, &secret_id, PREVIOUS_STAGE).await {
            Ok(Some((previous, _))) => trust(&previous),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "previous verification key unavailable"),
        }
        keys.push(pair(&current));
        let origin = secret_id.clone();
        let ring = Self::with_keys(
            Source::SecretsManager { client, secret_id },
            refresh_interval.min(Self::MAX_REVOCATION_DELAY),
            keys,
            &origin,
        )?;
        *ring
            .revocations
            .write()
            .unwrap_or_else(PoisonError::into_inner) = revocations;
        Ok(ring)
    }

    /// Sets the least time between two re-reads caused by tokens naming an unknown `kid`
    /// (default [`DEFAULT_UNKNOWN_KID_REREAD_INTERVAL`](Self::DEFAULT_UNKNOWN_KID_REREAD_INTERVAL)).
    /// `Duration::ZERO` re-reads for every such token: for tests, not for a service exposed
    /// to forged tokens. No effect on a fixed ring.
    #[must_use]
    pub fn with_unknown_kid_reread_interval(mut self, interval: Duration) -> Self {
        self.unknown_kid_reread_interval = interval;
        self
    }

    fn with_keys(
        source: Source,
        refresh_interval: Duration,
        keys: Vec<(String, String)>,
        origin: &str,
    ) -> Result<Self, KeyRingError> {
        let verifier = TokenVerifier::from_public_pems(keys.iter().cloned()).map_err(|error| {
            KeyRingError::Material {
                origin: origin.to_owned(),
                source: error,
            }
        })?;
        Ok(Self {
            source,
            refresh_interval,
            unknown_kid_reread_interval: Self::DEFAULT_UNKNOWN_KID_REREAD_INTERVAL,
            ring: RwLock::new(Ring {
                keys,
                verifier: Arc::new(verifier),
                read_at: Instant::now(),
                unknown_kid_read_at: None,
            }),
            revocations: RwLock::new(Revocations::default()),
            rereading: tokio::sync::Mutex::new(()),
        })
    }

    /// Verifies a token with the trusted keys (all the checks of [`TokenVerifier::verify`]).
    /// A token naming an unknown `kid` first makes the secret be re-read, in case the key
    /// was just rotated; it is refused with [`TokenError::UnknownKey`] when the key is still
    /// unknown or a re-read happened too recently. A token whose `jti` or `kid` the secret
    /// revokes is refused with [`TokenError::Revoked`].
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        if self.read_at().elapsed() >= self.refresh_interval {
            self.reread(ReadCause::Schedule).await;
        }
        let verified = match self.verifier().verify(token) {
            Err(TokenError::UnknownKey) => {
                self.reread(ReadCause::UnknownKid).await;
                // Verify again even when this call did not read: a concurrent one may have
                // added the key while this one waited for it.
                self.verifier().verify(token)
            }
            verified => verified,
        };
        let revocations = self
            .revocations
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let verified = match verified {
            // A dropped key reads as unknown; say why, for the logs.
            Err(TokenError::UnknownKey)
                if jwt_simple::token::Token::decode_metadata(token)
                    .ok()
                    .and_then(|metadata| metadata.key_id().map(str::to_owned))
                    .is_some_and(|kid| revocations.kids.contains(&kid)) =>
            {
                return Err(TokenError::Revoked);
            }
            other => other?,
        };
        if revocations.jtis.contains(&verified.jti) || revocations.kids.contains(&verified.kid) {
            return Err(TokenError::Revoked);
        }
        Ok(verified)
    }

    /// The trusted key ids, oldest first.
    pub fn key_ids(&self) -> Vec<String> {
        self.read_ring()
            .keys
            .iter()
            .map(|(kid, _)| kid.clone())
            .collect()
    }

    /// The Secrets Manager id the keys are read from, or `None` for a fixed ring.
    pub fn secret_id(&self) -> Option<&str> {
        match &self.source {
            Source::Fixed => None,
            Source::SecretsManager { secret_id, .. } => Some(secret_id),
        }
    }

    fn verifier(&self) -> Arc<TokenVerifier> {
        Arc::clone(&self.read_ring().verifier)
    }

    fn read_at(&self) -> Instant {
        self.read_ring().read_at
    }

    fn read_ring(&self) -> RwLockReadGuard<'_, Ring> {
        // The ring is replaced whole under the lock, so a panicking writer leaves it intact.
        self.ring.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Re-reads the secret when `cause` still calls for it once this task holds the re-read
    /// lock. A failed read keeps the known keys and counts as a read, so the next attempt
    /// waits for its interval.
    async fn reread(&self, cause: ReadCause) {
        let Source::SecretsManager { client, secret_id } = &self.source else {
            return;
        };
        let _one_read_at_a_time = match cause {
            // A scheduled re-read refreshes keys the ring already has: while one is under way
            // (or Secrets Manager hangs, up to the bounded call's timeout) every other request
            // verifies with the keys held instead of queueing behind it.
            ReadCause::Schedule => match self.rereading.try_lock() {
                Ok(guard) => guard,
                Err(_) => return,
            },
            ReadCause::UnknownKid => self.rereading.lock().await,
        };
        let due = {
            let ring = self.read_ring();
            match cause {
                ReadCause::Schedule => ring.read_at.elapsed() >= self.refresh_interval,
                ReadCause::UnknownKid => ring
                    .unknown_kid_read_at
                    .is_none_or(|at| at.elapsed() >= self.unknown_kid_reread_interval),
            }
        };
        if !due {
            return;
        }
        let fetched = fetch(client, secret_id, CURRENT_STAGE).await;
        let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        ring.read_at = now;
        if cause == ReadCause::UnknownKid {
            ring.unknown_kid_read_at = Some(now);
        }
        match fetched {
            Ok(Some((current, document))) => {
                let revocations = document.revocations();
                if !revocations.kids.contains(&current.kid) {
                    ring.add(pair(&current));
                }
                ring.revoke(&revocations.kids, &current.kid);
                drop(ring);
                *self
                    .revocations
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = revocations;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%secret_id, %error, "key refresh failed; keeping the known keys");
            }
        }
    }
}

impl Ring {
    /// Stops trusting the `revoked` key ids (never `current`, the key tokens are signed with
    /// now: revoking it would refuse every token).
    fn revoke(&mut self, revoked: &HashSet<String>, current: &str) {
        let keys: Vec<(String, String)> = self
            .keys
            .iter()
            .filter(|(kid, _)| kid == current || !revoked.contains(kid))
            .cloned()
            .collect();
        if keys.len() == self.keys.len() || keys.is_empty() {
            return;
        }
        match TokenVerifier::from_public_pems(keys.iter().cloned()) {
            Ok(verifier) => {
                let dropped: Vec<&str> = self
                    .keys
                    .iter()
                    .filter(|(kid, _)| !keys.iter().any(|(kept, _)| kept == kid))
                    .map(|(kid, _)| kid.as_str())
                    .collect();
                tracing::warn!(?dropped, "signing keys revoked");
                self.keys = keys;
                self.verifier = Arc::new(verifier);
            }
            Err(error) => tracing::error!(%error, "could not drop revoked keys"),
        }
    }

    /// Trusts one more key, forgetting the oldest beyond [`VerificationKeyRing::KEPT_KEYS`].
    /// A known `kid` changes nothing; an unusable key is logged and ignored.
    fn add(&mut self, (kid, pem): (String, String)) {
        if self.keys.iter().any(|(known, _)| *known == kid) {
            return;
        }
        let mut keys = self.keys.clone();
        keys.push((kid.clone(), pem));
        if keys.len() > VerificationKeyRing::KEPT_KEYS {
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

/// One version of the secret; `Ok(None)` when that version stage does not exist (a secret
/// never rotated has no `AWSPREVIOUS`).
async fn fetch(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    version_stage: &str,
) -> Result<Option<(JwtVerificationKeySecret, RevocationDocument)>, SecretsError> {
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
    let key = parse_secret_json(text, secret_id)?;
    // A malformed revocation part must not stop verification: it is logged and ignored.
    let document = serde_json::from_str(text).unwrap_or_else(|error| {
        tracing::error!(%secret_id, %error, "unreadable revocation lists in the verification-key secret");
        RevocationDocument::default()
    });
    Ok(Some((key, document)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{SigningKeyMaterial, TokenIssuer};

    fn verification_key(material: &SigningKeyMaterial) -> JwtVerificationKeySecret {
        JwtVerificationKeySecret {
            kid: material.kid.clone(),
            public_key_pem: material.public_key_pem.clone(),
        }
    }

    fn ring_of(materials: &[&SigningKeyMaterial]) -> Ring {
        let keys: Vec<(String, String)> = materials
            .iter()
            .map(|material| pair(&verification_key(material)))
            .collect();
        Ring {
            verifier: Arc::new(TokenVerifier::from_public_pems(keys.iter().cloned()).unwrap()),
            keys,
            read_at: Instant::now(),
            unknown_kid_read_at: None,
        }
    }

    fn admin_token(material: &SigningKeyMaterial) -> String {
        TokenIssuer::from_material(material)
            .unwrap()
            .issue_admin("gerente")
            .unwrap()
            .access_token
    }

    fn kids(ring: &Ring) -> Vec<&str> {
        ring.keys.iter().map(|(kid, _)| kid.as_str()).collect()
    }

    #[test]
    fn adding_beyond_the_kept_keys_forgets_the_oldest() {
        let materials: Vec<SigningKeyMaterial> = (1..=4)
            .map(|n| SigningKeyMaterial::generate(format!("k{n}")))
            .collect();
        let mut ring = ring_of(&[&materials[0]]);
        for material in &materials[1..] {
            ring.add(pair(&verification_key(material)));
        }
        assert_eq!(kids(&ring), ["k2", "k3", "k4"]);
        assert_eq!(
            ring.verifier.verify(&admin_token(&materials[0])),
            Err(TokenError::UnknownKey)
        );
        assert!(ring.verifier.verify(&admin_token(&materials[1])).is_ok());
        assert!(ring.verifier.verify(&admin_token(&materials[3])).is_ok());
    }

    #[test]
    fn adding_a_known_kid_changes_nothing() {
        let first = SigningKeyMaterial::generate("k1");
        let mut ring = ring_of(&[&first]);
        // Same kid, another key: a re-read of an unrotated secret must not replace the key
        // the live tokens were signed with.
        let impostor = SigningKeyMaterial::generate("k1");
        ring.add(pair(&verification_key(&impostor)));
        assert_eq!(kids(&ring), ["k1"]);
        assert!(ring.verifier.verify(&admin_token(&first)).is_ok());
        assert_eq!(
            ring.verifier.verify(&admin_token(&impostor)),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn an_unusable_new_key_keeps_the_known_keys() {
        let first = SigningKeyMaterial::generate("k1");
        let mut ring = ring_of(&[&first]);
        ring.add(("k2".to_owned(), "not a PEM".to_owned()));
        assert_eq!(kids(&ring), ["k1"]);
        assert!(ring.verifier.verify(&admin_token(&first)).is_ok());
    }

    #[tokio::test]
    async fn a_fixed_ring_verifies_its_key_and_refuses_others() {
        let key = SigningKeyMaterial::generate("local");
        let ring = VerificationKeyRing::fixed(&verification_key(&key)).unwrap();
        assert_eq!(ring.secret_id(), None);
        assert_eq!(ring.key_ids(), ["local"]);
        let verified = ring.verify(&admin_token(&key)).await.unwrap();
        assert_eq!(verified.subject, "gerente");
        let stranger = SigningKeyMaterial::generate("stranger");
        assert_eq!(
            ring.verify(&admin_token(&stranger)).await,
            Err(TokenError::UnknownKey)
        );
        assert_eq!(ring.key_ids(), ["local"]);
    }

    #[test]
    fn an_unusable_fixed_key_is_refused_without_quoting_it() {
        let error = VerificationKeyRing::fixed(&JwtVerificationKeySecret {
            kid: "k1".into(),
            public_key_pem: "-----BEGIN NOT A KEY-----".into(),
        })
        .unwrap_err();
        assert!(
            matches!(
                error,
                KeyRingError::Material {
                    source: TokenError::InvalidKey(_),
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(!error.to_string().contains("NOT A KEY"), "{error}");
    }

    #[tokio::test]
    async fn load_without_a_secret_id_uses_the_plain_variables() {
        let key = SigningKeyMaterial::generate("from-env");
        let pem = key.public_key_pem.clone();
        let env = move |name: &str| match name {
            "JWT_KEY_ID" => Some("from-env".to_owned()),
            "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
            // Empty means "not configured" (compose files, manifests), not a secret id.
            "JWT_VERIFICATION_KEY_SECRET_ID" | "JWT_SIGNING_KEY_SECRET_ID" => Some(" ".to_owned()),
            _ => None,
        };
        // Never called: the SDK configuration has no endpoint nor credentials.
        let sdk_config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let ring = VerificationKeyRing::load(&env, &sdk_config, Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(ring.secret_id(), None);
        assert!(ring.verify(&admin_token(&key)).await.is_ok());
        assert_eq!(ring.key_ids(), ["from-env"]);
    }

    #[tokio::test]
    async fn load_names_the_missing_variable() {
        let env = |name: &str| (name == "JWT_KEY_ID").then(|| "k1".to_owned());
        let sdk_config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let error = VerificationKeyRing::load(&env, &sdk_config, Duration::from_secs(60))
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("JWT_PUBLIC_KEY_PEM"), "{message}");
        assert!(
            message.contains("JWT_VERIFICATION_KEY_SECRET_ID"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn load_refuses_the_signing_key_secret_instead_of_reading_it() {
        // Plain variables are there too: the signing secret id still stops the load, so a
        // deployment pointing a verifier at the private key is told so instead of quietly
        // falling back to another key.
        let key = SigningKeyMaterial::generate("from-env");
        let pem = key.public_key_pem.clone();
        let env = move |name: &str| match name {
            "JWT_SIGNING_KEY_SECRET_ID" => Some("postech/staging/jwt-signing-key".to_owned()),
            "JWT_KEY_ID" => Some("from-env".to_owned()),
            "JWT_PUBLIC_KEY_PEM" => Some(pem.clone()),
            _ => None,
        };
        // Never called: the SDK configuration has no endpoint nor credentials.
        let sdk_config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let error = VerificationKeyRing::load(&env, &sdk_config, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(
            matches!(error, KeyRingError::SigningKeyOffered),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("JWT_VERIFICATION_KEY_SECRET_ID"),
            "{error}"
        );
    }

    #[test]
    fn debug_lists_key_ids_but_no_key_material() {
        let key = SigningKeyMaterial::generate("visible-kid");
        let ring = VerificationKeyRing::fixed(&verification_key(&key)).unwrap();
        let debug = format!("{ring:?}");
        assert!(debug.contains("visible-kid"), "{debug}");
        assert!(!debug.contains("BEGIN"), "{debug}");
    }
}
