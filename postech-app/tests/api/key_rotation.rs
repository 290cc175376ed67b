//! Token keys read from Secrets Manager: a rotation of the signing key, published in the
//! verification-key secret (public half only), reaches the running app, as the auth function
//! starts signing with the new key, without a restart.

use postech_shared_sdk::local_aws;
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use reqwest::{Method, StatusCode};

use crate::helpers::{Options, TestApp, store_verification_key};

/// An admin route: it answers 200 only to a token the app verified.
const ADMIN_ROUTE: &str = "/v1/api/admin/produtos";

fn admin_token_signed_by(key: &SigningKeyMaterial) -> String {
    TokenIssuer::from_material(key)
        .expect("issuer")
        .issue_admin("gerente")
        .expect("token")
        .access_token
}

async fn admin_route_status(app: &TestApp, token: &str) -> StatusCode {
    app.request(Method::GET, ADMIN_ROUTE)
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
}

#[tokio::test]
async fn a_key_rotated_into_the_secret_after_the_start_is_accepted_without_a_restart() {
    let app = TestApp::spawn_with(Options {
        key_secret_variables: Some(vec![
            // No scheduled re-read during the test: only a token naming the new key can make
            // the app read the rotated secret.
            ("JWT_KEY_REFRESH_SECONDS", "3600"),
            // The forged token below spends an unknown-kid re-read; with the default interval
            // the rotated key's first token would then wait 5 s for the next one.
            ("JWT_UNKNOWN_KID_REREAD_SECONDS", "0"),
        ]),
        ..Options::default()
    })
    .await;
    let secret_id = app.key_secret_id.clone().expect("the app reads a secret");
    let never_stored = SigningKeyMaterial::generate(local_aws::unique_name("kid-never-stored"));
    let forged_token = admin_token_signed_by(&never_stored);
    let before = app
        .as_admin(Method::GET, ADMIN_ROUTE)
        .send()
        .await
        .expect("request");
    assert_eq!(
        before.status(),
        StatusCode::OK,
        "the key the app started with"
    );
    assert_eq!(
        admin_route_status(&app, &forged_token).await,
        StatusCode::UNAUTHORIZED
    );

    let rotated = SigningKeyMaterial::generate(local_aws::unique_name("kid-rotated"));
    store_verification_key(&app.aws, &secret_id, &rotated).await;

    assert_eq!(
        admin_route_status(&app, &admin_token_signed_by(&rotated)).await,
        StatusCode::OK,
        "a token of the rotated key, with no restart"
    );
    let previous = app
        .as_admin(Method::GET, ADMIN_ROUTE)
        .send()
        .await
        .expect("request");
    assert_eq!(
        previous.status(),
        StatusCode::OK,
        "tokens of the previous key keep working until they expire"
    );
    assert_eq!(
        admin_route_status(&app, &forged_token).await,
        StatusCode::UNAUTHORIZED,
        "a key that was never in the secret"
    );
}

/// A token whose `jti` the verification-key secret revokes (scripts/revoke-token.sh in
/// postech-lambda-functions) is refused by the app on its next read of the secret; the key's
/// other tokens keep working.
#[tokio::test]
async fn a_revoked_jti_is_refused_and_the_key_s_other_tokens_still_pass() {
    let app = TestApp::spawn_with(Options {
        key_secret_variables: Some(vec![("JWT_UNKNOWN_KID_REREAD_SECONDS", "0")]),
        ..Options::default()
    })
    .await;
    let secret_id = app.key_secret_id.clone().expect("the app reads a secret");
    let key = SigningKeyMaterial::generate(local_aws::unique_name("kid-revoking"));
    let stolen = admin_token_signed_by(&key);
    let other = admin_token_signed_by(&key);
    let stolen_jti = postech_shared_sdk::token::TokenVerifier::from_public_pems([(
        key.kid.as_str(),
        key.public_key_pem.as_str(),
    )])
    .expect("verifier")
    .verify(&stolen)
    .expect("valid")
    .jti;
    let document = serde_json::json!({
        "kid": key.kid,
        "public_key_pem": key.public_key_pem,
        "revoked_jtis": [{ "jti": stolen_jti, "until": 4_102_444_800_u64 }],
    });
    local_aws::put_secret_string(&app.aws, &secret_id, &document.to_string().into())
        .await
        .expect("secret written");

    assert_eq!(
        admin_route_status(&app, &stolen).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(admin_route_status(&app, &other).await, StatusCode::OK);
}
