//! Tokens not signed by a trusted key the way the contract says.

use super::*;

#[test]
fn refuses_a_tampered_payload() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);
    let token = issuer_for(&material)
        .issue_customer(&CustomerId::new_random())
        .expect("issues")
        .access_token;
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = decode_part(&token, 1);
    payload["role"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], encode_part(&payload), parts[2]);
    assert_eq!(verifier.verify(&tampered), Err(TokenError::BadSignature));

    let mut signature = Base64UrlSafeNoPadding::decode_to_vec(parts[2], None).expect("base64url");
    signature[10] ^= 1;
    let flipped = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        Base64UrlSafeNoPadding::encode_to_string(signature).expect("encodes")
    );
    assert_eq!(verifier.verify(&flipped), Err(TokenError::BadSignature));
}

#[test]
fn refuses_tokens_from_other_keys() {
    let trusted = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&trusted]);
    let customer = CustomerId::new_random();

    let impostor_same_kid = SigningKeyMaterial::generate("k1");
    let token = issuer_for(&impostor_same_kid)
        .issue_customer(&customer)
        .expect("issues");
    assert_eq!(
        verifier.verify(&token.access_token),
        Err(TokenError::BadSignature)
    );

    let other_kid = SigningKeyMaterial::generate("k2");
    let token = issuer_for(&other_kid)
        .issue_customer(&customer)
        .expect("issues");
    assert_eq!(
        verifier.verify(&token.access_token),
        Err(TokenError::UnknownKey)
    );

    let no_kid = Ed25519KeyPair::from_pem(trusted.private_key_pem.expose_secret())
        .expect("valid key")
        .sign(fresh_claims())
        .expect("signs");
    assert_eq!(verifier.verify(&no_kid), Err(TokenError::UnknownKey));
}

#[test]
fn refuses_unsigned_alg_none_tokens() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);
    let valid = sign(&material, fresh_claims());
    let header = json!({"alg": "none", "typ": "JWT", "kid": "k1"});
    let payload = encode_part(&decode_part(&valid, 1));
    for signature in ["", valid.split('.').nth(2).expect("signature")] {
        let token = format!("{}.{payload}.{signature}", encode_part(&header));
        assert_eq!(
            verifier.verify(&token),
            Err(TokenError::UnsupportedAlgorithm)
        );
    }
}

#[test]
fn refuses_hs256_tokens_keyed_with_the_public_key() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);
    let forged = HS256Key::from_bytes(material.public_key_pem.as_bytes())
        .with_key_id("k1")
        .authenticate(fresh_claims())
        .expect("authenticates");
    assert_eq!(decode_part(&forged, 0)["alg"], "HS256");
    assert_eq!(
        verifier.verify(&forged),
        Err(TokenError::UnsupportedAlgorithm)
    );

    // jwt-simple itself also refuses the algorithm swap, independently of our header check.
    let public_key = Ed25519PublicKey::from_pem(&material.public_key_pem).expect("valid key");
    assert!(
        public_key
            .verify_token::<NoCustomClaims>(&forged, None)
            .is_err()
    );
}

#[test]
fn refuses_the_ed25519_alias_algorithm_name() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);
    let header = json!({"alg": "Ed25519", "typ": "JWT", "kid": "k1"});
    let signing_input = format!(
        "{}.{}",
        encode_part(&header),
        encode_part(&decode_part(&sign(&material, fresh_claims()), 1))
    );
    let key_pair =
        Ed25519KeyPair::from_pem(material.private_key_pem.expose_secret()).expect("valid key");
    let signature = key_pair.key_pair().as_ref().sk.sign(&signing_input, None);
    let token = format!(
        "{signing_input}.{}",
        Base64UrlSafeNoPadding::encode_to_string(signature.as_ref()).expect("encodes")
    );
    // Correctly signed, and jwt-simple would accept the alias; the contract says EdDSA only.
    let public_key = Ed25519PublicKey::from_pem(&material.public_key_pem).expect("valid key");
    assert!(
        public_key
            .verify_token::<NoCustomClaims>(&token, None)
            .is_ok()
    );
    assert_eq!(
        verifier.verify(&token),
        Err(TokenError::UnsupportedAlgorithm)
    );
}

#[test]
fn refuses_garbage() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);
    let oversized = "a".repeat(10_000);
    for garbage in [
        "",
        "abc",
        "a.b.c",
        "...",
        "a.b.c.d",
        "eyJhbGciOiJFZERTQSJ9",
        "eyJhbGciOiJFZERTQSJ9.e30",
        "Bearer eyJhbGciOiJFZERTQSJ9.e30.e30",
        "%%%.%%%.%%%",
        oversized.as_str(),
    ] {
        assert_eq!(
            verifier.verify(garbage),
            Err(TokenError::Malformed),
            "{garbage:.40}"
        );
    }
    let valid = sign(&material, fresh_claims());
    let parts: Vec<&str> = valid.split('.').collect();
    let not_json = format!(
        "{}.{}.{}",
        parts[0],
        Base64UrlSafeNoPadding::encode_to_string("not json").expect("encodes"),
        parts[2]
    );
    assert!(verifier.verify(&not_json).is_err());
    let short_signature = format!("{}.{}.AAAA", parts[0], parts[1]);
    assert_eq!(
        verifier.verify(&short_signature),
        Err(TokenError::Malformed)
    );
}
