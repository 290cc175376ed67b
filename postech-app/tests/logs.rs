//! The logs of a registration and a checkout carry request ids and masked CPFs, never a CPF
//! in clear (LGPD). Its own test binary: it installs the process-wide log subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "api/helpers.rs"]
#[allow(dead_code, unused_imports)]
mod helpers;

use helpers::{BURGERS, CPF_A, CPF_A_DIGITS, CPF_B, Options, TestApp, checkout_body};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn registration_and_checkout_logs_have_request_ids_and_no_cpf_in_clear() {
    // Debug everywhere: the CPF must stay out even when operators turn logs up.
    let (captured, _guard) = common::capture_logs("debug");

    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let customer = app.register(json!({"nome": "Maria", "cpf": CPF_A})).await;
    let duplicate = app
        .post_json("/v1/api/clientes/", &json!({"cpf": CPF_A_DIGITS}))
        .await;
    assert_eq!(duplicate.status(), StatusCode::ACCEPTED);
    let lookup = app
        .as_admin(
            Method::GET,
            &format!("/v1/api/admin/clientes/{CPF_A_DIGITS}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status(), StatusCode::OK);
    let order = app
        .request(Method::POST, "/v1/api/pedidos")
        .bearer_auth(app.customer_token(&customer))
        .json(&checkout_body(&[(&burger, 1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), StatusCode::CREATED);
    let request_id = order.headers()["x-request-id"].to_str().unwrap().to_owned();

    let failing = TestApp::spawn_with(Options {
        missing_user_pool: true,
        ..Options::default()
    })
    .await;
    let refused = failing
        .post_json("/v1/api/clientes/", &json!({"cpf": CPF_B}))
        .await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);

    let logs = captured.text();
    let lines: Vec<Value> = logs
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    assert!(
        logs.contains("customer registered") && logs.contains("***.***.***-25"),
        "the registration is logged with the masked CPF:\n{logs}"
    );
    assert!(
        logs.contains(&request_id),
        "the checkout's request id is in the logs"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.to_string().contains("/v1/api/pedidos")
                && line.to_string().contains(&request_id)),
        "the answered request is logged with its route and id"
    );
    for cpf in [CPF_A, CPF_A_DIGITS, CPF_B, "12345678909"] {
        assert!(
            !logs.contains(cpf),
            "CPF {cpf} in clear in the logs:\n{logs}"
        );
    }
}
