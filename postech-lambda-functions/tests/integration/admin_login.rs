use base64::Engine as _;
use postech_shared_sdk::token::Role;
use secrecy::ExposeSecret;
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

fn form(username: &str, password: &str) -> String {
    serde_urlencoded::to_string([("username", username), ("password", password)]).expect("form")
}

#[tokio::test]
async fn admin_with_the_right_password_gets_an_admin_token() {
    let aws = LocalAws::provision().await;
    let password = aws.create_admin("gerente").await;
    let authenticator = aws.authenticator().await;

    let response = authenticator
        .handle(admin_json_event(
            "/auth/admin",
            &json!({ "username": "gerente", "password": password.expose_secret() }),
        ))
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let verified = aws
        .verifier()
        .verify(body["access_token"].as_str().expect("token"))
        .expect("valid token");
    assert_eq!(verified.role, Role::Admin);
    assert_eq!(verified.subject, "gerente");
    assert!(
        body["expires_in"]
            .as_u64()
            .is_some_and(|seconds| seconds <= 2 * 3600)
    );
}

#[tokio::test]
async fn v1_clients_log_in_with_a_form_on_the_v1_path_through_a_rest_stage() {
    let aws = LocalAws::provision().await;
    let password = aws.create_admin("gerente").await;
    let authenticator = aws.authenticator().await;
    let mut event = fixture("apigw_v1_post_v1_admin_login_form.json");
    event["body"] = Value::String(form("gerente", password.expose_secret()));

    let response = authenticator.handle(http_request(&event)).await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "{body}");
    let verified = aws
        .verifier()
        .verify(body["access_token"].as_str().expect("token"))
        .expect("valid token");
    assert_eq!(verified.role, Role::Admin);
}

#[tokio::test]
async fn base64_encoded_form_from_the_http_api_is_decoded() {
    let aws = LocalAws::provision().await;
    let password = aws.create_admin("gerente").await;
    let authenticator = aws.authenticator().await;
    let mut event = fixture("apigw_v2_post_auth_admin_form.json");
    let body = form("gerente", password.expose_secret());
    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));

    let response = authenticator.handle(http_request(&event)).await;

    assert_eq!(status_and_json(&response).0, 200);
}

#[tokio::test]
async fn wrong_password_unknown_user_and_non_admin_get_the_same_401() {
    let aws = LocalAws::provision().await;
    let admin_password = aws.create_admin("gerente").await;
    let clerk_password = aws.create_non_admin("caixa").await;
    let authenticator = aws.authenticator().await;
    let wrong = format!("{}-wrong", admin_password.expose_secret());
    let attempts = [
        json!({ "username": "gerente", "password": wrong }),
        json!({ "username": "ninguem", "password": admin_password.expose_secret() }),
        json!({ "username": "caixa", "password": clerk_password.expose_secret() }),
        json!({ "username": "gerente", "password": "" }),
    ];

    let mut answers = Vec::new();
    for attempt in &attempts {
        let response = authenticator
            .handle(admin_json_event("/auth/admin", attempt))
            .await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        answers.push(status_and_json(&response));
    }

    for answer in &answers {
        assert_eq!(answer, &answers[0]);
    }
    assert_eq!(answers[0].0, 401);
}

#[tokio::test]
async fn missing_credentials_get_422_naming_each_field() {
    let aws = LocalAws::provision().await;
    let authenticator = aws.authenticator().await;

    let response = authenticator
        .handle(admin_json_event("/v1/api/admin/login", &json!({})))
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "username"]));
    assert_eq!(body["detail"][1]["loc"], json!(["body", "password"]));
    assert_eq!(body["detail"][0]["type"], "missing");
}

#[tokio::test]
async fn other_body_formats_get_415() {
    let aws = LocalAws::provision().await;
    let authenticator = aws.authenticator().await;
    let mut event = fixture("apigw_v2_post_auth.json");
    event["rawPath"] = json!("/auth/admin");
    event["requestContext"]["http"]["path"] = json!("/auth/admin");
    event["headers"]["content-type"] = json!("text/plain");
    event["body"] = json!("gerente:segredo");

    let response = authenticator.handle(http_request(&event)).await;

    assert_eq!(status_and_json(&response).0, 415);
}
