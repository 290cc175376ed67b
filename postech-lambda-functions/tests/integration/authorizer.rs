use jwt_simple::prelude::{Claims, Clock, Duration, Ed25519KeyPair, EdDSAKeyPairLike};
use postech_lambda_functions::auth::validate_jwt::{
    Authorizer, AuthorizerError, AuthorizerRequest, AuthorizerResponse,
};
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::{LocalAws, STAFF_SHARED_USAGE_KEY, fixture};

const STAGE: &str = "staging";

/// The method ARN API Gateway sends for `method path` on the stage.
fn method_arn(method: &str, path: &str) -> String {
    format!("arn:aws:execute-api:us-east-1:123456789012:abc123def4/{STAGE}/{method}{path}")
}

/// A REST API authorizer event for `method path`, with these extra headers.
pub(crate) fn event_with(method: &str, path: &str, headers: &[(&str, &str)]) -> AuthorizerRequest {
    let mut event = fixture("authorizer_rest_request.json");
    event["path"] = json!(path);
    event["httpMethod"] = json!(method);
    event["methodArn"] = json!(method_arn(method, path));
    event["requestContext"]["path"] = json!(format!("/{STAGE}{path}"));
    event["requestContext"]["httpMethod"] = json!(method);
    for field in ["headers", "multiValueHeaders"] {
        event[field]
            .as_object_mut()
            .expect("headers object")
            .remove("Authorization");
    }
    for (name, value) in headers {
        event["headers"][*name] = json!(value);
        event["multiValueHeaders"][*name] = json!([value]);
    }
    serde_json::from_value(event).expect("authorizer event")
}

/// The event for `method path` with this `Authorization` header (or none).
fn event(method: &str, path: &str, authorization: Option<&str>) -> AuthorizerRequest {
    match authorization {
        Some(value) => event_with(method, path, &[("Authorization", value)]),
        None => event_with(method, path, &[]),
    }
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
) -> Result<AuthorizerResponse, AuthorizerError> {
    let header = token.map(|token| format!("Bearer {token}"));
    authorizer
        .authorize(&event(method, path, header.as_deref()))
        .await
}

/// The policy of an answer that must be a policy (allowed or 403).
fn policy(answer: Result<AuthorizerResponse, AuthorizerError>) -> AuthorizerResponse {
    answer.expect("a policy, not a 401")
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
        let response = policy(authorize(&authorizer, method, path, None).await);
        assert!(response.is_allowed(), "{method} {path}");
        assert_eq!(response.context.role, "anonymous");
        assert_eq!(response.context.sub, "");
        assert_eq!(response.usage_identifier_key, None);
    }
}

#[tokio::test]
async fn public_route_with_a_valid_token_names_the_caller() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let response = policy(
        authorize(
            &authorizer,
            "POST",
            "/v1/api/pedidos/",
            Some(&tokens.customer),
        )
        .await,
    );

    assert!(response.is_allowed());
    assert_eq!(response.context.sub, tokens.customer_id.to_string());
    assert_eq!(response.context.role, "customer");
    assert_eq!(response.principal_id, tokens.customer_id.to_string());
}

#[tokio::test]
async fn missing_malformed_expired_and_badly_signed_tokens_are_unauthorized() {
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
        let answer = authorizer
            .authorize(&event("GET", admin_path, header.as_deref()))
            .await;
        assert_eq!(
            answer,
            Err(AuthorizerError::Unauthorized),
            "{case} must be a 401"
        );
    }
    // The same admin token passes untouched: the refusals above come from the defects.
    let response = policy(authorize(&authorizer, "GET", admin_path, Some(&tokens.admin)).await);
    assert!(response.is_allowed());
}

#[tokio::test]
async fn a_customer_on_an_admin_route_gets_a_deny_policy_for_that_method_only() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let customer = policy(
        authorize(
            &authorizer,
            "DELETE",
            "/v1/api/admin/produtos/1",
            Some(&tokens.customer),
        )
        .await,
    );
    let admin = policy(
        authorize(
            &authorizer,
            "DELETE",
            "/v1/api/admin/produtos/1",
            Some(&tokens.admin),
        )
        .await,
    );

    assert!(!customer.is_allowed(), "403, not 401: the token is valid");
    assert_eq!(
        customer.policy_document.statement[0].resource,
        method_arn("DELETE", "/v1/api/admin/produtos/1")
    );
    assert_eq!(customer.context.sub, "", "no subject on a denial");
    assert!(admin.is_allowed());
    assert_eq!(admin.context.sub, "gerente");
    assert_eq!(admin.context.role, "admin");
}

#[tokio::test]
async fn customer_routes_need_the_customer_role() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let customer = policy(
        authorize(
            &authorizer,
            "GET",
            "/v1/api/clientes/me",
            Some(&tokens.customer),
        )
        .await,
    );
    let admin = policy(
        authorize(
            &authorizer,
            "GET",
            "/v1/api/clientes/me/pedidos",
            Some(&tokens.admin),
        )
        .await,
    );
    let anonymous = authorize(&authorizer, "GET", "/v1/api/clientes/me", None).await;

    assert!(customer.is_allowed());
    assert_eq!(customer.context.sub, tokens.customer_id.to_string());
    assert!(!admin.is_allowed());
    assert_eq!(anonymous, Err(AuthorizerError::Unauthorized));
}

#[tokio::test]
async fn metrics_is_never_served_through_the_gateway() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let response = policy(authorize(&authorizer, "GET", "/metrics", Some(&tokens.admin)).await);

    assert!(!response.is_allowed());
}

#[tokio::test]
async fn admin_requests_count_against_the_shared_staff_plan_or_their_own() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);
    let bearer = format!("Bearer {}", tokens.admin);
    let path = "/v1/api/admin/pedidos/";

    let shared = policy(
        authorizer
            .authorize(&event_with("GET", path, &[("Authorization", &bearer)]))
            .await,
    );
    let own = policy(
        authorizer
            .authorize(&event_with(
                "GET",
                path,
                &[
                    ("Authorization", &bearer),
                    ("x-api-key", "kitchen-display-key-0123456789"),
                ],
            ))
            .await,
    );
    let customer = policy(
        authorizer
            .authorize(&event_with(
                "GET",
                "/v1/api/clientes/me",
                &[
                    ("Authorization", &format!("Bearer {}", tokens.customer)),
                    ("x-api-key", "kitchen-display-key-0123456789"),
                ],
            ))
            .await,
    );

    assert_eq!(
        shared.usage_identifier_key.as_deref(),
        Some(STAFF_SHARED_USAGE_KEY)
    );
    assert_eq!(
        own.usage_identifier_key.as_deref(),
        Some("kitchen-display-key-0123456789")
    );
    assert_eq!(
        customer.usage_identifier_key, None,
        "only staff routes are metered per integration"
    );
}

#[tokio::test]
async fn the_payment_simulator_is_public_only_where_the_stage_routes_it() {
    let aws = LocalAws::provision().await;
    let staging = aws
        .authorizer_with(&[("PAYMENT_SIMULATOR", "routed")])
        .await;
    let production = aws
        .authorizer_with(&[("PAYMENT_SIMULATOR", "absent")])
        .await;
    let tokens = tokens(&aws);
    let path = "/v1/api/pagamentos/simulador/6f1c2a64/aprovar";

    let routed = policy(authorize(&staging, "POST", path, None).await);
    let absent = policy(authorize(&production, "POST", path, Some(&tokens.admin)).await);

    assert!(routed.is_allowed());
    assert_eq!(routed.context.role, "anonymous");
    assert!(
        !absent.is_allowed(),
        "denied in production, whoever asks: 403"
    );
}

#[tokio::test]
async fn the_stage_prefix_of_the_execute_api_endpoint_does_not_change_the_verdict() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);
    // API Gateway documents `path` without the stage; should it ever carry it, the rule for
    // /metrics must still apply, not the one for an unknown path.
    let mut event = fixture("authorizer_rest_request.json");
    event["path"] = json!(format!("/{STAGE}/metrics"));
    event["methodArn"] = json!(method_arn("GET", "/metrics"));
    event["headers"]["Authorization"] = json!(format!("Bearer {}", tokens.admin));
    let event: AuthorizerRequest = serde_json::from_value(event).expect("event");

    let response = policy(authorizer.authorize(&event).await);

    assert!(!response.is_allowed());
}

#[tokio::test]
async fn response_has_the_rest_authorizer_wire_shape() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let tokens = tokens(&aws);

    let response = policy(
        authorize(
            &authorizer,
            "GET",
            "/v1/api/admin/pedidos/",
            Some(&tokens.admin),
        )
        .await,
    );

    assert_eq!(
        serde_json::to_value(&response).expect("serialisable"),
        json!({
            "principalId": "gerente",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": method_arn("GET", "/v1/api/admin/pedidos/")
                }]
            },
            "context": { "sub": "gerente", "role": "admin" },
            "usageIdentifierKey": STAFF_SHARED_USAGE_KEY
        })
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
