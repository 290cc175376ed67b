//! The kitchen list's prepared pages (`adapters/http/prepared_cache.rs`): served from memory
//! while the database's `postech_kitchen` notifications are heard, dropped on every pod when
//! an order is created or moved, read from the database while notifications cannot be heard,
//! and answered 304 to a current `ETag`. The test apps keep a page for an hour without a
//! notification, so nothing here can pass by expiry.

use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{BehindTheApi, eventually};
use crate::helpers::{BURGERS, ListenerOutage, TestApp, metric, wait_until_metric_exceeds};

/// An upper bound for each wait; every wait ends at its witness.
const PATIENCE: Duration = Duration::from_secs(60);

const FROM_CACHE: &str = r#"kitchen_cache_requests_total{result="cache"}"#;
const FROM_DATABASE: &str = r#"kitchen_cache_requests_total{result="database"}"#;
const INVALIDATIONS: &str = "kitchen_cache_invalidations_total";

/// The kitchen list of the app at `address`, as (order id, status, payment status).
async fn kitchen_at(app: &TestApp, address: &str) -> Vec<(String, String, String)> {
    let response = reqwest::Client::new()
        .get(format!("{address}/v1/api/admin/pedidos"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    body.as_array()
        .expect("array")
        .iter()
        .map(|order| {
            let field = |name: &str| order[name].as_str().expect(name).to_owned();
            (field("id"), field("status"), field("status_pagamento"))
        })
        .collect()
}

/// The status the kitchen list of the app at `address` shows for `order`.
async fn listed_status(app: &TestApp, address: &str, order: &str) -> Option<String> {
    kitchen_at(app, address)
        .await
        .into_iter()
        .find(|(id, _, _)| id == order)
        .map(|(_, status, _)| status)
}

/// Waits until the app at `address` answers the kitchen list from its cache again.
async fn caching(app: &TestApp, address: &str) {
    assert!(
        eventually(PATIENCE, || async {
            let before = metric(address, FROM_CACHE).await;
            kitchen_at(app, address).await;
            kitchen_at(app, address).await;
            metric(address, FROM_CACHE).await > before
        })
        .await,
        "the kitchen list is never served from the cache"
    );
}

fn id_of(order: &Value) -> String {
    order["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_status_change_through_one_pod_is_listed_by_it_at_once_and_by_the_other_after_its_notification()
 {
    let app = TestApp::spawn().await;
    let sibling = app.spawn_sibling().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let order = id_of(&app.place_order(&[(&burger, 1)]).await);
    for pod in [app.address.as_str(), sibling.as_str()] {
        caching(&app, pod).await;
        assert_eq!(
            listed_status(&app, pod, &order).await.as_deref(),
            Some("Recebido")
        );
    }
    let before = metric(&sibling, INVALIDATIONS).await;

    assert_eq!(app.set_status(&order, "Pago").await, StatusCode::OK);
    // The pod that made the change lists it at once, without waiting for the notification.
    assert_eq!(
        listed_status(&app, &app.address, &order).await.as_deref(),
        Some("Pago")
    );

    wait_until_metric_exceeds(&sibling, INVALIDATIONS, before).await;
    assert_eq!(
        listed_status(&app, &sibling, &order).await.as_deref(),
        Some("Pago")
    );
}

#[tokio::test]
async fn an_order_written_behind_the_apps_back_is_listed_after_its_notification() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let first = id_of(&app.place_order(&[(&burger, 1)]).await);
    caching(&app, &app.address).await;
    let before = metric(&app.address, INVALIDATIONS).await;

    // Moved as an import or a script would: the order and its history row, in one transaction.
    app.database.sql_execute(&format!(
        "BEGIN; \
         UPDATE orders SET status = 'paid' WHERE id = '{first}'; \
         INSERT INTO order_status_history (order_id, from_status, to_status, actor) \
              VALUES ('{first}', 'received', 'paid', 'script'); \
         COMMIT;"
    ));

    wait_until_metric_exceeds(&app.address, INVALIDATIONS, before).await;
    assert_eq!(
        listed_status(&app, &app.address, &first).await.as_deref(),
        Some("Pago")
    );
}

#[tokio::test]
async fn a_refused_payment_is_listed_on_the_next_request_through_the_pod_that_recorded_it() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let order = id_of(&app.place_order(&[(&burger, 1)]).await);
    let qr_code = app.get(&format!("/v1/api/pagamentos/{order}/qrcode")).await;
    assert_eq!(qr_code.status(), StatusCode::OK);
    caching(&app, &app.address).await;
    let listed_before = kitchen_at(&app, &app.address).await;

    // A refusal moves no order, so the database sends no kitchen notification for it.
    let refused = app
        .request(
            Method::POST,
            &format!("/v1/api/pagamentos/simulador/{order}/rejeitar"),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::OK);

    let shown: Value = app
        .get(&format!("/v1/api/pedidos/{order}"))
        .await
        .json()
        .await
        .expect("json");
    let listed = kitchen_at(&app, &app.address).await;
    assert_ne!(
        listed, listed_before,
        "the refusal changed what the list shows"
    );
    assert_eq!(
        listed,
        vec![(
            order,
            "Recebido".to_owned(),
            shown["status_pagamento"]
                .as_str()
                .expect("payment status")
                .to_owned()
        )]
    );
}

#[tokio::test]
async fn a_lost_notification_connection_makes_the_kitchen_list_read_the_database_until_it_is_back()
{
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let order = id_of(&app.place_order(&[(&burger, 1)]).await);
    caching(&app, &app.address).await;
    let before = metric(&app.address, INVALIDATIONS).await;

    let mut outage = ListenerOutage::begin(&app.database);
    wait_until_metric_exceeds(&app.address, INVALIDATIONS, before).await;

    // Heard by nobody: the only listening connection is gone.
    let from_database = metric(&app.address, FROM_DATABASE).await;
    for status in ["paid", "in_preparation"] {
        outage.write(&format!(
            "UPDATE orders SET status = '{status}' WHERE id = '{order}'"
        ));
        let expected = if status == "paid" {
            "Pago"
        } else {
            "Em preparação"
        };
        assert_eq!(
            listed_status(&app, &app.address, &order).await.as_deref(),
            Some(expected),
            "nothing read while notifications are down is kept"
        );
    }
    assert_eq!(
        metric(&app.address, FROM_DATABASE).await,
        from_database + 2.0
    );

    outage.end();
    caching(&app, &app.address).await;
    assert_eq!(
        listed_status(&app, &app.address, &order).await.as_deref(),
        Some("Em preparação")
    );
}

#[tokio::test]
async fn the_kitchen_list_answers_304_to_its_current_etag_only_and_is_never_kept_by_a_shared_cache()
{
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let order = id_of(&app.place_order(&[(&burger, 1)]).await);
    let path = "/v1/api/admin/pedidos?limite=50";

    let first = app
        .as_admin(Method::GET, path)
        .send()
        .await
        .expect("request");
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()[CACHE_CONTROL], "private, no-cache");
    let etag = first.headers()[ETAG].to_str().expect("ascii").to_owned();

    let again = app
        .as_admin(Method::GET, path)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.expect("body").is_empty());

    assert_eq!(app.set_status(&order, "Pago").await, StatusCode::OK);
    let after_change = app
        .as_admin(Method::GET, path)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(after_change.status(), StatusCode::OK);
    assert_ne!(after_change.headers()[ETAG], etag.as_str());

    // The token is still checked first: no answer, not even a 304, without it.
    let anonymous = app
        .request(Method::GET, path)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn page_shapes_past_the_sixteen_kept_are_read_from_the_database_and_not_kept() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    app.place_order(&[(&burger, 1)]).await;
    // The whole list takes the first of the sixteen slots.
    caching(&app, &app.address).await;
    let page = |limit: u32| {
        let request = app.as_admin(
            Method::GET,
            &format!("/v1/api/admin/pedidos?limite={limit}"),
        );
        async move {
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), StatusCode::OK, "limite={limit}");
        }
    };
    for limit in 1..=15 {
        page(limit).await;
    }

    let from_database = metric(&app.address, FROM_DATABASE).await;
    let from_cache = metric(&app.address, FROM_CACHE).await;
    page(16).await;
    page(16).await;
    assert_eq!(
        metric(&app.address, FROM_DATABASE).await,
        from_database + 2.0,
        "a seventeenth shape is read each time, never kept"
    );
    page(15).await;
    kitchen_at(&app, &app.address).await;
    assert_eq!(metric(&app.address, FROM_CACHE).await, from_cache + 2.0);
}
