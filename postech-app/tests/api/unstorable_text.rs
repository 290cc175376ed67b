//! The NUL character (`\u0000`) is valid JSON and a valid Rust string, but PostgreSQL's
//! `text` cannot hold it: in any free-text field it is a 422 naming the field — never a 500 —
//! and nothing is written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::BehindTheApi;
use crate::helpers::{BURGERS, CPF_A, TestApp, detail};

const NUL_TEXT: &str = "sem\u{0}cebola";

/// The `loc`s of a 422, and its messages.
async fn invalid_locations(response: reqwest::Response) -> Vec<Value> {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let issues = detail(response).await;
    let issues = issues.as_array().unwrap();
    assert!(
        issues
            .iter()
            .all(|issue| issue["msg"].as_str().unwrap().contains("caractere nulo")),
        "{issues:?}"
    );
    issues.iter().map(|issue| issue["loc"].clone()).collect()
}

#[tokio::test]
async fn checkout_notes_with_a_nul_character_are_422() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let response = app
        .post_json(
            "/v1/api/pedidos/",
            &json!({"itens": [{"produto_id": burger, "quantidade": 1}], "observacoes": NUL_TEXT}),
        )
        .await;
    assert_eq!(
        invalid_locations(response).await,
        [json!(["body", "observacoes"])]
    );
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM orders"),
        0
    );
    assert_eq!(app.admin_product(&burger).await["estoque_disponivel"], 10);
}

#[tokio::test]
async fn registration_name_or_email_with_a_nul_character_is_422() {
    let app = TestApp::spawn().await;
    for (body, field) in [
        (json!({"nome": "Ana\u{0}", "cpf": CPF_A}), "nome"),
        (
            json!({"email": "ana\u{0}@example.com", "cpf": CPF_A}),
            "email",
        ),
    ] {
        let response = app.post_json("/v1/api/clientes/", &body).await;
        assert_eq!(
            invalid_locations(response).await,
            [json!(["body", field])],
            "{body}"
        );
    }
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM customers"),
        0
    );
    // Nothing reached Cognito either: the CPF is still free.
    app.register(json!({"nome": "Ana", "cpf": CPF_A})).await;
}

#[tokio::test]
async fn admin_product_texts_with_a_nul_character_are_422() {
    let app = TestApp::spawn().await;
    let body = json!({
        "nome": "X-\u{0}Burguer",
        "descricao": "Hambúrguer\u{0} da casa",
        "preco": "15.90",
        "categoria_id": BURGERS,
        "imagem_url": "https://cdn.example.com/\u{0}.png",
        "estoque_disponivel": 5,
    });
    let every_text_field = [
        json!(["body", "nome"]),
        json!(["body", "descricao"]),
        json!(["body", "imagem_url"]),
    ];
    let created = app
        .as_admin(Method::POST, "/v1/api/admin/produtos/")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(invalid_locations(created).await, every_text_field);

    let id = app.create_product("X-Burguer", "15.90", BURGERS, 5).await;
    let updated = app
        .as_admin(Method::PUT, &format!("/v1/api/admin/produtos/{id}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(invalid_locations(updated).await, every_text_field);
    assert_eq!(
        app.admin_product(&id).await["nome"],
        "X-Burguer",
        "unchanged"
    );
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM products"),
        1
    );
}
