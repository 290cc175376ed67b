//! Correctly signed tokens whose claims break the contract.

use super::*;

#[test]
fn refuses_expired_tokens_with_only_a_small_tolerance() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);
    let ttl = KIOSK_TOKEN_TTL.as_secs();
    let long_expired = sign(&material, claims(now() - 2 * ttl, ttl, "customer"));
    assert_eq!(verifier.verify(&long_expired), Err(TokenError::Expired));
    // jwt-simple's default 15-minute tolerance would accept this one.
    let expired_a_minute_ago = sign(&material, claims(now() - ttl - 60, ttl, "customer"));
    assert_eq!(
        verifier.verify(&expired_a_minute_ago),
        Err(TokenError::Expired)
    );
    let expired_within_tolerance = sign(&material, claims(now() - ttl - 10, ttl, "customer"));
    assert!(verifier.verify(&expired_within_tolerance).is_ok());
}

#[test]
fn refuses_tokens_dated_in_the_future() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);
    let ttl = KIOSK_TOKEN_TTL.as_secs();
    let future = sign(&material, claims(now() + 120, ttl, "customer"));
    assert_eq!(verifier.verify(&future), Err(TokenError::NotYetValid));

    let mut not_before_future = fresh_claims();
    not_before_future.invalid_before = Some(UnixTimeStamp::from_secs(now() + 120));
    let token = sign(&material, not_before_future);
    assert_eq!(verifier.verify(&token), Err(TokenError::NotYetValid));

    let slightly_ahead = sign(&material, claims(now() + 10, ttl, "customer"));
    assert!(verifier.verify(&slightly_ahead).is_ok());
}

#[test]
fn refuses_wrong_or_missing_issuer_and_audience() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);

    let mut wrong_issuer = fresh_claims();
    wrong_issuer.issuer = Some("someone-else".to_owned());
    assert_eq!(
        verifier.verify(&sign(&material, wrong_issuer)),
        Err(TokenError::WrongIssuer)
    );
    let mut no_issuer = fresh_claims();
    no_issuer.issuer = None;
    assert_eq!(
        verifier.verify(&sign(&material, no_issuer)),
        Err(TokenError::WrongIssuer)
    );

    let mut wrong_audience = fresh_claims();
    wrong_audience.audiences = Some(Audiences::AsString("another-api".to_owned()));
    assert_eq!(
        verifier.verify(&sign(&material, wrong_audience)),
        Err(TokenError::WrongAudience)
    );
    let mut no_audience = fresh_claims();
    no_audience.audiences = None;
    assert_eq!(
        verifier.verify(&sign(&material, no_audience)),
        Err(TokenError::WrongAudience)
    );
}

#[test]
fn refuses_tokens_missing_required_claims_or_living_too_long() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);

    let mut no_jti = fresh_claims();
    no_jti.jwt_id = None;
    assert_eq!(
        verifier.verify(&sign(&material, no_jti)),
        Err(TokenError::Malformed)
    );
    let mut no_subject = fresh_claims();
    no_subject.subject = None;
    assert_eq!(
        verifier.verify(&sign(&material, no_subject)),
        Err(TokenError::Malformed)
    );
    let mut no_expiry = fresh_claims();
    no_expiry.expires_at = None;
    assert_eq!(
        verifier.verify(&sign(&material, no_expiry)),
        Err(TokenError::Malformed)
    );
    let mut cpf_subject = fresh_claims();
    cpf_subject.subject = Some("52998224725".to_owned());
    assert_eq!(
        verifier.verify(&sign(&material, cpf_subject)),
        Err(TokenError::Malformed)
    );
    let unknown_role = claims(now(), 60, "superuser");
    assert_eq!(
        verifier.verify(&sign(&material, unknown_role)),
        Err(TokenError::Malformed)
    );

    let two_hour_customer = claims(now(), 2 * 3600, "customer");
    assert_eq!(
        verifier.verify(&sign(&material, two_hour_customer)),
        Err(TokenError::LifetimeTooLong)
    );
    // A CPF-only (or amr-less, pre-amr) customer token may not outlive a kiosk visit.
    let hour_long_customer = claims(now(), 3600, "customer");
    assert_eq!(
        verifier.verify(&sign(&material, hour_long_customer)),
        Err(TokenError::LifetimeTooLong)
    );
    let mut eight_hour_admin = claims(now(), 8 * 3600, "admin");
    eight_hour_admin.subject = Some("gerente".to_owned());
    assert_eq!(
        verifier.verify(&sign(&material, eight_hour_admin)),
        Err(TokenError::LifetimeTooLong)
    );
    let mut two_hour_admin = claims(now(), 2 * 3600, "admin");
    two_hour_admin.subject = Some("gerente".to_owned());
    assert!(verifier.verify(&sign(&material, two_hour_admin)).is_ok());
}

#[test]
fn a_kiosk_token_cannot_pass_for_a_step_up_one() {
    let material = SigningKeyMaterial::generate("k1");
    let verifier = verifier_for(&[&material]);
    let issuer = issuer_for(&material);
    let customer = CustomerId::new_random();
    let kiosk = verifier
        .verify(
            &issuer
                .issue_customer(&customer)
                .expect("issues")
                .access_token,
        )
        .expect("verifies");
    assert_eq!(kiosk.amr, [AuthMethod::Cpf]);
    assert!(!kiosk.may_read_personal_data());
    let stepped_up = issuer.issue_customer_stepped_up(&customer).expect("issues");
    assert_eq!(stepped_up.expires_in, STEP_UP_TOKEN_TTL.as_secs());
    let stepped_up = verifier.verify(&stepped_up.access_token).expect("verifies");
    assert_eq!(stepped_up.amr, [AuthMethod::Cpf, AuthMethod::Otp]);
    assert!(stepped_up.may_read_personal_data());
    // An admin token never reads a customer's personal data through the customer routes.
    let admin = verifier
        .verify(
            &issuer
                .issue_admin_mfa("gerente")
                .expect("issues")
                .access_token,
        )
        .expect("verifies");
    assert!(admin.has_second_factor() && !admin.may_read_personal_data());
    // An unknown method grants nothing, and a step-up claim cannot stretch a kiosk lifetime
    // beyond the step-up one.
    let mut stretched = claims(now(), 3600, "customer");
    stretched.custom.amr = vec!["cpf", "otp"];
    assert_eq!(
        verifier.verify(&sign(&material, stretched)),
        Err(TokenError::LifetimeTooLong)
    );
}
