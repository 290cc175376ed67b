//! Categories and products, public and admin.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::BehindTheApi;
use crate::helpers::{BURGERS, DESSERTS, DRINKS, SIDES, TestApp, detail};

fn product_body(name: &str, price: Value) -> Value {
    json!({
        "nome": name,
        "descricao": "Uma descrição longa o suficiente",
        "preco": price,
        "categoria_id": BURGERS,
        "estoque_disponivel": 10,
    })
}

#[tokio::test]
async fn categories_are_the_four_fixed_ones() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/api/categorias/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let pairs: Vec<(&str, &str)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|category| {
            (
                category["id"].as_str().unwrap(),
                category["nome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            (BURGERS, "Lanche"),
            (SIDES, "Acompanhamento"),
            (DRINKS, "Bebida"),
            (DESSERTS, "Sobremesa")
        ]
    );
}

#[tokio::test]
async fn product_list_has_the_contract_shape_and_price_as_a_two_decimal_string() {
    let app = TestApp::spawn().await;
    let id = app.create_product("X-Burguer", "15.9", BURGERS, 7).await;
    let body: Value = app.get("/v1/api/produtos/").await.json().await.unwrap();
    assert_eq!(
        body,
        json!([{
            "id": id,
            "nome": "X-Burguer",
            "descricao": "Descrição de X-Burguer para o cardápio",
            "preco": "15.90",
            "categoria_id": BURGERS,
            "imagem_url": null,
            "estoque_disponivel": 7,
        }])
    );
}

#[tokio::test]
async fn collection_paths_answer_with_and_without_the_trailing_slash() {
    let app = TestApp::spawn().await;
    for path in [
        "/v1/api/produtos",
        "/v1/api/produtos/",
        "/v1/api/categorias",
        "/v1/api/categorias/",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
    let with_query = app
        .get(&format!("/v1/api/produtos/?categoria_id={DRINKS}"))
        .await;
    assert_eq!(with_query.status(), StatusCode::OK);
}

#[tokio::test]
async fn products_filter_by_category_id_or_by_name_ignoring_case_and_accents() {
    let app = TestApp::spawn().await;
    app.create_product("X-Salada", "16.90", BURGERS, 5).await;
    app.create_product("Batata Frita", "9.90", SIDES, 5).await;
    app.create_product("Suco Natural", "7.50", DRINKS, 5).await;
    let names = |body: Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|product| product["nome"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_id: Value = app
        .get(&format!("/v1/api/produtos?categoria_id={SIDES}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(by_id), vec!["Batata Frita"]);
    let by_name: Value = app
        .get("/v1/api/produtos?categoria=ACOMPANHAMENTO")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(by_name), vec!["Batata Frita"]);
    let accented: Value = app
        .get("/v1/api/produtos?categoria=acompanh%C3%A1mento")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(accented), vec!["Batata Frita"]);
    let unknown = app.get("/v1/api/produtos?categoria=pizza").await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        detail(unknown).await[0]["loc"],
        json!(["query", "categoria"])
    );
}

#[tokio::test]
async fn product_by_id_is_404_when_unknown_or_inactive_and_422_when_malformed() {
    let app = TestApp::spawn().await;
    let id = app.create_product("Sorvete", "8.00", DESSERTS, 5).await;
    assert_eq!(
        app.get(&format!("/v1/api/produtos/{id}")).await.status(),
        StatusCode::OK
    );
    let unknown = app
        .get("/v1/api/produtos/7f1c2b8e-0000-4000-8000-000000000000")
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(detail(unknown).await, "Produto não encontrado");
    let malformed = app.get("/v1/api/produtos/abc").await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        detail(malformed).await[0]["loc"],
        json!(["path", "product_id"])
    );

    let deleted = app
        .as_admin(Method::DELETE, &format!("/v1/api/admin/produtos/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/v1/api/produtos/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let listed: Value = app.get("/v1/api/produtos").await.json().await.unwrap();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn admin_product_routes_need_a_token_401_and_the_admin_role_403() {
    let app = TestApp::spawn().await;
    let anonymous = app
        .request(Method::GET, "/v1/api/admin/produtos")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let garbage = app
        .request(Method::POST, "/v1/api/admin/produtos")
        .bearer_auth("not-a-jwt")
        .json(&product_body("X-Tudo", json!("20.00")))
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
    let customer = app.customer_token("3f0c6f0e-8a51-4d3a-9a0e-3c1a2b4c5d6e");
    let forbidden = app
        .request(Method::POST, "/v1/api/admin/produtos")
        .bearer_auth(customer)
        .json(&product_body("X-Tudo", json!("20.00")))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert!(forbidden.headers().get("www-authenticate").is_none());
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM products"),
        0
    );
}

#[tokio::test]
async fn admin_create_accepts_price_as_number_or_string_and_validates_every_rule() {
    let app = TestApp::spawn().await;
    for price in [json!(12.5), json!("12.50"), json!(12)] {
        let response = app
            .as_admin(Method::POST, "/v1/api/admin/produtos")
            .json(&product_body(&format!("Produto {price}"), price.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{price}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["ativo"], true);
    }
    let cases = [
        (
            json!({"nome": "X", "descricao": "Uma descrição longa", "preco": "10.00", "categoria_id": BURGERS, "estoque_disponivel": 1}),
            "nome",
        ),
        (
            json!({"nome": "Xis", "descricao": "curta", "preco": "10.00", "categoria_id": BURGERS, "estoque_disponivel": 1}),
            "descricao",
        ),
        (
            json!({"nome": "Xis", "descricao": "Uma descrição longa", "preco": "0", "categoria_id": BURGERS, "estoque_disponivel": 1}),
            "preco",
        ),
        (
            json!({"nome": "Xis", "descricao": "Uma descrição longa", "preco": "1000.01", "categoria_id": BURGERS, "estoque_disponivel": 1}),
            "preco",
        ),
        (
            json!({"nome": "Xis", "descricao": "Uma descrição longa", "preco": "1.999", "categoria_id": BURGERS, "estoque_disponivel": 1}),
            "preco",
        ),
        (
            json!({"nome": "Xis", "descricao": "Uma descrição longa", "preco": "10.00", "categoria_id": "7f1c2b8e-0000-4000-8000-000000000000", "estoque_disponivel": 1}),
            "categoria_id",
        ),
        (
            json!({"nome": "Xis", "descricao": "Uma descrição longa", "preco": "10.00", "categoria_id": BURGERS, "estoque_disponivel": 10001}),
            "estoque_disponivel",
        ),
        (
            json!({"nome": "Xis", "descricao": "Uma descrição longa", "preco": "10.00", "categoria_id": BURGERS, "estoque_disponivel": -1}),
            "estoque_disponivel",
        ),
        (
            json!({"descricao": "Uma descrição longa", "preco": "10.00", "categoria_id": BURGERS, "estoque_disponivel": 1}),
            "nome",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .as_admin(Method::POST, "/v1/api/admin/produtos")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let issues = detail(response).await;
        assert_eq!(issues[0]["loc"], json!(["body", field]), "{body}: {issues}");
        assert!(issues[0]["msg"].as_str().is_some_and(|msg| !msg.is_empty()));
    }
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM products"),
        3
    );
}

#[tokio::test]
async fn admin_update_replaces_fields_reactivates_and_404s_unknown_ids() {
    let app = TestApp::spawn().await;
    let id = app.create_product("Refrigerante", "6.00", DRINKS, 3).await;
    app.as_admin(Method::DELETE, &format!("/v1/api/admin/produtos/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(app.admin_product(&id).await["ativo"], false);

    let mut body = product_body("Refrigerante Lata", json!("6.50"));
    body["categoria_id"] = json!(DRINKS);
    let kept = app
        .as_admin(Method::PUT, &format!("/v1/api/admin/produtos/{id}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), StatusCode::OK);
    assert_eq!(
        kept.json::<Value>().await.unwrap()["ativo"],
        false,
        "absent `ativo` keeps the status"
    );

    body["ativo"] = json!(true);
    let response = app
        .as_admin(Method::PUT, &format!("/v1/api/admin/produtos/{id}/"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(
        (
            updated["nome"].as_str(),
            updated["preco"].as_str(),
            updated["ativo"].as_bool()
        ),
        (Some("Refrigerante Lata"), Some("6.50"), Some(true))
    );
    assert_eq!(
        app.get(&format!("/v1/api/produtos/{id}")).await.status(),
        StatusCode::OK
    );

    let unknown = app
        .as_admin(
            Method::PUT,
            "/v1/api/admin/produtos/7f1c2b8e-0000-4000-8000-000000000000",
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let unknown_delete = app
        .as_admin(
            Method::DELETE,
            "/v1/api/admin/produtos/7f1c2b8e-0000-4000-8000-000000000000",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_delete.status(), StatusCode::NOT_FOUND);
}

/// v1 defect: deleting a product that was ever ordered gave 500 (foreign key).
#[tokio::test]
async fn v1_defect_deleting_an_ordered_product_deactivates_it_and_keeps_the_order_snapshot() {
    let app = TestApp::spawn().await;
    let id = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let order = app.place_order(&[(&id, 2)]).await;
    let response = app
        .as_admin(Method::DELETE, &format!("/v1/api/admin/produtos/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let admin_view = app.admin_product(&id).await;
    assert_eq!(admin_view["ativo"], false);
    let order_id = order["id"].as_str().unwrap();
    let reread: Value = app
        .get(&format!("/v1/api/pedidos/{order_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reread["itens"][0]["produto_nome"], "X-Burguer");
    assert_eq!(reread["itens"][0]["produto_preco"], json!(15.9));
}
