//! Signing tokens (the auth function only).

use std::fmt;
use std::time::Duration;

use jwt_simple::prelude::{Claims, Ed25519KeyPair, EdDSAKeyPairLike};
use uuid::Uuid;

use super::{
    AUDIENCE, AuthMethod, ISSUER, IssuedToken, Role, RoleClaim, SigningKeyMaterial, TokenError,
};
use crate::ids::CustomerId;

/// Signs customer and admin tokens with an Ed25519 private key.
///
/// `Debug` shows only the key id.
///
/// ```
/// use postech_shared_sdk::token::{ADMIN_TOKEN_TTL, SigningKeyMaterial, TokenIssuer};
///
/// let issuer = TokenIssuer::from_material(&SigningKeyMaterial::generate("local"))?;
/// assert_eq!(issuer.kid(), "local");
/// let token = issuer.issue_admin("gerente")?;
/// assert_eq!(token.expires_in, ADMIN_TOKEN_TTL.as_secs());
/// assert_eq!(serde_json::to_value(&token)?["token_type"], "bearer");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TokenIssuer {
    kid: String,
    key_pair: Ed25519KeyPair,
}

impl TokenIssuer {
    /// An issuer signing with the PKCS#8 PEM `private_key_pem`, writing `kid` to the header.
    pub fn from_pem(kid: &str, private_key_pem: &str) -> Result<Self, TokenError> {
        if kid.trim().is_empty() {
            return Err(TokenError::InvalidKey("the key id is empty"));
        }
        let key_pair = Ed25519KeyPair::from_pem(private_key_pem)
            .map_err(|_| TokenError::InvalidKey("not an Ed25519 private key PEM"))?
            .with_key_id(kid);
        Ok(Self {
            kid: kid.to_owned(),
            key_pair,
        })
    }

    /// An issuer from the stored key pair.
    pub fn from_material(material: &SigningKeyMaterial) -> Result<Self, TokenError> {
        use secrecy::ExposeSecret;
        Self::from_pem(&material.kid, material.private_key_pem.expose_secret())
    }

    /// The key id written to the `kid` header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A kiosk token for `customer` after a CPF-only login (`amr: ["cpf"]`), valid for
    /// [`KIOSK_TOKEN_TTL`](super::KIOSK_TOKEN_TTL).
    pub fn issue_customer(&self, customer: &CustomerId) -> Result<IssuedToken, TokenError> {
        self.issue(&customer.to_string(), Role::Customer, vec![AuthMethod::Cpf])
    }

    /// A step-up token for `customer` after a one-time code (`amr: ["cpf", "otp"]`), valid
    /// for [`STEP_UP_TOKEN_TTL`](super::STEP_UP_TOKEN_TTL).
    pub fn issue_customer_stepped_up(
        &self,
        customer: &CustomerId,
    ) -> Result<IssuedToken, TokenError> {
        self.issue(
            &customer.to_string(),
            Role::Customer,
            vec![AuthMethod::Cpf, AuthMethod::Otp],
        )
    }

    /// A token for the admin `username` after a password (`amr: ["pwd"]`), valid for
    /// [`ADMIN_TOKEN_TTL`](super::ADMIN_TOKEN_TTL).
    pub fn issue_admin(&self, username: &str) -> Result<IssuedToken, TokenError> {
        self.issue_admin_with(username, vec![AuthMethod::Pwd])
    }

    /// A token for the admin `username` after a password and a TOTP code
    /// (`amr: ["pwd", "otp", "mfa"]`).
    pub fn issue_admin_mfa(&self, username: &str) -> Result<IssuedToken, TokenError> {
        self.issue_admin_with(
            username,
            vec![AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa],
        )
    }

    fn issue_admin_with(
        &self,
        username: &str,
        amr: Vec<AuthMethod>,
    ) -> Result<IssuedToken, TokenError> {
        if username.trim().is_empty() {
            return Err(TokenError::InvalidSubject);
        }
        self.issue(username, Role::Admin, amr)
    }

    fn issue(
        &self,
        subject: &str,
        role: Role,
        amr: Vec<AuthMethod>,
    ) -> Result<IssuedToken, TokenError> {
        let ttl: Duration = role.token_ttl(&amr);
        // with_custom_claims stamps iat and nbf with the current time and exp with iat + ttl.
        let claims = Claims::with_custom_claims(
            RoleClaim { role, amr },
            jwt_simple::prelude::Duration::from_secs(ttl.as_secs()),
        )
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE)
        .with_subject(subject)
        .with_jwt_id(Uuid::new_v4());
        let access_token = self
            .key_pair
            .sign(claims)
            .map_err(|_| TokenError::Signing)?;
        Ok(IssuedToken {
            access_token,
            token_type: "bearer".to_owned(),
            expires_in: ttl.as_secs(),
        })
    }
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TokenIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
