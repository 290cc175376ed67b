//! Orders nobody is paying: a `Recebido` order with no pending payment is cancelled, its
//! stock released, once the payment expiry time has passed since it was created and since
//! its last payment attempt ended, whichever is later — by the same background sweep as the
//! payment expiry, with its state in the database.

use std::time::Duration;

use reqwest::StatusCode;

use crate::common::BehindTheApi;
use crate::harness::{PaymentApp, Setup, eventually};

const QUICK: Setup = Setup {
    simulated: false,
    expiry: Duration::from_secs(1),
    sweep_interval: Duration::from_millis(200),
};

/// Cancellations of `order` the expiry sweep recorded in the history.
fn sweep_cancellations(app: &PaymentApp, order: &str) -> i64 {
    app.database.sql_count(&format!(
        "SELECT count(*) AS count FROM order_status_history \
          WHERE order_id = '{order}' AND from_status = 'received' \
            AND to_status = 'cancelled' AND actor = 'payment-expiry'"
    ))
}

/// Makes an order look placed an hour ago (its own deadline long past).
fn placed_an_hour_ago(app: &PaymentApp, order: &str) {
    app.database.sql_execute(&format!(
        "UPDATE orders SET created_at = now() - interval '1 hour' WHERE id = '{order}'"
    ));
}

async fn cancelled_within(app: &PaymentApp, order: &str, timeout: Duration) -> bool {
    eventually(timeout, || async {
        app.order_status(order).await == "Cancelado"
    })
    .await
}

#[tokio::test]
async fn an_order_that_never_got_a_qr_code_is_cancelled_after_the_expiry_and_its_stock_comes_back()
{
    let app = PaymentApp::start(QUICK).await;
    let product = app.product("12.50", 10).await;
    let order = app.order(&product, 3).await;
    let order = order["id"].as_str().unwrap().to_owned();
    assert_eq!(app.stock(&product).await, 7);

    assert!(cancelled_within(&app, &order, Duration::from_secs(10)).await);
    assert_eq!(app.stock(&product).await, 10, "stock released");
    assert_eq!(
        sweep_cancellations(&app, &order),
        1,
        "history by the system"
    );
    assert_eq!(
        app.metric("payments_unpaid_orders_cancelled_total").await,
        1.0
    );
    assert_eq!(
        app.qr_code(&order).await.status(),
        StatusCode::CONFLICT,
        "nothing left to pay"
    );
}

#[tokio::test]
async fn an_order_whose_payment_was_rejected_or_cancelled_is_cancelled_once_the_expiry_passed_since()
 {
    let expiry = Duration::from_secs(3);
    let app = PaymentApp::start(Setup { expiry, ..QUICK }).await;
    let product = app.product("12.50", 10).await;
    let mut orders = Vec::new();
    // Refused by the payer's bank, and cancelled at Mercado Pago.
    for provider_status in ["rejected", "cancelled"] {
        let order = app.order(&product, 2).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let payment = app.issued_qr_code(&order).await["qrcode_id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.double.set_status(&payment, provider_status);
        assert_eq!(
            app.deliver(&app.notification(&payment, 0)).await.status(),
            StatusCode::OK
        );
        // Its own deadline is long past: only the attempt's end keeps it alive.
        placed_an_hour_ago(&app, &order);
        orders.push(order);
    }
    assert_eq!(app.stock(&product).await, 6);

    // The witness: a full sweep ran after both attempts ended, well within the expiry.
    let attempts_ended = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    assert!(
        eventually(expiry / 2, || async {
            app.metric("payment_expiry_sweep_last_success_timestamp_seconds")
                .await
                > attempts_ended
        })
        .await,
        "a sweep ran"
    );
    for order in &orders {
        assert_eq!(
            app.order_status(order).await,
            "Recebido",
            "the payer may still try again"
        );
    }
    for order in &orders {
        assert!(cancelled_within(&app, order, Duration::from_secs(15)).await);
        assert_eq!(sweep_cancellations(&app, order), 1);
    }
    assert_eq!(app.stock(&product).await, 10, "stock released");
    assert_eq!(
        app.payment_status(&orders[0]).await["status_pagamento"],
        "rejeitado",
        "the attempt keeps its own outcome"
    );
}

#[tokio::test]
async fn an_order_whose_pending_payment_is_still_valid_is_untouched() {
    let app = PaymentApp::start(Setup {
        expiry: Duration::from_secs(60),
        ..QUICK
    })
    .await;
    let product = app.product("12.50", 10).await;
    let paying = app.order(&product, 2).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.issued_qr_code(&paying).await;
    let abandoned = app.order(&product, 1).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Both placed long ago; only one has a charge — issued long ago too (under a longer
    // expiry, say), yet still valid for another minute.
    placed_an_hour_ago(&app, &paying);
    placed_an_hour_ago(&app, &abandoned);
    app.database.sql_execute(&format!(
        "ALTER TABLE payments DISABLE TRIGGER payments_set_updated_at; \
         UPDATE payments SET created_at = now() - interval '1 hour', \
                             updated_at = now() - interval '1 hour' \
          WHERE order_id = '{paying}'; \
         ALTER TABLE payments ENABLE TRIGGER payments_set_updated_at"
    ));

    assert!(
        cancelled_within(&app, &abandoned, Duration::from_secs(10)).await,
        "the sweep ran"
    );
    // The witness: one more full sweep after that one.
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.metric("payment_expiry_sweep_last_success_timestamp_seconds")
                .await
                > now
        })
        .await,
        "another sweep ran"
    );
    assert_eq!(app.order_status(&paying).await, "Recebido");
    assert_eq!(
        app.payment_status(&paying).await["status_pagamento"],
        "pendente"
    );
    assert_eq!(app.stock(&product).await, 8, "its units stay reserved");
}

#[tokio::test]
async fn an_unpaid_order_is_cancelled_after_a_restart_too() {
    // The first app sweeps once, at start, before the order exists.
    let first = PaymentApp::start(Setup {
        expiry: Duration::from_secs(1),
        ..Setup::default()
    })
    .await;
    let order = first.order_id().await;
    let restarted = first.restart(QUICK).await;
    assert!(cancelled_within(&restarted, &order, Duration::from_secs(10)).await);
}
