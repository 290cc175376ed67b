use postech_shared_sdk::token::Role;
use serde_json::{Value, json};

use crate::support::{
    LocalAws, customer_login_event, fixture, http_request, status_and_json, unique_cpf,
    unverified_claims,
};

#[tokio::test]
async fn registered_cpf_gets_a_customer_token_the_sdk_verifier_accepts() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    let customer_id = aws.register_customer(&cpf).await;
    let authenticator = aws.authenticator().await;

    let response = authenticator
        .handle(customer_login_event(&json!({ "cpf": cpf.as_digits() })))
        .await;

    assert_eq!(response.headers()["cache-control"], "no-store");
    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 600, "a kiosk token lasts one visit");
    let token = body["access_token"].as_str().expect("token");
    let verified = aws.verifier().verify(token).expect("the app accepts it");
    assert_eq!(verified.role, Role::Customer);
    assert_eq!(verified.customer_id(), Some(customer_id));
    let claims = unverified_claims(token);
    assert_eq!(claims["iss"], "postech-auth");
    assert_eq!(claims["aud"], "postech-api");
    assert_eq!(claims["sub"], customer_id.to_string());
    let claims_text = claims.to_string();
    assert!(
        !claims_text.contains(cpf.as_digits()),
        "no CPF in the token: {claims_text}"
    );
    assert!(
        !claims_text.contains("Maria"),
        "no name in the token: {claims_text}"
    );
}

#[tokio::test]
async fn formatted_cpf_logs_in_the_same_customer() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    let customer_id = aws.register_customer(&cpf).await;
    let authenticator = aws.authenticator().await;

    let response = authenticator
        .handle(customer_login_event(&json!({ "cpf": cpf.to_string() })))
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "{body}");
    let verified = aws
        .verifier()
        .verify(body["access_token"].as_str().expect("token"))
        .expect("valid token");
    assert_eq!(verified.customer_id(), Some(customer_id));
}

#[tokio::test]
async fn unknown_and_disabled_cpfs_get_the_identical_401() {
    let aws = LocalAws::provision().await;
    let disabled = unique_cpf();
    aws.register_customer(&disabled).await;
    aws.disable_user(disabled.as_digits()).await;
    let authenticator = aws.authenticator().await;

    let unknown_response = authenticator
        .handle(customer_login_event(
            &json!({ "cpf": unique_cpf().as_digits() }),
        ))
        .await;
    let disabled_response = authenticator
        .handle(customer_login_event(
            &json!({ "cpf": disabled.as_digits() }),
        ))
        .await;

    assert_eq!(unknown_response.status(), 401);
    assert_eq!(disabled_response.status(), 401);
    assert_eq!(
        unknown_response.body().as_ref(),
        disabled_response.body().as_ref()
    );
    assert_eq!(unknown_response.headers(), disabled_response.headers());
    assert_eq!(unknown_response.headers()["www-authenticate"], "Bearer");
    let (_, body) = status_and_json(&unknown_response);
    assert!(body["detail"].is_string(), "{body}");
}

#[tokio::test]
async fn malformed_cpfs_get_422_in_the_fastapi_shape() {
    let aws = LocalAws::provision().await;
    let authenticator = aws.authenticator().await;
    let cases = [
        (
            json!({ "cpf": "291.417.776-30" }),
            "value_error",
            ["body", "cpf"].as_slice(),
        ),
        (
            json!({ "cpf": "111.111.111-11" }),
            "value_error",
            &["body", "cpf"],
        ),
        (
            json!({ "cpf": "5299822472" }),
            "value_error",
            &["body", "cpf"],
        ),
        (
            json!({ "cpf": "abc.def.ghi-jk" }),
            "value_error",
            &["body", "cpf"],
        ),
        (
            json!({ "cpf": 52998224725u64 }),
            "string_type",
            &["body", "cpf"],
        ),
        (json!({}), "missing", &["body", "cpf"]),
        (json!(["52998224725"]), "model_attributes_type", &["body"]),
    ];
    for (body, kind, loc) in cases {
        let response = authenticator.handle(customer_login_event(&body)).await;
        let (status, answer) = status_and_json(&response);
        assert_eq!(status, 422, "{body} -> {answer}");
        let detail = answer["detail"].as_array().expect("detail is a list");
        assert_eq!(detail.len(), 1, "{answer}");
        assert_eq!(detail[0]["type"], kind, "{body} -> {answer}");
        assert_eq!(detail[0]["loc"], json!(loc), "{body} -> {answer}");
        assert!(detail[0]["msg"].as_str().is_some_and(|msg| !msg.is_empty()));
        assert!(
            detail[0].get("input").is_none(),
            "the input is never echoed: {answer}"
        );
    }
}

#[tokio::test]
async fn body_that_is_not_json_gets_422_json_invalid() {
    let aws = LocalAws::provision().await;
    let authenticator = aws.authenticator().await;
    let mut event = fixture("apigw_v2_post_auth.json");
    event["body"] = Value::String("cpf=52998224725".into());

    let response = authenticator.handle(http_request(&event)).await;

    let (status, answer) = status_and_json(&response);
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["type"], "json_invalid");
}

#[tokio::test]
async fn rest_api_v1_event_with_a_stage_reaches_the_customer_login() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    let customer_id = aws.register_customer(&cpf).await;
    let authenticator = aws.authenticator().await;
    let mut event = fixture("apigw_v1_post_auth.json");
    event["body"] = Value::String(json!({ "cpf": cpf.as_digits() }).to_string());

    let response = authenticator.handle(http_request(&event)).await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "{body}");
    let verified = aws
        .verifier()
        .verify(body["access_token"].as_str().expect("token"))
        .expect("valid token");
    assert_eq!(verified.customer_id(), Some(customer_id));
}

#[tokio::test]
async fn other_paths_get_404_and_other_methods_405() {
    let aws = LocalAws::provision().await;
    let authenticator = aws.authenticator().await;
    let mut elsewhere = fixture("apigw_v2_post_auth.json");
    elsewhere["rawPath"] = json!("/v1/api/produtos/");
    elsewhere["requestContext"]["http"]["path"] = json!("/v1/api/produtos/");
    let mut get = fixture("apigw_v2_post_auth.json");
    get["requestContext"]["http"]["method"] = json!("GET");

    let not_found = authenticator.handle(http_request(&elsewhere)).await;
    let not_allowed = authenticator.handle(http_request(&get)).await;

    assert_eq!(status_and_json(&not_found).0, 404);
    assert_eq!(status_and_json(&not_allowed).0, 405);
    assert_eq!(not_allowed.headers()["allow"], "POST");
}
