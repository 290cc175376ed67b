//! The admin login that survives MFA, against moto's Cognito: the password step answers an
//! admin with TOTP MFA with a challenge (202, no token), the code step with a token — only for
//! the right code. moto checks TOTP codes (RFC 6238, current 30-s step) against the secret
//! `AssociateSoftwareToken` gave, because the SDK's `MotoServer` starts it with
//! `MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true`; a wrong code is its `CodeMismatchException`.
//! Also here: a disabled admin's token refused by the authorizer within the status cache.

use postech_shared_sdk::local_aws::{self, fresh_totp_code};
use postech_shared_sdk::token::{AuthMethod, Role, TokenIssuer};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::support::{LocalAws, fixture, http_request, status_and_json};

fn admin_json_event(path: &str, body: &Value) -> lambda_http::Request {
    let mut event = fixture("apigw_v2_post_auth.json");
    event["rawPath"] = json!(path);
    event["routeKey"] = json!(format!("POST {path}"));
    event["requestContext"]["http"]["path"] = json!(path);
    event["body"] = Value::String(body.to_string());
    http_request(&event)
}

fn v1_form_event(pairs: &[(&str, &str)]) -> lambda_http::Request {
    let mut event = fixture("apigw_v1_post_v1_admin_login_form.json");
    event["body"] = Value::String(serde_urlencoded::to_string(pairs).expect("form"));
    http_request(&event)
}

fn unique_admin() -> String {
    format!("chefe-{}", local_aws::unique_suffix())
}

/// A code of the right shape that is not the current one.
fn wrong_code(right: &str) -> String {
    let value: u32 = right.parse().expect("six digits");
    format!("{:06}", (value + 1) % 1_000_000)
}

async fn code_now(secret: &SecretString) -> String {
    fresh_totp_code(secret).await.expect("base32 secret")
}

#[tokio::test]
async fn admin_with_totp_mfa_gets_a_challenge_and_no_token_for_the_password_alone() {
    let aws = LocalAws::provision().await;
    let username = unique_admin();
    let (password, _secret) = aws.create_admin_with_totp(&username).await;
    let authenticator = aws.authenticator().await;

    let response = authenticator
        .handle(admin_json_event(
            "/auth/admin",
            &json!({ "username": username, "password": password.expose_secret() }),
        ))
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 202, "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    assert_eq!(body["desafio"], "totp");
    assert!(
        body["sessao"]
            .as_str()
            .is_some_and(|session| !session.is_empty())
    );
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );

    // Without a code, the session alone gets nothing.
    let no_code = authenticator
        .handle(admin_json_event(
            "/auth/admin",
            &json!({ "username": username, "sessao": body["sessao"] }),
        ))
        .await;
    let (status, detail) = status_and_json(&no_code);
    assert_eq!(status, 422, "{detail}");
    assert_eq!(detail["detail"][0]["loc"], json!(["body", "codigo"]));
}

#[tokio::test]
async fn admin_with_totp_mfa_logs_in_with_the_right_code() {
    let aws = LocalAws::provision().await;
    let username = unique_admin();
    let (password, secret) = aws.create_admin_with_totp(&username).await;
    let authenticator = aws.authenticator().await;
    let (_, challenge) = status_and_json(
        &authenticator
            .handle(admin_json_event(
                "/auth/admin",
                &json!({ "username": username, "password": password.expose_secret() }),
            ))
            .await,
    );

    let code = code_now(&secret).await;
    let response = authenticator
        .handle(admin_json_event(
            "/auth/admin",
            &json!({ "username": username, "sessao": challenge["sessao"], "codigo": code }),
        ))
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "{body}");
    let verified = aws
        .verifier()
        .verify(body["access_token"].as_str().expect("token"))
        .expect("valid token");
    assert_eq!(verified.role, Role::Admin);
    assert_eq!(verified.subject, username);
    assert!(
        verified.amr.contains(&AuthMethod::Otp),
        "{:?}",
        verified.amr
    );
    assert!(
        verified.amr.contains(&AuthMethod::Mfa),
        "{:?}",
        verified.amr
    );
}

#[tokio::test]
async fn a_wrong_totp_code_gets_401_and_no_token() {
    let aws = LocalAws::provision().await;
    let username = unique_admin();
    let (password, secret) = aws.create_admin_with_totp(&username).await;
    let authenticator = aws.authenticator().await;
    let (_, challenge) = status_and_json(
        &authenticator
            .handle(admin_json_event(
                "/auth/admin",
                &json!({ "username": username, "password": password.expose_secret() }),
            ))
            .await,
    );

    let wrong = wrong_code(&code_now(&secret).await);
    let response = authenticator
        .handle(admin_json_event(
            "/auth/admin",
            &json!({ "username": username, "sessao": challenge["sessao"], "codigo": wrong }),
        ))
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["detail"], "Código inválido ou expirado");
    assert!(body.get("access_token").is_none());
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
}

#[tokio::test]
async fn a_right_code_with_a_session_cognito_never_issued_gets_401() {
    let aws = LocalAws::provision().await;
    let username = unique_admin();
    let (_password, secret) = aws.create_admin_with_totp(&username).await;
    let authenticator = aws.authenticator().await;

    let code = code_now(&secret).await;
    let response = authenticator
        .handle(admin_json_event(
            "/auth/admin",
            &json!({ "username": username, "sessao": "AYAB-not-a-session", "codigo": code }),
        ))
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 401, "{body}");
    assert!(body.get("access_token").is_none());
}

#[tokio::test]
async fn v1_clients_run_both_steps_as_forms_on_the_v1_path() {
    let aws = LocalAws::provision().await;
    let username = unique_admin();
    let (password, secret) = aws.create_admin_with_totp(&username).await;
    let authenticator = aws.authenticator().await;

    let (status, challenge) = status_and_json(
        &authenticator
            .handle(v1_form_event(&[
                ("username", &username),
                ("password", password.expose_secret()),
            ]))
            .await,
    );
    assert_eq!(status, 202, "{challenge}");
    let session = challenge["sessao"].as_str().expect("session").to_owned();
    let code = code_now(&secret).await;
    let (status, body) = status_and_json(
        &authenticator
            .handle(v1_form_event(&[
                ("username", &username),
                ("sessao", &session),
                ("codigo", &code),
            ]))
            .await,
    );

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        aws.verifier()
            .verify(body["access_token"].as_str().expect("token"))
            .expect("valid")
            .role,
        Role::Admin
    );
}

#[tokio::test]
async fn a_wrong_password_never_reaches_the_code_step() {
    let aws = LocalAws::provision().await;
    let username = unique_admin();
    let (password, _secret) = aws.create_admin_with_totp(&username).await;
    let authenticator = aws.authenticator().await;

    let response = authenticator
        .handle(admin_json_event(
            "/auth/admin",
            &json!({ "username": username, "password": format!("{}-wrong", password.expose_secret()) }),
        ))
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["detail"], "Usuário ou senha inválidos");
    assert!(body.get("sessao").is_none());
}

#[tokio::test]
async fn a_disabled_admins_token_is_refused_by_the_authorizer_once_the_status_cache_expires() {
    let aws = LocalAws::provision().await;
    let username = unique_admin();
    aws.create_admin(&username).await;
    // The bound is ADMIN_STATUS_CACHE_SECONDS (30 s deployed); 0 here: asked on every request.
    let authorizer = aws
        .authorizer_with(&[("ADMIN_STATUS_CACHE_SECONDS", "0")])
        .await;
    let event = admin_route_event(&admin_token(&aws, &username));
    assert!(
        authorizer
            .authorize(&event)
            .await
            .expect("allowed")
            .is_allowed()
    );

    aws.disable_user(&username).await;

    let refused = authorizer.authorize(&event).await;
    assert!(
        matches!(
            refused,
            Err(postech_lambda_functions::auth::validate_jwt::AuthorizerError::Unauthorized)
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_admins_status_is_trusted_for_the_cache_ttl_only() {
    let aws = LocalAws::provision().await;
    let username = unique_admin();
    aws.create_admin(&username).await;
    let cached = aws
        .authorizer_with(&[("ADMIN_STATUS_CACHE_SECONDS", "60")])
        .await;
    let uncached = aws
        .authorizer_with(&[("ADMIN_STATUS_CACHE_SECONDS", "0")])
        .await;
    let event = admin_route_event(&admin_token(&aws, &username));
    assert!(
        cached
            .authorize(&event)
            .await
            .expect("allowed")
            .is_allowed()
    );

    aws.disable_user(&username).await;

    // Within its TTL the cache still holds "active" (the documented bound, ≤ 60 s) …
    assert!(
        cached
            .authorize(&event)
            .await
            .expect("allowed")
            .is_allowed()
    );
    // … while a verifier whose answer expired asks again and refuses.
    assert!(uncached.authorize(&event).await.is_err());
}

/// A token for `username` as an admin, signed with the stage's key.
fn admin_token(aws: &LocalAws, username: &str) -> String {
    TokenIssuer::from_material(&aws.key)
        .expect("issuer")
        .issue_admin(username)
        .expect("token")
        .access_token
}

fn admin_route_event(
    token: &str,
) -> postech_lambda_functions::auth::validate_jwt::AuthorizerRequest {
    let path = "/v1/api/admin/pedidos";
    let mut event = fixture("authorizer_rest_request.json");
    event["path"] = json!(path);
    event["httpMethod"] = json!("GET");
    event["methodArn"] = json!(format!(
        "arn:aws:execute-api:us-east-1:123456789012:abc123def4/staging/GET{path}"
    ));
    event["requestContext"]["path"] = json!(format!("/staging{path}"));
    event["requestContext"]["httpMethod"] = json!("GET");
    event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
    event["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {token}")]);
    serde_json::from_value(event).expect("authorizer event")
}
