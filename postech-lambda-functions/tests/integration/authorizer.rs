use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use jwt_simple::prelude::{Claims, Clock, Duration, Ed25519KeyPair, EdDSAKeyPairLike};
use postech_lambda_functions::auth::validate_jwt::{Authorizer, AuthorizerResponse};
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::{LocalAws, fixture};

/// An authorizer event for `method path`, with this `Authorization` header (or none).
fn event(
    method: &str,
    path: &str,
    authorization: Option<&str>,
) -> ApiGatewayV2CustomAuthorizerV2Request {
    let mut event = fixture("authorizer_v2_request.json");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    match authorization {
        Some(value) => {
            event["headers"]["authorization"] = json!(value);
            event["identitySource"] = json!([value, method, path]);
        }
        None => {
            event["headers"]
                .as_object_mut()
                .expect("headers object")
                .remove("authorization");
            event["identitySource"] = Value::Null;
        }
    }
    serde_json::from_value(event).expect("authorizer event")
}

struct Tokens {
    customer: String,
    customer_id: CustomerId,
    admin: String,
}

fn tokens(aws: &LocalAws) -> Tokens {
    let issuer = TokenIssuer::from_material(&aws.key).expect("issuer");
    let customer_id = CustomerId::new_random();
    Tokens {
        customer: issuer
            .issue_customer(&customer_id)
            .expect("customer token")
            .access_token,
        customer_id,
        admin: issuer
            .issue_admin("gerente")
            .expect("admin token")
            .access_token,
    }
}

async fn authorize(
    authorizer: &Authorizer,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> AuthorizerResponse {
    let header = token.map(|token| format!("Bearer {token}"));
    authorizer
        .authorize(&event(method, path, header.as_deref()))
        .await
}

fn bearer(token: &str) -> Option<&str> {
    Some(token)
}

#[tokio::test]
async fn public_routes_pass_without_a_token_as_anonymous() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;

    for (method, path) in [
        ("GET", "/v1/api/produtos/"),
        ("POST", "/v1/api/pedidos/"),
        ("GET", "/health"),
        ("POST", "/v1/api/pagamentos/webhook"),
    ] {
        let response = authorize(&authorizer, method, path, None).await;
        assert!(response.is_authorized, "{method} {path}");
        assert_eq!(response.context.role, "anonymous");
        assert_eq!(response.context.sub, "");
    }
}

#[tokio::test]
async fn public_route_with_a_valid_token_names_the_caller() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let response = authorize(
        &authorizer,
        "POST",
        "/v1/api/pedidos/",
        bearer(&tokens.customer),
    )
    .await;

    assert!(response.is_authorized);
    assert_eq!(response.context.sub, tokens.customer_id.to_string());
    assert_eq!(response.context.role, "customer");
}

#[tokio::test]
async fn protected_routes_refuse_missing_malformed_and_foreign_tokens() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);
    // A customer token whose payload claims `admin`, with the original signature.
    let tampered = with_claims(&tokens.customer, |claims| claims["role"] = json!("admin"));
    let same_kid_other_key = SigningKeyMaterial::generate(aws.key.kid.clone());
    let forged = TokenIssuer::from_material(&same_kid_other_key)
        .expect("issuer")
        .issue_admin("gerente")
        .expect("token")
        .access_token;
    let unknown_kid = TokenIssuer::from_material(&SigningKeyMaterial::generate("not-ours"))
        .expect("issuer")
        .issue_admin("gerente")
        .expect("token")
        .access_token;
    let expired = expired_admin_token(&aws);
    let admin_path = "/v1/api/admin/produtos/";

    let cases: [(&str, Option<String>); 8] = [
        ("no header", None),
        ("wrong scheme", Some(format!("Basic {}", tokens.admin))),
        ("bare token", Some(tokens.admin.clone())),
        ("garbage", Some("Bearer not-a-jwt".into())),
        ("expired", Some(format!("Bearer {expired}"))),
        ("tampered", Some(format!("Bearer {tampered}"))),
        ("another key, same kid", Some(format!("Bearer {forged}"))),
        (
            "another key, unknown kid",
            Some(format!("Bearer {unknown_kid}")),
        ),
    ];
    for (case, header) in cases {
        let response = authorizer
            .authorize(&event("GET", admin_path, header.as_deref()))
            .await;
        assert!(!response.is_authorized, "{case} must be denied");
        assert_eq!(response.context.sub, "", "{case}: no subject on a denial");
    }
    // The same admin token passes untouched: the denials above come from the defects.
    let response = authorize(&authorizer, "GET", admin_path, bearer(&tokens.admin)).await;
    assert!(response.is_authorized);
}

#[tokio::test]
async fn admin_routes_need_the_admin_role() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let customer = authorize(
        &authorizer,
        "DELETE",
        "/v1/api/admin/produtos/1",
        bearer(&tokens.customer),
    )
    .await;
    let admin = authorize(
        &authorizer,
        "DELETE",
        "/v1/api/admin/produtos/1",
        bearer(&tokens.admin),
    )
    .await;

    assert!(!customer.is_authorized);
    assert!(admin.is_authorized);
    assert_eq!(admin.context.sub, "gerente");
    assert_eq!(admin.context.role, "admin");
}

#[tokio::test]
async fn customer_routes_need_the_customer_role() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let customer = authorize(
        &authorizer,
        "GET",
        "/v1/api/clientes/me",
        bearer(&tokens.customer),
    )
    .await;
    let admin = authorize(
        &authorizer,
        "GET",
        "/v1/api/clientes/me/pedidos",
        bearer(&tokens.admin),
    )
    .await;
    let anonymous = authorize(&authorizer, "GET", "/v1/api/clientes/me", None).await;

    assert!(customer.is_authorized);
    assert_eq!(customer.context.sub, tokens.customer_id.to_string());
    assert!(!admin.is_authorized);
    assert!(!anonymous.is_authorized);
}

#[tokio::test]
async fn metrics_is_never_served_through_the_gateway() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let response = authorize(&authorizer, "GET", "/metrics", bearer(&tokens.admin)).await;

    assert!(!response.is_authorized);
}

#[tokio::test]
async fn response_has_the_simple_response_wire_shape() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let response = authorize(
        &authorizer,
        "GET",
        "/v1/api/admin/pedidos/",
        bearer(&tokens.admin),
    )
    .await;

    assert_eq!(
        serde_json::to_value(&response).expect("serialisable"),
        json!({ "isAuthorized": true, "context": { "sub": "gerente", "role": "admin" } })
    );
}

/// The token with its payload rewritten and its signature kept.
fn with_claims(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = crate::support::unverified_claims(token);
    edit(&mut claims);
    let payload = engine.encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// An admin token signed with the right key whose `exp` passed an hour ago.
fn expired_admin_token(aws: &LocalAws) -> String {
    let key_pair = Ed25519KeyPair::from_pem(aws.key.private_key_pem.expose_secret())
        .expect("private key")
        .with_key_id(&aws.key.kid);
    let issued = Clock::now_since_epoch() - Duration::from_hours(2);
    let mut claims =
        Claims::with_custom_claims(json!({ "role": "admin" }), Duration::from_hours(1))
            .with_issuer("postech-auth")
            .with_audience("postech-api")
            .with_subject("gerente")
            .with_jwt_id("expired-test-token");
    claims.issued_at = Some(issued);
    claims.invalid_before = Some(issued);
    claims.expires_at = Some(issued + Duration::from_hours(1));
    key_pair.sign(claims).expect("signed")
}
