//! The kitchen list, status changes and cancellation.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{BURGERS, TestApp, detail};

async fn kitchen(app: &TestApp, path: &str) -> Vec<(i64, String)> {
    let response = app.as_admin(Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body.as_array()
        .unwrap()
        .iter()
        .map(|order| {
            (
                order["numero"].as_i64().unwrap(),
                order["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// v1 defects: the kitchen list sorted `Pago` after `Recebido` (and loaded orders with N+1
/// queries); the open-orders list showed finished orders.
#[tokio::test]
async fn v1_defect_kitchen_list_sorts_by_status_priority_then_age_and_hides_closed_orders() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 100).await;
    let mut orders = Vec::new();
    for _ in 0..7 {
        orders.push(app.place_order(&[(&burger, 1)]).await);
    }
    let id = |index: usize| orders[index]["id"].as_str().unwrap().to_owned();
    let number = |index: usize| orders[index]["numero"].as_i64().unwrap();
    // 0 stays Recebido; 1 Pago; 2 Em preparação; 3 Pronto; 4 Finalizado; 5 Cancelado; 6 Pago.
    for (index, path) in [
        (1, vec!["Pago"]),
        (2, vec!["Pago", "Em preparação"]),
        (3, vec!["Pago", "Em preparação", "Pronto"]),
        (4, vec!["Pago", "Em preparação", "Pronto", "Finalizado"]),
        (5, vec!["Cancelado"]),
        (6, vec!["Pago"]),
    ] {
        for status in path {
            assert_eq!(
                app.set_status(&id(index), status).await,
                StatusCode::OK,
                "{index} → {status}"
            );
        }
    }
    let expected = vec![
        (number(3), "Pronto".to_owned()),
        (number(2), "Em preparação".to_owned()),
        (number(1), "Pago".to_owned()),
        (number(6), "Pago".to_owned()),
        (number(0), "Recebido".to_owned()),
    ];
    assert_eq!(kitchen(&app, "/v1/api/admin/pedidos/").await, expected);
    assert_eq!(
        kitchen(&app, "/v1/api/admin/pedidos/em-aberto").await,
        expected
    );
    let full: Value = app
        .as_admin(Method::GET, "/v1/api/admin/pedidos")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        full[0]["itens"][0]["produto_nome"], "X-Burguer",
        "items come with each order"
    );
}

/// Paging is an addition to v1's contract: without `limite` the whole list (as v1 answered),
/// with it the list cut into pages in the same order; out-of-range values are 422.
#[tokio::test]
async fn the_kitchen_list_pages_in_kitchen_order_and_answers_the_whole_list_without_limite() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 100).await;
    let mut numbers = Vec::new();
    for _ in 0..5 {
        let order = app.place_order(&[(&burger, 1)]).await;
        numbers.push(order["numero"].as_i64().unwrap());
    }
    let received = |index: usize| (numbers[index], "Recebido".to_owned());
    let whole = kitchen(&app, "/v1/api/admin/pedidos").await;
    assert_eq!(whole, (0..5).map(received).collect::<Vec<_>>());
    for path in ["/v1/api/admin/pedidos", "/v1/api/admin/pedidos/em-aberto"] {
        assert_eq!(
            kitchen(&app, &format!("{path}?limite=2")).await,
            vec![received(0), received(1)]
        );
        assert_eq!(
            kitchen(&app, &format!("{path}?limite=2&pagina=2")).await,
            vec![received(2), received(3)]
        );
        assert_eq!(
            kitchen(&app, &format!("{path}?limite=2&pagina=3")).await,
            vec![received(4)]
        );
        assert_eq!(
            kitchen(&app, &format!("{path}?limite=2&pagina=4")).await,
            vec![]
        );
    }
    for refused in ["limite=0", "limite=501", "pagina=2", "limite=2&pagina=0"] {
        let response = app
            .as_admin(Method::GET, &format!("/v1/api/admin/pedidos?{refused}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused}"
        );
    }
}

/// v1 defect: PATCH status accepted any transition (`Finalizado → Recebido`).
#[tokio::test]
async fn v1_defect_patch_status_refuses_moves_outside_the_state_machine() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let order = app.place_order(&[(&burger, 1)]).await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(app.set_status(id, "Pronto").await, StatusCode::CONFLICT);
    for status in ["Pago", "Em preparação", "Pronto", "Finalizado"] {
        assert_eq!(app.set_status(id, status).await, StatusCode::OK, "{status}");
    }
    let back = app
        .as_admin(Method::PATCH, &format!("/v1/api/admin/pedidos/{id}/status"))
        .json(&serde_json::json!({"status": "Recebido"}))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::CONFLICT);
    let message = detail(back).await.as_str().unwrap().to_owned();
    assert!(
        message.contains("Finalizado") && message.contains("nenhuma"),
        "{message}"
    );
    let unknown_value = app.set_status(id, "Entregue").await;
    assert_eq!(unknown_value, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown_order = app
        .set_status("7f1c2b8e-0000-4000-8000-000000000000", "Pago")
        .await;
    assert_eq!(unknown_order, StatusCode::NOT_FOUND);
    let customer = app
        .request(Method::PATCH, &format!("/v1/api/admin/pedidos/{id}/status"))
        .bearer_auth(app.customer_token("3f0c6f0e-8a51-4d3a-9a0e-3c1a2b4c5d6e"))
        .json(&serde_json::json!({"status": "Pago"}))
        .send()
        .await
        .unwrap();
    assert_eq!(customer.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_admin_order_view_has_the_timestamped_status_history() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let order = app.place_order(&[(&burger, 1)]).await;
    let id = order["id"].as_str().unwrap();
    app.set_status(id, "Pago").await;
    app.set_status(id, "Em preparação").await;
    let body: Value = app
        .as_admin(Method::GET, &format!("/v1/api/admin/pedidos/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "Em preparação");
    let history: Vec<&str> = body["historico_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, vec!["Recebido", "Pago", "Em preparação"]);
    assert!(
        body["historico_status"][0]["data"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let unknown = app
        .as_admin(
            Method::GET,
            "/v1/api/admin/pedidos/7f1c2b8e-0000-4000-8000-000000000000",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// v1 defects: deleting an order with a payment gave 500, an unknown id gave 204, and after
/// one deletion the open-orders list answered 404 for everyone.
#[tokio::test]
async fn v1_defect_delete_cancels_releases_stock_404s_unknown_ids_and_keeps_lists_working() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let cancelled = app.place_order(&[(&burger, 3)]).await;
    let kept = app.place_order(&[(&burger, 1)]).await;
    let id = cancelled["id"].as_str().unwrap();
    // A payment row, as the payments issue will create: deleting must not trip over it.
    {
        use diesel::RunQueryDsl;
        let mut connection = app.database.connect().unwrap();
        diesel::sql_query(format!(
            "INSERT INTO payments (order_id, provider, amount) VALUES ('{id}', 'simulated', 47.70)"
        ))
        .execute(&mut connection)
        .unwrap();
    }
    assert_eq!(app.admin_product(&burger).await["estoque_disponivel"], 6);
    let response = app
        .as_admin(Method::DELETE, &format!("/v1/api/admin/pedidos/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.admin_product(&burger).await["estoque_disponivel"],
        9,
        "3 units back"
    );
    let reread: Value = app
        .get(&format!("/v1/api/pedidos/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reread["status"], "Cancelado", "records are never erased");
    let again = app
        .as_admin(Method::DELETE, &format!("/v1/api/admin/pedidos/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let unknown = app
        .as_admin(
            Method::DELETE,
            "/v1/api/admin/pedidos/7f1c2b8e-0000-4000-8000-000000000000",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let open = kitchen(&app, "/v1/api/admin/pedidos/em-aberto").await;
    assert_eq!(
        open,
        vec![(kept["numero"].as_i64().unwrap(), "Recebido".to_owned())]
    );

    let kept_id = kept["id"].as_str().unwrap();
    for status in ["Pago", "Em preparação"] {
        app.set_status(kept_id, status).await;
    }
    let late = app
        .as_admin(Method::DELETE, &format!("/v1/api/admin/pedidos/{kept_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        late.status(),
        StatusCode::CONFLICT,
        "too late to cancel once in preparation"
    );
}
