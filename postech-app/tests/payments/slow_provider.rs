//! A slow Mercado Pago must not starve the database pool: issuing a QR code holds no
//! database connection while the provider creates the charge, so the other routes and
//! `/ready` keep answering — with the guarantees of one pending payment per order and no
//! second charge intact.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::BehindTheApi;
use crate::harness::{PaymentApp, Pool, Setup, eventually};

#[tokio::test]
async fn a_slow_mercadopago_does_not_starve_the_database_pool() {
    // Two connections, and a short wait for one: starvation shows as 503s, not as delays.
    let app = PaymentApp::start_with_pool(
        Setup::default(),
        Pool {
            size: 2,
            acquire_timeout: Duration::from_millis(500),
        },
    )
    .await;
    let product = app.product("15.90", 100).await;
    let mut orders = Vec::new();
    for _ in 0..4 {
        orders.push(
            app.order(&product, 1).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Slow, but well within the app's timeout.
    app.double.set_create_delay(Duration::from_millis(1500));

    let issuing = futures_util::future::join_all(orders.iter().map(|order| app.qr_code(order)));
    let meanwhile = async {
        // The witness: as many charges in the making at Mercado Pago's as the pool has
        // connections — had they held one each, nothing else could be served.
        assert!(
            eventually(Duration::from_secs(10), || async {
                app.double.charge_requests_arrived() >= 2
            })
            .await,
            "the QR code requests reached Mercado Pago"
        );
        let ready = app.get("/ready").await.status();
        let menu = app.get("/v1/api/produtos/").await.status();
        let checkout = app
            .client
            .post(app.url("/v1/api/pedidos/"))
            .json(&serde_json::json!({"itens": [{"produto_id": product, "quantidade": 1}]}))
            .send()
            .await
            .unwrap()
            .status();
        (ready, menu, checkout)
    };
    let (issued, (ready, menu, checkout)) = tokio::join!(issuing, meanwhile);

    assert_eq!(
        (ready, menu, checkout),
        (StatusCode::OK, StatusCode::OK, StatusCode::CREATED),
        "the app kept serving while Mercado Pago was slow"
    );
    for response in issued {
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(app.double.payments_created(), 4);
}

#[tokio::test]
async fn concurrent_requests_for_a_charge_in_the_making_get_the_same_charge() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    // The first request's charge is still being created when the others arrive.
    app.double.set_create_delay(Duration::from_millis(500));
    let answers = futures_util::future::join_all((0..5).map(|_| app.qr_code(&order))).await;
    let mut charges = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        charges.push((body["id"].clone(), body["qrcode_id"].clone()));
    }
    charges.dedup();
    assert_eq!(charges.len(), 1, "one payment, one charge: {charges:?}");
    assert_eq!(app.double.payments_created(), 1, "no second charge");
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM payments WHERE qr_data IS NOT NULL"),
        1
    );
}
