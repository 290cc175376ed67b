//! Expiry: an unpaid charge runs out, the order is cancelled and its stock comes back — by a
//! background task whose state is the database's, so a restart loses nothing.

use std::time::Duration;

use reqwest::StatusCode;

use crate::common::BehindTheApi;
use crate::harness::{PaymentApp, Setup, eventually};

const QUICK: Setup = Setup {
    simulated: false,
    expiry: Duration::from_secs(1),
    sweep_interval: Duration::from_millis(200),
};

#[tokio::test]
async fn an_unpaid_charge_expires_cancels_the_order_and_returns_the_stock() {
    let app = PaymentApp::start(QUICK).await;
    let product = app.product("12.50", 10).await;
    let order = app.order(&product, 3).await;
    let order = order["id"].as_str().unwrap().to_owned();
    assert_eq!(app.stock(&product).await, 7);
    let qr = app.issued_qr_code(&order).await;
    let payment = qr["qrcode_id"].as_str().unwrap().to_owned();

    let expired = eventually(Duration::from_secs(10), || async {
        app.payment_status(&order).await["status_pagamento"] == "expirado"
    })
    .await;
    assert!(expired, "the sweep expired the payment");
    assert_eq!(app.order_status(&order).await, "Cancelado");
    assert_eq!(app.stock(&product).await, 10, "stock released");
    assert_eq!(
        app.database.sql_count(&format!(
            "SELECT count(*) AS count FROM order_status_history \
              WHERE order_id = '{order}' AND to_status = 'cancelled' AND actor = 'payment-expiry'"
        )),
        1
    );
    let cancelled_at_provider = eventually(Duration::from_secs(5), || async {
        app.double.payment(&payment)["status"] == "cancelled"
    })
    .await;
    assert!(cancelled_at_provider, "the charge cannot be paid late");
    assert!(
        app.double
            .received()
            .iter()
            .any(|request| request.method == "PUT"
                && request.path == format!("/v1/payments/{payment}")
                && request.body["status"] == "cancelled")
    );
    assert_eq!(app.metric("payments_expired_total").await, 1.0);
    assert_eq!(
        app.metric(r#"orders_status_changes_total{status="cancelled"}"#)
            .await,
        1.0
    );
    // The round that expired it completed: the stalled-sweep alert reads this timestamp.
    let started = chrono::Utc::now().timestamp() - 60;
    assert!(
        app.metric("payment_expiry_sweep_last_success_timestamp_seconds")
            .await
            > started as f64
    );
    assert_eq!(app.qr_code(&order).await.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn expiry_survives_a_restart() {
    // The first app never sweeps after its first round, and stops before the charge is due.
    let first = PaymentApp::start(Setup {
        expiry: Duration::from_secs(2),
        ..Setup::default()
    })
    .await;
    let order = first.order_id().await;
    first.issued_qr_code(&order).await;
    let restarted = first.restart(QUICK).await;
    let expired = eventually(Duration::from_secs(10), || async {
        restarted.payment_status(&order).await["status_pagamento"] == "expirado"
    })
    .await;
    assert!(
        expired,
        "the new process found the due charge in the database"
    );
    assert_eq!(restarted.order_status(&order).await, "Cancelado");
}

#[tokio::test]
async fn asking_for_the_qr_code_of_an_expired_charge_expires_it_on_the_spot() {
    // No sweep round will run in time: the request itself sees the charge is past due.
    let app = PaymentApp::start(Setup {
        expiry: Duration::from_secs(1),
        ..Setup::default()
    })
    .await;
    let product = app.product("20.00", 5).await;
    let order = app.order(&product, 1).await;
    let order = order["id"].as_str().unwrap().to_owned();
    app.issued_qr_code(&order).await;
    // Waits out the charge's one-second life (the behaviour under test); the witness is its
    // stored deadline passing, not a guessed duration.
    let due = eventually(Duration::from_secs(10), || async {
        app.database.sql_count(&format!(
            "SELECT count(*) AS count FROM payments \
              WHERE order_id = '{order}' AND expires_at < now()"
        )) == 1
    })
    .await;
    assert!(due, "the charge fell due");
    assert_eq!(app.qr_code(&order).await.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "expirado"
    );
    assert_eq!(app.order_status(&order).await, "Cancelado");
    assert_eq!(app.stock(&product).await, 5);
}

#[tokio::test]
async fn a_paid_order_is_not_expired() {
    let app = PaymentApp::start(QUICK).await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    let payment = qr["qrcode_id"].as_str().unwrap().to_owned();
    app.double.set_status(&payment, "approved");
    assert_eq!(
        app.deliver(&app.notification(&payment, 0)).await.status(),
        StatusCode::OK
    );
    // The witness: a sweep completed after the charge's expiry had passed.
    let expired_at = chrono::Utc::now().timestamp_millis() as f64 / 1000.0 + 1.0;
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.metric("payment_expiry_sweep_last_success_timestamp_seconds")
                .await
                > expired_at
        })
        .await,
        "a sweep ran after the expiry"
    );
    assert_eq!(app.order_status(&order).await, "Pago");
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "aprovado"
    );
}
