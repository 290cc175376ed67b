//! Access tokens: Ed25519-signed JWTs (`alg: EdDSA`, header `kid`) with the claims of the
//! architecture — `iss=postech-auth`, `aud=postech-api`, `sub` (customer UUID or admin
//! username), `role`, `amr`, `iat`, `exp`, `jti` — and never a CPF, name or e-mail.
//!
//! `amr` (RFC 8176 authentication methods) carries the assurance of the login: a CPF alone
//! (`["cpf"]`) identifies a kiosk customer for a few minutes, it does not authenticate them;
//! personal data needs a step-up token (`["cpf", "otp"]`: a one-time code sent to the
//! customer's verified e-mail). Admin tokens say `["pwd"]` or, after a TOTP code,
//! `["pwd", "otp", "mfa"]`. A token without `amr` (issued before it existed) counts as the
//! lowest level of its role.
//!
//! Only the auth function holds a [`TokenIssuer`]; the authorizer and the app hold a
//! [`TokenVerifier`] built from public keys, several at once while keys rotate.
//!
//! ```
//! use postech_shared_sdk::ids::CustomerId;
//! use postech_shared_sdk::token::{Role, SigningKeyMaterial, TokenIssuer, TokenVerifier};
//! use secrecy::ExposeSecret;
//!
//! let material = SigningKeyMaterial::generate("2025-01");
//! let issuer = TokenIssuer::from_pem(&material.kid, material.private_key_pem.expose_secret())?;
//! let verifier = TokenVerifier::from_public_pems([(&material.kid, &material.public_key_pem)])?;
//!
//! let customer = CustomerId::new_random();
//! let issued = issuer.issue_customer(&customer)?;
//! assert_eq!(issued.token_type, "bearer");
//! assert_eq!(issued.expires_in, 600);
//!
//! let verified = verifier.verify(&issued.access_token)?;
//! assert_eq!(verified.role, Role::Customer);
//! assert_eq!(verified.customer_id(), Some(customer));
//! assert!(!verified.may_read_personal_data());
//!
//! let stepped_up = issuer.issue_customer_stepped_up(&customer)?;
//! assert!(verifier.verify(&stepped_up.access_token)?.may_read_personal_data());
//! assert!(verifier.verify("not.a.token").is_err());
//! # Ok::<(), postech_shared_sdk::token::TokenError>(())
//! ```

mod issuer;
mod verifier;

use std::time::Duration;

use chrono::{DateTime, Utc};
use jwt_simple::prelude::{Ed25519KeyPair, EdDSAKeyPairLike};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::ids::CustomerId;

pub use issuer::TokenIssuer;
pub use verifier::TokenVerifier;

/// The `iss` of every token: the auth function.
pub const ISSUER: &str = "postech-auth";
/// The `aud` of every token: the ordering API (and its gateway authorizer).
pub const AUDIENCE: &str = "postech-api";
/// Clock skew tolerated when checking `exp`, `iat` and `nbf`. Set explicitly because
/// jwt-simple's default is 15 minutes, which would keep expired tokens alive that long.
pub const CLOCK_TOLERANCE: Duration = Duration::from_secs(30);
/// Lifetime of a kiosk token (a CPF-only login, `amr: ["cpf"]`): one visit at the kiosk.
pub const KIOSK_TOKEN_TTL: Duration = Duration::from_secs(10 * 60);
/// Lifetime of a customer's step-up token (`amr` with `otp`): reading or changing the
/// profile, the order history.
pub const STEP_UP_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
/// Lifetime of an admin token: a shift's stretch, not a whole shift. Revocation (key ids,
/// token ids) and the disabled-user check bound a leaked token's use well below this.
pub const ADMIN_TOKEN_TTL: Duration = Duration::from_secs(2 * 60 * 60);
/// The JWS algorithm of every token. Verification refuses any other, including
/// jwt-simple's `Ed25519` alias.
pub const ALGORITHM: &str = "EdDSA";

/// Who a token speaks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A customer; `sub` is their [`CustomerId`]. Serialised `customer`.
    Customer,
    /// Staff; `sub` is their Cognito username. Serialised `admin`.
    Admin,
}

impl Role {
    /// The claim value: `customer` or `admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }

    /// The longest lifetime accepted for a token of this role with these methods: a
    /// customer token is a kiosk token unless `amr` holds [`AuthMethod::Otp`].
    pub fn token_ttl(self, amr: &[AuthMethod]) -> Duration {
        match self {
            Role::Customer if amr.contains(&AuthMethod::Otp) => STEP_UP_TOKEN_TTL,
            Role::Customer => KIOSK_TOKEN_TTL,
            Role::Admin => ADMIN_TOKEN_TTL,
        }
    }
}

/// How the holder of a token proved who they are (the `amr` claim, RFC 8176 names where
/// one exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// A CPF was typed: identification, not authentication (a CPF is printed on receipts).
    Cpf,
    /// A one-time code: Cognito's e-mail code for customers, a TOTP code for admins.
    Otp,
    /// A password.
    Pwd,
    /// More than one factor.
    Mfa,
    /// A method this version does not know; never grants anything.
    #[serde(other)]
    Unknown,
}

/// The custom part of the claims.
#[derive(Serialize, Deserialize)]
struct RoleClaim {
    role: Role,
    /// Absent in tokens issued before `amr` existed: the lowest level of the role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    amr: Vec<AuthMethod>,
}

/// The answer of `POST /auth`: `{"access_token", "token_type": "bearer", "expires_in"}`.
///
/// Its `Debug` output hides the token, which is a credential.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    /// The signed JWT.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IssuedToken")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// What a valid token establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The `sub`: a customer UUID (role customer) or an admin username (role admin).
    pub subject: String,
    /// The `role`.
    pub role: Role,
    /// The token's unique id, for audit logs and revocation lists.
    pub jti: String,
    /// The `kid` of the key that signed it.
    pub kid: String,
    /// How the holder logged in (`amr`); empty for tokens issued before the claim existed.
    pub amr: Vec<AuthMethod>,
    /// When it was issued (`iat`): the start of a kiosk visit.
    pub issued_at: DateTime<Utc>,
    /// When it stops being accepted (before the tolerance).
    pub expires_at: DateTime<Utc>,
}

impl VerifiedToken {
    /// Whether the holder may read or change a customer's full personal data and order
    /// history: a customer token whose login included a one-time code (step-up). Kiosk
    /// tokens (`amr: ["cpf"]`) and admin tokens do not — staff read customers through the
    /// admin routes.
    pub fn may_read_personal_data(&self) -> bool {
        self.role == Role::Customer && self.amr.contains(&AuthMethod::Otp)
    }

    /// Whether an admin token's login included a second factor (TOTP).
    pub fn has_second_factor(&self) -> bool {
        self.amr.contains(&AuthMethod::Mfa)
    }

    /// The customer the token belongs to; `None` for admin tokens.
    pub fn customer_id(&self) -> Option<CustomerId> {
        match self.role {
            // A customer subject is checked to be a UUID during verification.
            Role::Customer => self.subject.parse().ok(),
            Role::Admin => None,
        }
    }
}

/// Why a token could not be issued or was refused. Never carries the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a well-formed JWT, or required claims (`sub`, `role`, `iat`, `exp`, `jti`)
    /// missing or of the wrong shape.
    #[error("malformed token")]
    Malformed,
    /// The header `alg` is not `EdDSA` (`none`, `HS256`…).
    #[error("unsupported token algorithm")]
    UnsupportedAlgorithm,
    /// The signature does not match the header and claims for the key named by `kid`.
    #[error("bad token signature")]
    BadSignature,
    /// `exp` is past, beyond [`CLOCK_TOLERANCE`].
    #[error("token expired")]
    Expired,
    /// `iat` or `nbf` is in the future, beyond [`CLOCK_TOLERANCE`].
    #[error("token not yet valid")]
    NotYetValid,
    /// `exp - iat` exceeds the lifetime of the token's role.
    #[error("token lifetime exceeds the maximum for its role")]
    LifetimeTooLong,
    /// `iss` is missing or not [`ISSUER`].
    #[error("wrong token issuer")]
    WrongIssuer,
    /// `aud` is missing or does not include [`AUDIENCE`].
    #[error("wrong token audience")]
    WrongAudience,
    /// The header has no `kid`, or one the verifier has no key for.
    #[error("unknown token signing key")]
    UnknownKey,
    /// The token's `jti` or the `kid` of its key was revoked (the verification-key
    /// secret's `revoked_jtis` / `revoked_kids`).
    #[error("token revoked")]
    Revoked,
    /// Key material could not be used (not an Ed25519 PEM, empty or duplicate key id, no
    /// key at all).
    #[error("invalid key material: {0}")]
    InvalidKey(&'static str),
    /// The subject given to the issuer is unusable (empty admin username).
    #[error("invalid token subject")]
    InvalidSubject,
    /// Signing failed.
    #[error("could not sign the token")]
    Signing,
}

/// A signing key pair as stored in Secrets Manager under `postech/<stage>/jwt-signing-key`:
/// `{"kid", "private_key_pem", "public_key_pem"}` (PKCS#8 and SPKI PEM).
///
/// The private key is a [`SecretString`], so `Debug` prints it redacted.
#[derive(Clone, Debug, Deserialize)]
pub struct SigningKeyMaterial {
    /// Key id, written to the `kid` header of tokens.
    pub kid: String,
    /// PKCS#8 PEM of the Ed25519 private key.
    pub private_key_pem: SecretString,
    /// SPKI PEM of the public key, what verifiers are configured with.
    pub public_key_pem: String,
}

impl SigningKeyMaterial {
    /// A fresh random key pair, for seeding a local or test environment. Production keys are
    /// created once per stage and kept in Secrets Manager.
    pub fn generate(kid: impl Into<String>) -> Self {
        let key_pair = Ed25519KeyPair::generate();
        // The secret key alone (PKCS#8), as `openssl genpkey -algorithm ed25519` writes it:
        // `Ed25519KeyPair::to_pem` would append the public key block.
        let private_key_pem = key_pair.key_pair().as_ref().sk.to_pem();
        Self {
            kid: kid.into(),
            private_key_pem: SecretString::from(private_key_pem),
            public_key_pem: key_pair.public_key().to_pem(),
        }
    }

    /// The secret's JSON text, `{"kid", "private_key_pem", "public_key_pem"}`, to store in
    /// Secrets Manager when seeding. Wrapped because it contains the private key.
    pub fn to_secret_json(&self) -> SecretString {
        let document = serde_json::json!({
            "kid": self.kid,
            "private_key_pem": self.private_key_pem.expose_secret(),
            "public_key_pem": self.public_key_pem,
        });
        SecretString::from(document.to_string())
    }
}
