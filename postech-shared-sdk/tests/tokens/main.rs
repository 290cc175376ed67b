//! Token issue and verification, including the attacks a verifier must refuse.

// A failed expectation is the test failing: helpers (not only `#[test]` fns) may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod claims;
mod forgeries;
mod issued;
mod key_material;

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use jwt_simple::prelude::{
    Audiences, Base64UrlSafeNoPadding, Ed25519KeyPair, Ed25519PublicKey, EdDSAKeyPairLike,
    EdDSAPublicKeyLike, HS256Key, JWTClaims, MACLike, NoCustomClaims, UnixTimeStamp,
};
use jwt_simple::reexports::ct_codecs::{Decoder as _, Encoder as _};
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::token::{
    ADMIN_TOKEN_TTL, AUDIENCE, AuthMethod, ISSUER, IssuedToken, KIOSK_TOKEN_TTL, Role,
    STEP_UP_TOKEN_TTL, SigningKeyMaterial, TokenError, TokenIssuer, TokenVerifier,
};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{Value, json};

fn verifier_for(materials: &[&SigningKeyMaterial]) -> TokenVerifier {
    TokenVerifier::from_public_pems(
        materials
            .iter()
            .map(|material| (material.kid.as_str(), material.public_key_pem.as_str())),
    )
    .expect("valid public keys")
}

fn issuer_for(material: &SigningKeyMaterial) -> TokenIssuer {
    TokenIssuer::from_material(material).expect("valid private key")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("three parts");
    let bytes = Base64UrlSafeNoPadding::decode_to_vec(part, None).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

fn encode_part(value: &Value) -> String {
    Base64UrlSafeNoPadding::encode_to_string(value.to_string()).expect("encodes")
}

#[derive(Serialize)]
struct RawRole {
    role: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    amr: Vec<&'static str>,
}

/// Claims as the auth function would write them, at an arbitrary time, for forging edge cases
/// with jwt-simple directly.
fn claims(issued_at: u64, lifetime: u64, role: &'static str) -> JWTClaims<RawRole> {
    JWTClaims {
        issued_at: Some(UnixTimeStamp::from_secs(issued_at)),
        expires_at: Some(UnixTimeStamp::from_secs(issued_at + lifetime)),
        invalid_before: Some(UnixTimeStamp::from_secs(issued_at)),
        issuer: Some(ISSUER.to_owned()),
        subject: Some(CustomerId::new_random().to_string()),
        audiences: Some(Audiences::AsString(AUDIENCE.to_owned())),
        jwt_id: Some("0d7f7b0a-4f9e-4a53-9d0b-3f1f0a3c9e11".to_owned()),
        nonce: None,
        custom: RawRole {
            role,
            amr: Vec::new(),
        },
    }
}

fn fresh_claims() -> JWTClaims<RawRole> {
    claims(now(), KIOSK_TOKEN_TTL.as_secs(), "customer")
}

fn sign(material: &SigningKeyMaterial, claims: JWTClaims<RawRole>) -> String {
    Ed25519KeyPair::from_pem(material.private_key_pem.expose_secret())
        .expect("valid private key")
        .with_key_id(&material.kid)
        .sign(claims)
        .expect("signs")
}
