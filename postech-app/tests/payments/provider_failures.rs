//! Mercado Pago failing: each failure ends in a defined state. Throttling (429) is retried
//! after the `Retry-After` it asks for, or answered 503 at once when that is longer than a
//! request may wait; timeouts are retried, then answered 503 with a retry hint, nothing
//! stored; a notification that outruns the charge's attachment to its order is 503 (so
//! Mercado Pago delivers it again) and applied once delivered again; a notification
//! delivered late, after a newer one, changes nothing. Every attempt and every webhook answer
//! is counted by outcome.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::BehindTheApi;
use crate::harness::{PaymentApp, eventually};

fn stored_payments(app: &PaymentApp, order: &str) -> i64 {
    app.database.sql_count(&format!(
        "SELECT count(*) AS count FROM payments WHERE order_id = '{order}'"
    ))
}

#[tokio::test]
async fn a_429_is_retried_no_sooner_than_its_retry_after() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    app.double.throttle_next(1, 1);

    let started = Instant::now();
    let response = app.qr_code(&order).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited the Retry-After (the backoff alone is 10 ms)"
    );
    let creates: Vec<_> = app
        .double
        .received()
        .into_iter()
        .filter(|request| request.method == "POST")
        .collect();
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[0].idempotency_key, creates[1].idempotency_key);
    assert_eq!(app.double.payments_created(), 1);
    let series =
        "payment_provider_requests_total{operation=\"create_payment\",outcome=\"http_429\"}";
    assert_eq!(app.metric(series).await, 1.0);
}

#[tokio::test]
async fn a_429_asking_for_longer_than_a_request_can_wait_is_503_at_once() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    app.double.throttle_next(1, 60);

    let started = Instant::now();
    let response = app.qr_code(&order).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "gave up at once"
    );
    assert_eq!(app.double.received().len(), 1, "no second attempt");
    assert_eq!(
        stored_payments(&app, &order),
        0,
        "nothing of the attempt is kept"
    );
    let status = app.payment_status(&order).await;
    assert_eq!(status["status_pagamento"], "pendente");
}

#[tokio::test]
async fn mercadopago_timing_out_is_retried_then_503_with_nothing_stored() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    // Longer than the app's request timeout (2 s in the harness) on every attempt.
    app.double.set_create_delay(Duration::from_secs(3));

    let response = app.qr_code(&order).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(stored_payments(&app, &order), 0);
    let series =
        "payment_provider_requests_total{operation=\"create_payment\",outcome=\"timeout\"}";
    assert_eq!(app.metric(series).await, 3.0, "every attempt timed out");
}

#[tokio::test]
async fn a_notification_that_outruns_the_charge_is_503_then_applied_once_attached() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    // Mercado Pago creates the charge at once but the app hears of it a second later.
    app.double.set_answer_delay(Duration::from_secs(1));
    let issuing = {
        let client = app.client.clone();
        let url = app.url(&format!("/v1/api/pagamentos/{order}/qrcode"));
        tokio::spawn(async move { client.get(url).send().await.unwrap() })
    };
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.double.payments_created() == 1
        })
        .await
    );
    // The double's first payment id.
    let payment = "90000000001".to_owned();
    app.double.set_status(&payment, "approved");

    let early = app.deliver(&app.notification(&payment, 0)).await;
    assert_eq!(
        early.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "not acknowledged: acknowledging would lose the approval"
    );
    assert!(early.headers().contains_key("retry-after"));
    assert_eq!(app.order_status(&order).await, "Recebido");

    assert_eq!(issuing.await.unwrap().status(), StatusCode::OK);
    let again = app.deliver(&app.notification(&payment, 0)).await;
    assert_eq!(again.status(), StatusCode::OK);
    let ack: Value = again.json().await.unwrap();
    assert_eq!(ack["status"], "processado");
    assert_eq!(app.order_status(&order).await, "Pago");
    let outcome =
        |name: &str| format!("payments_webhook_notifications_total{{outcome=\"{name}\"}}");
    assert_eq!(app.metric(&outcome("deferred")).await, 1.0);
    assert_eq!(app.metric(&outcome("applied")).await, 1.0);
}

#[tokio::test]
async fn an_older_notification_delivered_after_a_newer_one_changes_nothing() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    let payment = qr["qrcode_id"].as_str().unwrap().to_owned();
    // Sent while the payment was pending, delivered last.
    let older = app.notification(&payment, 60);
    app.double.set_status(&payment, "approved");
    let newer = app.notification(&payment, 0);

    let first: Value = app.deliver(&newer).await.json().await.unwrap();
    let late = app.deliver(&older).await;

    assert_eq!(first["status"], "processado");
    assert_eq!(late.status(), StatusCode::OK);
    let late: Value = late.json().await.unwrap();
    assert_eq!(late["status"], "sem_alteracao");
    assert_eq!(app.order_status(&order).await, "Pago");
    let paid = app.database.sql_count(&format!(
        "SELECT count(*) AS count FROM order_status_history \
          WHERE order_id = '{order}' AND to_status = 'paid'"
    ));
    assert_eq!(paid, 1);
    let outcome =
        |name: &str| format!("payments_webhook_notifications_total{{outcome=\"{name}\"}}");
    assert_eq!(app.metric(&outcome("unchanged")).await, 1.0);
}
