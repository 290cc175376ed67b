//! The menu cache (`adapters/http/menu_cache.rs` on `prepared_cache.rs`): the product list served as prepared
//! answers, dropped on every pod when the database notifies `postech_menu`, read from the
//! database while notifications cannot be heard, and answered 304 to a current `ETag`.
//! The test apps keep a cached answer for an hour without a notification, so nothing here can
//! pass by expiry.

use std::time::Duration;

use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{BehindTheApi, eventually};
use crate::helpers::{BURGERS, ListenerOutage, TestApp, metric, wait_until_metric_exceeds};

/// An upper bound for each wait; every wait ends at its witness.
const PATIENCE: Duration = Duration::from_secs(60);

const FROM_CACHE: &str = r#"menu_cache_requests_total{result="cache"}"#;
const FROM_DATABASE: &str = r#"menu_cache_requests_total{result="database"}"#;
const INVALIDATIONS: &str = "menu_cache_invalidations_total";

/// The burger's stock in the public list of the app at `address`.
async fn listed_stock(address: &str, product: &str) -> i64 {
    let list: Value = reqwest::get(format!("{address}/v1/api/produtos"))
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    list.as_array()
        .expect("array")
        .iter()
        .find(|item| item["id"] == product)
        .and_then(|item| item["estoque_disponivel"].as_i64())
        .expect("listed")
}

/// Waits until the app at `address` answers the product list from its cache again.
async fn caching(address: &str, product: &str) {
    assert!(
        eventually(PATIENCE, || async {
            let before = metric(address, FROM_CACHE).await;
            listed_stock(address, product).await;
            listed_stock(address, product).await;
            metric(address, FROM_CACHE).await > before
        })
        .await,
        "the product list is never served from the cache"
    );
}

#[tokio::test]
async fn a_stock_change_by_any_writer_is_served_by_every_pod_on_the_next_request_after_its_notification()
 {
    let app = TestApp::spawn().await;
    let sibling = app.spawn_sibling().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    for pod in [app.address.as_str(), sibling.as_str()] {
        caching(pod, &burger).await;
    }
    let before = [
        metric(&app.address, INVALIDATIONS).await,
        metric(&sibling, INVALIDATIONS).await,
    ];

    // Written behind both pods' backs, as an import or a script would.
    app.database.sql_execute(&format!(
        "UPDATE products SET stock_available = 7 WHERE id = '{burger}'"
    ));

    for (pod, before) in [app.address.as_str(), sibling.as_str()]
        .into_iter()
        .zip(before)
    {
        wait_until_metric_exceeds(pod, INVALIDATIONS, before).await;
        assert_eq!(listed_stock(pod, &burger).await, 7, "{pod}");
    }
}

#[tokio::test]
async fn an_admin_change_through_one_pod_is_served_by_the_other_after_its_notification() {
    let app = TestApp::spawn().await;
    let sibling = app.spawn_sibling().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    caching(&sibling, &burger).await;
    let before = metric(&sibling, INVALIDATIONS).await;

    let updated = app
        .as_admin(Method::PUT, &format!("/v1/api/admin/produtos/{burger}"))
        .json(&json!({
            "nome": "X-Burguer",
            "descricao": "Descrição de X-Burguer para o cardápio",
            "preco": "17.50",
            "categoria_id": BURGERS,
            "estoque_disponivel": 3,
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(updated.status(), StatusCode::OK);
    // The pod that made the change shows it at once, without waiting for the notification.
    assert_eq!(listed_stock(&app.address, &burger).await, 3);

    wait_until_metric_exceeds(&sibling, INVALIDATIONS, before).await;
    assert_eq!(listed_stock(&sibling, &burger).await, 3);
}

#[tokio::test]
async fn a_lost_notification_connection_makes_the_product_list_read_the_database_until_it_is_back()
{
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    caching(&app.address, &burger).await;
    let before = metric(&app.address, INVALIDATIONS).await;

    let mut outage = ListenerOutage::begin(&app.database);
    wait_until_metric_exceeds(&app.address, INVALIDATIONS, before).await;
    // Heard by nobody: the only listening connection is gone.
    outage.write(&format!(
        "UPDATE products SET stock_available = 4 WHERE id = '{burger}'"
    ));

    let from_database = metric(&app.address, FROM_DATABASE).await;
    assert_eq!(listed_stock(&app.address, &burger).await, 4);
    outage.write(&format!(
        "UPDATE products SET stock_available = 5 WHERE id = '{burger}'"
    ));
    assert_eq!(
        listed_stock(&app.address, &burger).await,
        5,
        "nothing read while notifications are down is kept"
    );
    assert_eq!(
        metric(&app.address, FROM_DATABASE).await,
        from_database + 2.0
    );

    outage.end();
    caching(&app.address, &burger).await;
    assert_eq!(listed_stock(&app.address, &burger).await, 5);
}

#[tokio::test]
async fn the_product_list_and_categories_answer_304_to_their_current_etag_only() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    for path in ["/v1/api/categorias", "/v1/api/produtos"] {
        let first = app.get(path).await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[ETAG].to_str().expect("ascii").to_owned();
        let body: Value = first.json().await.expect("json");
        assert!(body.as_array().is_some_and(|list| !list.is_empty()));

        let again = app
            .request(Method::GET, path)
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()[ETAG], etag.as_str());
        assert!(again.bytes().await.expect("body").is_empty());

        let other = app
            .request(Method::GET, path)
            .header(IF_NONE_MATCH, "\"not-the-menu\"")
            .send()
            .await
            .expect("request");
        assert_eq!(other.status(), StatusCode::OK, "{path}");
    }

    let etag = app.get("/v1/api/produtos").await.headers()[ETAG]
        .to_str()
        .expect("ascii")
        .to_owned();
    app.place_order(&[(&burger, 1)]).await;
    let after_checkout = app
        .request(Method::GET, "/v1/api/produtos")
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(after_checkout.status(), StatusCode::OK, "the stock changed");
    assert_ne!(after_checkout.headers()[ETAG], etag.as_str());
    let list: Value = after_checkout.json().await.expect("json");
    assert_eq!(list[0]["estoque_disponivel"], 9);
}
