//! Issue 12 in the app, beyond `/clientes/me`: a kiosk token (a CPF alone) sees its own order's
//! `cliente_nome` masked as `/clientes/me` masks the name, a step-up token in full; an admin
//! disabled in Cognito is refused (401) once the app's admin status cache has expired.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_USERNAME, BURGERS, Options, TestApp, checkout_body};

async fn order_as(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app
        .request(Method::GET, path)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_kiosk_token_sees_its_order_s_name_masked_and_a_step_up_token_in_full() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let me = app.register(json!({"nome": "Rita de Souza"})).await;
    let kiosk = app.customer_token(&me);
    let created = app
        .request(Method::POST, "/v1/api/pedidos")
        .bearer_auth(&kiosk)
        .json(&checkout_body(&[(&burger, 1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    // The checkout's answer to a kiosk token: the first name only, as /clientes/me shows it.
    assert_eq!(created["cliente_nome"], "Rita");
    let path = format!("/v1/api/pedidos/{}", created["id"].as_str().unwrap());

    assert_eq!(order_as(&app, &path, &kiosk).await["cliente_nome"], "Rita");
    let stepped_up = app.customer_step_up_token(&me);
    assert_eq!(
        order_as(&app, &path, &stepped_up).await["cliente_nome"],
        "Rita de Souza"
    );
    assert_eq!(
        order_as(&app, &path, app.admin_token()).await["cliente_nome"],
        "Rita de Souza"
    );
}

#[tokio::test]
async fn a_disabled_admin_s_token_is_refused_once_the_status_cache_expires() {
    // Deployed, the cache holds an answer 30 s (at most 60); here not at all.
    let app = TestApp::spawn_with(Options {
        admin_status_ttl: Some(Duration::ZERO),
        ..Options::default()
    })
    .await;
    let before = app
        .as_admin(Method::GET, "/v1/api/admin/pedidos/")
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), StatusCode::OK);

    app.disable_cognito_user(ADMIN_USERNAME).await;

    let after = app
        .as_admin(Method::GET, "/v1/api/admin/pedidos/")
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(after.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn an_admin_s_status_is_cached_within_its_ttl() {
    let app = TestApp::spawn_with(Options {
        admin_status_ttl: Some(Duration::from_secs(60)),
        ..Options::default()
    })
    .await;
    let status = |app: &TestApp| {
        let request = app.as_admin(Method::GET, "/v1/api/admin/pedidos/");
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(status(&app).await, StatusCode::OK);

    app.disable_cognito_user(ADMIN_USERNAME).await;

    // Within the TTL the cached answer stands: the documented bound (at most 60 s).
    assert_eq!(status(&app).await, StatusCode::OK);
}
