//! Revocation at the authorizer: the verification-key secret's `revoked_jtis` and
//! `revoked_kids` (scripts/revoke-token.sh, `rotate-signing-key.sh --emergency`) refuse a
//! token on the next read of the secret (401), and a customer token naming no login method is
//! refused on the customer routes (403).

use jwt_simple::prelude::{Claims, Duration, Ed25519KeyPair, EdDSAKeyPairLike};
use postech_lambda_functions::auth::validate_jwt::{AuthorizerError, AuthorizerRequest};
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::support::{LocalAws, fixture};

fn event(method: &str, path: &str, token: &str) -> AuthorizerRequest {
    let mut event = fixture("authorizer_rest_request.json");
    event["path"] = json!(path);
    event["httpMethod"] = json!(method);
    event["methodArn"] = json!(format!(
        "arn:aws:execute-api:us-east-1:123456789012:abc123def4/staging/{method}{path}"
    ));
    event["requestContext"]["path"] = json!(format!("/staging{path}"));
    event["requestContext"]["httpMethod"] = json!(method);
    event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
    event["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {token}")]);
    serde_json::from_value(event).expect("authorizer event")
}

async fn write_verification_secret(aws: &LocalAws, document: serde_json::Value) {
    aws_sdk_secretsmanager::Client::new(&aws.sdk_config)
        .put_secret_value()
        .secret_id(&aws.verification_secret_id)
        .secret_string(document.to_string())
        .send()
        .await
        .expect("secret written");
}

#[tokio::test]
async fn a_revoked_jti_is_refused_by_the_authorizer_and_other_tokens_pass() {
    let aws = LocalAws::provision().await;
    let authorizer = aws
        .authorizer_with(&[("JWT_KEY_REFRESH_SECONDS", "0")])
        .await;
    let issuer = TokenIssuer::from_material(&aws.key).expect("issuer");
    let stolen = issuer.issue_admin("gerente").expect("token").access_token;
    let other = issuer.issue_admin("gerente").expect("token").access_token;
    let stolen_jti = aws.verifier().verify(&stolen).expect("valid").jti;
    let path = "/v1/api/admin/pedidos";
    assert!(
        authorizer
            .authorize(&event("GET", path, &stolen))
            .await
            .expect("allowed")
            .is_allowed()
    );

    write_verification_secret(
        &aws,
        json!({
            "kid": aws.key.kid, "public_key_pem": aws.key.public_key_pem,
            "revoked_jtis": [{"jti": stolen_jti, "until": 4_102_444_800_u64}],
        }),
    )
    .await;

    assert!(matches!(
        authorizer.authorize(&event("GET", path, &stolen)).await,
        Err(AuthorizerError::Unauthorized)
    ));
    assert!(
        authorizer
            .authorize(&event("GET", path, &other))
            .await
            .expect("allowed")
            .is_allowed()
    );
}

#[tokio::test]
async fn a_revoked_kid_is_refused_by_the_authorizer_after_an_emergency_rotation() {
    let aws = LocalAws::provision().await;
    let authorizer = aws
        .authorizer_with(&[("JWT_KEY_REFRESH_SECONDS", "0")])
        .await;
    let leaked = TokenIssuer::from_material(&aws.key)
        .expect("issuer")
        .issue_admin("gerente")
        .expect("token")
        .access_token;
    let fresh = SigningKeyMaterial::generate("kid-fresh");
    write_verification_secret(
        &aws,
        json!({
            "kid": fresh.kid, "public_key_pem": fresh.public_key_pem,
            "revoked_kids": [aws.key.kid],
        }),
    )
    .await;

    let path = "/v1/api/admin/pedidos";
    assert!(matches!(
        authorizer.authorize(&event("GET", path, &leaked)).await,
        Err(AuthorizerError::Unauthorized)
    ));
    let new_token = TokenIssuer::from_material(&fresh)
        .expect("issuer")
        .issue_admin("gerente")
        .expect("token")
        .access_token;
    assert!(
        authorizer
            .authorize(&event("GET", path, &new_token))
            .await
            .expect("allowed")
            .is_allowed()
    );
}

#[tokio::test]
async fn a_customer_token_without_a_login_method_is_forbidden_on_customer_routes() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    // Signed with the stage's key but without `amr`, as a 0.2 token (5 minutes, so only the
    // missing method can refuse it).
    let claims = Claims::with_custom_claims(json!({ "role": "customer" }), Duration::from_mins(5))
        .with_issuer("postech-auth")
        .with_audience("postech-api")
        .with_subject(CustomerId::new_random().to_string())
        .with_jwt_id("legacy-token");
    let token = Ed25519KeyPair::from_pem(aws.key.private_key_pem.expose_secret())
        .expect("key")
        .with_key_id(&aws.key.kid)
        .sign(claims)
        .expect("signed");
    let response = authorizer
        .authorize(&event("GET", "/v1/api/clientes/me", &token))
        .await
        .expect("a policy");
    assert!(!response.is_allowed());

    let kiosk = TokenIssuer::from_material(&aws.key)
        .expect("issuer")
        .issue_customer(&CustomerId::new_random())
        .expect("token")
        .access_token;
    assert!(
        authorizer
            .authorize(&event("GET", "/v1/api/clientes/me", &kiosk))
            .await
            .expect("a policy")
            .is_allowed()
    );
}
