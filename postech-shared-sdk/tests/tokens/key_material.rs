//! Loading, exporting and printing key material.

use super::*;

#[test]
fn refuses_unusable_key_material() {
    let material = SigningKeyMaterial::generate("k1");
    assert!(matches!(
        TokenIssuer::from_pem("k1", &material.public_key_pem),
        Err(TokenError::InvalidKey(_))
    ));
    assert!(matches!(
        TokenIssuer::from_pem(
            "k1",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        ),
        Err(TokenError::InvalidKey(_))
    ));
    assert!(matches!(
        TokenIssuer::from_pem("", material.private_key_pem.expose_secret()),
        Err(TokenError::InvalidKey(_))
    ));
    let no_keys: [(&str, &str); 0] = [];
    assert!(matches!(
        TokenVerifier::from_public_pems(no_keys),
        Err(TokenError::InvalidKey(_))
    ));
    assert!(matches!(
        TokenVerifier::from_public_pems([("k1", "not a pem")]),
        Err(TokenError::InvalidKey(_))
    ));
    assert!(matches!(
        TokenVerifier::from_public_pems([("k1", material.private_key_pem.expose_secret())]),
        Err(TokenError::InvalidKey(_))
    ));
    let other = SigningKeyMaterial::generate("k1");
    assert!(matches!(
        TokenVerifier::from_public_pems([
            ("k1", material.public_key_pem.as_str()),
            ("k1", other.public_key_pem.as_str()),
        ]),
        Err(TokenError::InvalidKey(_))
    ));
}

#[test]
fn key_material_and_tokens_never_show_in_debug_output() {
    let material = SigningKeyMaterial::generate("k1");
    let private_pem = material.private_key_pem.expose_secret().to_owned();
    assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(!private_pem.contains("PUBLIC KEY"));
    let private_body = private_pem.lines().nth(1).expect("base64 line");

    let issuer = issuer_for(&material);
    let issued = issuer.issue_admin("gerente").expect("issues");
    let debug = format!("{material:?} {issuer:?} {issued:?}");
    assert!(!debug.contains(private_body), "{debug}");
    assert!(!debug.contains(&issued.access_token), "{debug}");
    assert!(debug.contains("k1"), "{debug}");
}

#[test]
fn secret_json_round_trips_into_working_key_material() {
    let material = SigningKeyMaterial::generate("2025-01");
    let json = material.to_secret_json();
    let stored: SigningKeyMaterial = serde_json::from_str(json.expose_secret()).expect("parses");
    assert_eq!(stored.kid, "2025-01");
    assert_eq!(stored.public_key_pem, material.public_key_pem);
    let token = issuer_for(&stored).issue_admin("gerente").expect("issues");
    assert!(
        verifier_for(&[&material])
            .verify(&token.access_token)
            .is_ok()
    );
}
