//! Checkouts racing for the same stock rows.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{BURGERS, SIDES, TestApp, checkout_body};

#[tokio::test]
async fn fifty_checkouts_racing_for_the_last_ten_units_sell_exactly_ten() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let body = checkout_body(&[(&burger, 1)]);
    let requests = (0..50).map(|_| app.post_json("/v1/api/pedidos", &body));
    let responses = futures_util::future::join_all(requests).await;
    let mut created = 0;
    let mut refused = 0;
    for response in responses {
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => refused += 1,
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!((created, refused), (10, 40));
    assert_eq!(app.admin_product(&burger).await["estoque_disponivel"], 0);
    assert_eq!(app.sql_count("SELECT count(*) AS count FROM orders"), 10);
}

#[tokio::test]
async fn fifty_checkouts_naming_two_products_in_opposite_orders_all_succeed() {
    let app = TestApp::spawn().await;
    let burger = app
        .create_product("X-Burguer", "15.90", BURGERS, 1000)
        .await;
    let fries = app
        .create_product("Batata Frita", "9.90", SIDES, 1000)
        .await;
    let forwards = checkout_body(&[(&burger, 1), (&fries, 1)]);
    let backwards = checkout_body(&[(&fries, 1), (&burger, 1)]);
    let requests = (0..50).map(|index| {
        let body = if index % 2 == 0 {
            &forwards
        } else {
            &backwards
        };
        app.post_json("/v1/api/pedidos", body)
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut numbers = std::collections::BTreeSet::new();
    for response in responses {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        numbers.insert(body["numero"].as_i64().unwrap());
    }
    assert_eq!(numbers.len(), 50, "every order has its own display number");
    assert_eq!(app.admin_product(&burger).await["estoque_disponivel"], 950);
    assert_eq!(app.admin_product(&fries).await["estoque_disponivel"], 950);
}
