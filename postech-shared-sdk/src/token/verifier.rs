//! Verifying tokens (the authorizer and the app).

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::DateTime;
use jwt_simple::JWTError;
use jwt_simple::prelude::{
    Duration, Ed25519PublicKey, EdDSAPublicKeyLike, JWTClaims, Token, VerificationOptions,
};
use uuid::Uuid;

use super::{
    ALGORITHM, AUDIENCE, CLOCK_TOLERANCE, ISSUER, Role, RoleClaim, TokenError, VerifiedToken,
};

/// Far above any token this system issues (about 400 bytes); refusing longer input early
/// keeps garbage from costing base64 and JSON work.
const MAX_TOKEN_BYTES: usize = 4096;

/// Verifies tokens against one or more Ed25519 public keys, picked by the header `kid`.
///
/// Checks, in order: size and layout, `alg` is exactly `EdDSA`, `kid` is known, the
/// signature, `iat`/`nbf` not in the future and `exp` not past (both with
/// [`CLOCK_TOLERANCE`]), `iss`, `aud`, the presence of `sub`, `role`, `iat`, `exp` and `jti`,
/// a UUID subject for customers, and a lifetime no longer than the role's.
///
/// ```
/// use postech_shared_sdk::token::{Role, SigningKeyMaterial, TokenError, TokenIssuer, TokenVerifier};
///
/// // During a rotation the verifier trusts both keys.
/// let old = SigningKeyMaterial::generate("2024-12");
/// let new = SigningKeyMaterial::generate("2025-01");
/// let verifier = TokenVerifier::from_public_pems([
///     (old.kid.as_str(), old.public_key_pem.as_str()),
///     (new.kid.as_str(), new.public_key_pem.as_str()),
/// ])?;
/// let token = TokenIssuer::from_material(&old)?.issue_admin("gerente")?.access_token;
/// let verified = verifier.verify(&token)?;
/// assert_eq!((verified.role, verified.subject.as_str()), (Role::Admin, "gerente"));
///
/// let unknown = SigningKeyMaterial::generate("other");
/// let foreign = TokenIssuer::from_material(&unknown)?.issue_admin("gerente")?.access_token;
/// assert_eq!(verifier.verify(&foreign), Err(TokenError::UnknownKey));
/// # Ok::<(), TokenError>(())
/// ```
#[derive(Clone)]
pub struct TokenVerifier {
    keys: HashMap<String, Ed25519PublicKey>,
    options: VerificationOptions,
}

impl TokenVerifier {
    /// A verifier trusting each `(kid, SPKI PEM)` pair. Fails on no key, an empty or
    /// repeated key id, or a PEM that is not an Ed25519 public key.
    pub fn from_public_pems<I, K, P>(keys: I) -> Result<Self, TokenError>
    where
        I: IntoIterator<Item = (K, P)>,
        K: AsRef<str>,
        P: AsRef<str>,
    {
        let mut trusted = HashMap::new();
        for (kid, pem) in keys {
            let kid = kid.as_ref();
            if kid.trim().is_empty() {
                return Err(TokenError::InvalidKey("the key id is empty"));
            }
            let key = Ed25519PublicKey::from_pem(pem.as_ref())
                .map_err(|_| TokenError::InvalidKey("not an Ed25519 public key PEM"))?;
            if trusted.insert(kid.to_owned(), key).is_some() {
                return Err(TokenError::InvalidKey("the same key id is given twice"));
            }
        }
        if trusted.is_empty() {
            return Err(TokenError::InvalidKey("no verification key given"));
        }
        let options = VerificationOptions {
            allowed_issuers: Some(HashSet::from([ISSUER.to_owned()])),
            allowed_audiences: Some(HashSet::from([AUDIENCE.to_owned()])),
            time_tolerance: Some(Duration::from_secs(CLOCK_TOLERANCE.as_secs())),
            // The default already refuses future iat/nbf; stated so no one flips it unaware.
            accept_future: false,
            max_token_length: Some(MAX_TOKEN_BYTES),
            ..VerificationOptions::default()
        };
        Ok(Self {
            keys: trusted,
            options,
        })
    }

    /// The key ids this verifier trusts.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Checks `token` and returns what it establishes.
    pub fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
            return Err(TokenError::Malformed);
        }
        // The header is unauthenticated until the signature is checked: it is read only to
        // refuse other algorithms outright and to pick the key.
        let metadata = Token::decode_metadata(token).map_err(|_| TokenError::Malformed)?;
        if metadata.algorithm() != ALGORITHM {
            return Err(TokenError::UnsupportedAlgorithm);
        }
        let key = metadata
            .key_id()
            .and_then(|kid| self.keys.get(kid))
            .ok_or(TokenError::UnknownKey)?;
        let kid = metadata.key_id().unwrap_or_default().to_owned();
        let claims = key
            .verify_token::<RoleClaim>(token, Some(self.options.clone()))
            .map_err(classify)?;
        verified_token(claims, kid)
    }
}

/// jwt-simple accepts tokens without `sub`, `iat`, `exp` or `jti`; this system always
/// issues them, so their absence means the token did not come from the auth function.
fn verified_token(claims: JWTClaims<RoleClaim>, kid: String) -> Result<VerifiedToken, TokenError> {
    let RoleClaim { role, amr } = claims.custom;
    let (Some(subject), Some(jti), Some(issued_at), Some(expires_at)) = (
        claims.subject,
        claims.jwt_id,
        claims.issued_at,
        claims.expires_at,
    ) else {
        return Err(TokenError::Malformed);
    };
    if subject.is_empty() || jti.is_empty() {
        return Err(TokenError::Malformed);
    }
    if role == Role::Customer && Uuid::parse_str(&subject).is_err() {
        return Err(TokenError::Malformed);
    }
    let lifetime = expires_at.as_secs().saturating_sub(issued_at.as_secs());
    if lifetime > role.token_ttl(&amr).as_secs() {
        return Err(TokenError::LifetimeTooLong);
    }
    let timestamp = |seconds: u64| {
        i64::try_from(seconds)
            .ok()
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .ok_or(TokenError::Malformed)
    };
    Ok(VerifiedToken {
        subject,
        role,
        jti,
        kid,
        amr,
        issued_at: timestamp(issued_at.as_secs())?,
        expires_at: timestamp(expires_at.as_secs())?,
    })
}

fn classify(error: jwt_simple::Error) -> TokenError {
    match error.downcast_ref::<JWTError>() {
        Some(JWTError::InvalidSignature) => TokenError::BadSignature,
        Some(JWTError::TokenHasExpired) => TokenError::Expired,
        // ClockDrift is jwt-simple's name for an `iat` in the future.
        Some(JWTError::TokenNotValidYet | JWTError::ClockDrift) => TokenError::NotYetValid,
        Some(JWTError::RequiredIssuerMismatch | JWTError::RequiredIssuerMissing) => {
            TokenError::WrongIssuer
        }
        Some(JWTError::RequiredAudienceMismatch | JWTError::RequiredAudienceMissing) => {
            TokenError::WrongAudience
        }
        Some(JWTError::AlgorithmMismatch) => TokenError::UnsupportedAlgorithm,
        _ => TokenError::Malformed,
    }
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut key_ids: Vec<&str> = self.key_ids().collect();
        key_ids.sort_unstable();
        formatter
            .debug_struct("TokenVerifier")
            .field("key_ids", &key_ids)
            .finish_non_exhaustive()
    }
}
