//! v1 clients migrate without rewrites: fields a body carries beyond the contract are
//! ignored, as v1 (pydantic's default) ignored them — and ignoring them changes nothing that
//! the known fields decide.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{BURGERS, CPF_A, DRINKS, TestApp};

#[tokio::test]
async fn checkout_ignores_fields_beyond_the_contract() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let response = app
        .post_json(
            "/v1/api/pedidos/",
            &json!({
                "itens": [{
                    "produto_id": burger,
                    "quantidade": 2,
                    "produto_nome": "X-Burguer",
                    "preco": 0.01,
                }],
                "observacoes": "sem cebola",
                "status": "Pago",
                "valor_total": 0.02,
                "origem": "quiosque-3",
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let order: Value = response.json().await.unwrap();
    assert_eq!(
        (
            &order["status"],
            &order["valor_total"],
            &order["itens"][0]["produto_preco"]
        ),
        (&json!("Recebido"), &json!(31.8), &json!(15.9)),
        "extra fields decide nothing"
    );
}

#[tokio::test]
async fn checkout_still_checks_the_customer_id_among_unknown_fields() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let customer = app.register(json!({"cpf": CPF_A})).await;
    let body = json!({
        "itens": [{"produto_id": burger, "quantidade": 1}],
        "cliente_id": customer,
        "cliente": {"id": customer},
    });
    let anonymous = app.post_json("/v1/api/pedidos/", &body).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let someone_else = app.register(json!({"email": "outra@example.com"})).await;
    let impostor = app
        .request(Method::POST, "/v1/api/pedidos/")
        .bearer_auth(app.customer_token(&someone_else))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(impostor.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.admin_product(&burger).await["estoque_disponivel"],
        10,
        "nothing reserved"
    );
}

#[tokio::test]
async fn admin_product_create_and_update_ignore_fields_beyond_the_contract() {
    let app = TestApp::spawn().await;
    let mut body = json!({
        "id": "00000000-0000-4000-8000-000000000000",
        "nome": "Suco Natural",
        "descricao": "Suco de laranja feito na hora",
        "preco": "7.50",
        "categoria_id": DRINKS,
        "categoria": "Bebida",
        "estoque_disponivel": 12,
        "criado_em": "2024-01-01T00:00:00Z",
    });
    let created = app
        .as_admin(Method::POST, "/v1/api/admin/produtos/")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_ne!(id, body["id"], "the server chooses the id");

    body["preco"] = json!("8.00");
    let updated = app
        .as_admin(Method::PUT, &format!("/v1/api/admin/produtos/{id}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(updated.json::<Value>().await.unwrap()["preco"], "8.00");
}

#[tokio::test]
async fn admin_status_change_ignores_fields_beyond_the_contract() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let order = app.place_order(&[(&burger, 1)]).await;
    let id = order["id"].as_str().unwrap();
    let response = app
        .as_admin(Method::PATCH, &format!("/v1/api/admin/pedidos/{id}/status"))
        .json(&json!({"status": "Pago", "motivo": "pago no caixa", "id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "Pago");
}
