//! Tokens the issuer produces, and what verification returns for them.

use super::*;

#[test]
fn accepts_a_fresh_customer_token_with_exactly_the_contract_claims() {
    let material = SigningKeyMaterial::generate("k1");
    let customer = CustomerId::new_random();
    let issued = issuer_for(&material)
        .issue_customer(&customer)
        .expect("issues");
    assert_eq!(issued.token_type, "bearer");
    assert_eq!(issued.expires_in, KIOSK_TOKEN_TTL.as_secs());

    let verified = verifier_for(&[&material])
        .verify(&issued.access_token)
        .expect("fresh token verifies");
    assert_eq!(verified.subject, customer.to_string());
    assert_eq!(verified.role, Role::Customer);
    assert_eq!(verified.customer_id(), Some(customer));
    let expected_expiry = i64::try_from(now() + 600).expect("fits");
    assert!((verified.expires_at.timestamp() - expected_expiry).abs() <= 5);

    let header = decode_part(&issued.access_token, 0);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], "k1");

    // Nothing but these claims: in particular no CPF, name or e-mail.
    let payload = decode_part(&issued.access_token, 1);
    let names: BTreeSet<&str> = payload
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "amr", "aud", "exp", "iat", "iss", "jti", "nbf", "role", "sub"
        ])
    );
    assert_eq!(payload["iss"], "postech-auth");
    assert_eq!(payload["aud"], "postech-api");
    assert_eq!(payload["role"], "customer");
    assert_eq!(payload["amr"], json!(["cpf"]));
    assert_eq!(payload["sub"], customer.to_string());
    assert_eq!(payload["jti"].as_str(), Some(verified.jti.as_str()));
    let lifetime = payload["exp"].as_u64().expect("exp") - payload["iat"].as_u64().expect("iat");
    assert_eq!(lifetime, 600);
}

#[test]
fn admin_tokens_last_two_hours_and_have_no_customer() {
    let material = SigningKeyMaterial::generate("k1");
    let issuer = issuer_for(&material);
    let issued = issuer.issue_admin("gerente.loja1").expect("issues");
    assert_eq!(issued.expires_in, ADMIN_TOKEN_TTL.as_secs());
    assert_eq!(issued.expires_in, 2 * 3600);
    let verified = verifier_for(&[&material])
        .verify(&issued.access_token)
        .expect("verifies");
    assert_eq!(verified.role, Role::Admin);
    assert_eq!(verified.subject, "gerente.loja1");
    assert_eq!(verified.customer_id(), None);
    assert_eq!(issuer.issue_admin("  "), Err(TokenError::InvalidSubject));
}

#[test]
fn each_token_gets_its_own_jti() {
    let material = SigningKeyMaterial::generate("k1");
    let issuer = issuer_for(&material);
    let verifier = verifier_for(&[&material]);
    let customer = CustomerId::new_random();
    let first = verifier
        .verify(
            &issuer
                .issue_customer(&customer)
                .expect("issues")
                .access_token,
        )
        .expect("verifies");
    let second = verifier
        .verify(
            &issuer
                .issue_customer(&customer)
                .expect("issues")
                .access_token,
        )
        .expect("verifies");
    assert_ne!(first.jti, second.jti);
}

#[test]
fn accepts_every_trusted_key_during_rotation() {
    let old = SigningKeyMaterial::generate("2024-12");
    let new = SigningKeyMaterial::generate("2025-01");
    let verifier = verifier_for(&[&old, &new]);
    for material in [&old, &new] {
        let token = issuer_for(material).issue_admin("gerente").expect("issues");
        assert!(
            verifier.verify(&token.access_token).is_ok(),
            "{}",
            material.kid
        );
    }
    let mut key_ids: Vec<&str> = verifier.key_ids().collect();
    key_ids.sort_unstable();
    assert_eq!(key_ids, ["2024-12", "2025-01"]);
}

#[test]
fn issued_token_serialises_in_the_auth_response_shape() {
    let issued = IssuedToken {
        access_token: "header.payload.signature".to_owned(),
        token_type: "bearer".to_owned(),
        expires_in: 3600,
    };
    assert_eq!(
        serde_json::to_value(&issued).expect("serialises"),
        json!({"access_token": "header.payload.signature", "token_type": "bearer", "expires_in": 3600})
    );
}
