//! The Ed25519 key of postech tokens, in two secrets: `jwt-signing-key`
//! (`{kid, private_key_pem, public_key_pem}`, read by `authenticate` only) and
//! `jwt-verification-key` (`{kid, public_key_pem}`, read by the authorizer and the app).
//!
//! scripts/rotate-signing-key.sh writes a new key to the verification secret first, then to
//! the signing secret, and every reader re-reads its secret, so a rotation needs no redeploy:
//! the authorizer's [`VerificationKeyRing`] (from the shared SDK, which the app uses too)
//! trusts the new `kid` as soon as a token carrying it arrives, while still accepting tokens
//! signed with the keys it knew before, and [`SigningKeys`] signs with the new key once its
//! refresh interval has passed.
//!
//! [`VerificationKeyRing`]: postech_shared_sdk::secrets::VerificationKeyRing

mod signing;

pub use signing::SigningKeys;

use postech_shared_sdk::secrets::SecretsError;
use postech_shared_sdk::token::TokenError;

/// Why no key could be used. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The secret could not be read or parsed.
    #[error(transparent)]
    Secret(#[from] SecretsError),
    /// The secret was read but its key material is unusable.
    #[error("the signing-key secret holds unusable key material: {0}")]
    Material(#[from] TokenError),
}
