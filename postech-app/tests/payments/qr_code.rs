//! Issuing the QR code: one pending charge per order, for the order total, never after
//! approval; the status endpoint tells the stored truth.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::BehindTheApi;
use crate::harness::{PaymentApp, Setup};

#[tokio::test]
async fn qr_code_creates_a_pix_charge_for_the_order_total_at_mercadopago() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;

    assert_eq!(qr["status"], "ok");
    assert_eq!(qr["valor"], json!(31.8), "amount equal to the order total");
    let provider_id = qr["qrcode_id"].as_str().unwrap();
    assert!(qr["qr_data"].as_str().unwrap().starts_with("000201"));
    assert_eq!(
        qr["qrcode_url"],
        format!("https://double.invalid/payments/{provider_id}/ticket")
    );
    assert!(qr["expira_em"].as_str().unwrap().ends_with('Z'));

    let charge = app.double.payment(provider_id);
    assert_eq!(charge["transaction_amount"], json!(31.8));
    assert_eq!(charge["external_reference"], order.as_str());
    assert_eq!(charge["payment_method_id"], "pix");
    let creation = app
        .double
        .received()
        .into_iter()
        .find(|request| request.method == "POST")
        .unwrap();
    assert_eq!(
        creation.idempotency_key.as_deref(),
        qr["id"].as_str(),
        "our payment id is the idempotency key"
    );
    assert_eq!(creation.body["payer"]["email"], "caixa@postech.example");
    assert!(
        creation.body["date_of_expiration"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
    assert_eq!(
        app.database.sql_count(
            "SELECT count(*) AS count FROM payments WHERE status = 'pending' AND provider = 'mercadopago'"
        ),
        1
    );
}

/// Mercado Pago refuses a Pix expiring sooner than 30 minutes ahead: a shorter lifetime of
/// ours is sent as the earliest date it accepts, and kept as ours in `expira_em` (the sweep
/// expires the payment then and withdraws the charge).
#[tokio::test]
async fn a_short_expiry_is_sent_to_mercadopago_as_its_30_minute_minimum() {
    let app = PaymentApp::start(Setup {
        expiry: Duration::from_secs(60),
        ..Setup::default()
    })
    .await;
    let order = app.order_id().await;
    let before = Utc::now();
    let qr = app.issued_qr_code(&order).await;
    let after = Utc::now();

    let sent = sent_expiration(&app);
    assert!(
        sent >= before + TimeDelta::minutes(30) && sent <= after + TimeDelta::minutes(33),
        "sent {sent}, asked between {before} and {after}"
    );
    let ours = rfc3339(&qr["expira_em"]);
    assert!(
        ours > before && ours <= after + TimeDelta::seconds(61),
        "expira_em is our own expiry: {ours}"
    );
}

#[tokio::test]
async fn an_expiry_mercadopago_accepts_is_sent_unchanged() {
    let app = PaymentApp::start(Setup {
        expiry: Duration::from_secs(2 * 3600),
        ..Setup::default()
    })
    .await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    let gap = sent_expiration(&app) - rfc3339(&qr["expira_em"]);
    assert!(gap.abs() < TimeDelta::milliseconds(1), "differ by {gap}");
}

fn sent_expiration(app: &PaymentApp) -> DateTime<Utc> {
    let creation = app
        .double
        .received()
        .into_iter()
        .find(|request| request.method == "POST")
        .unwrap();
    rfc3339(&creation.body["date_of_expiration"])
}

fn rfc3339(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn asking_again_returns_the_same_pending_payment_without_a_second_charge() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let first = app.issued_qr_code(&order).await;
    let second = app.issued_qr_code(&order).await;
    assert_eq!(first, second);
    assert_eq!(app.double.payments_created(), 1);
}

#[tokio::test]
async fn concurrent_qr_requests_create_one_charge() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let answers = futures_util::future::join_all((0..10).map(|_| app.qr_code(&order))).await;
    let mut ids = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::OK);
        let body: Value = answer.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every request got the same payment");
    assert_eq!(app.double.payments_created(), 1);
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM payments"),
        1
    );
}

#[tokio::test]
async fn a_transient_provider_failure_is_retried_with_the_same_idempotency_key() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    app.double.fail_next(2);
    let qr = app.issued_qr_code(&order).await;
    let posts: Vec<_> = app
        .double
        .received()
        .into_iter()
        .filter(|request| request.method == "POST")
        .collect();
    assert_eq!(posts.len(), 3, "two 503s, then success");
    assert!(
        posts
            .iter()
            .all(|post| post.idempotency_key.as_deref() == qr["id"].as_str())
    );
    assert_eq!(app.double.payments_created(), 1);
    // Every attempt is counted with its outcome (the provider-errors alert reads them).
    let calls = |outcome: &str| {
        format!(
            r#"payment_provider_requests_total{{operation="create_payment",outcome="{outcome}"}}"#
        )
    };
    assert_eq!(app.metric(&calls("http_5xx")).await, 2.0);
    assert_eq!(app.metric(&calls("ok")).await, 1.0);
}

#[tokio::test]
async fn qr_code_with_the_provider_down_is_503_and_stores_nothing() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    app.double.set_down(true);
    let response = app.qr_code(&order).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM payments"),
        0
    );
    app.double.set_down(false);
    app.issued_qr_code(&order).await;
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM payments"),
        1
    );
}

#[tokio::test]
async fn v1_defect_qr_code_after_approval_is_409_and_charges_nothing() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    let provider_id = qr["qrcode_id"].as_str().unwrap();
    app.double.set_status(provider_id, "approved");
    let delivered = app.deliver(&app.notification(provider_id, 0)).await;
    assert_eq!(delivered.status(), StatusCode::OK);
    assert_eq!(app.order_status(&order).await, "Pago");

    let again = app.qr_code(&order).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let body: Value = again.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("Pago"), "{body}");
    assert_eq!(app.double.payments_created(), 1, "no second charge");
}

#[tokio::test]
async fn qr_code_for_a_cancelled_order_is_409() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let cancelled = app
        .as_admin(
            reqwest::Method::DELETE,
            &format!("/v1/api/admin/pedidos/{order}"),
            None,
        )
        .await;
    assert!(cancelled.status().is_success());
    assert_eq!(app.qr_code(&order).await.status(), StatusCode::CONFLICT);
    assert_eq!(app.double.payments_created(), 0);
}

#[tokio::test]
async fn v1_defect_status_and_qr_code_of_an_unknown_order_are_404() {
    let app = PaymentApp::with_mercadopago().await;
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        app.qr_code(&unknown.to_string()).await.status(),
        StatusCode::NOT_FOUND
    );
    let status = app
        .get(&format!("/v1/api/pagamentos/{unknown}/status"))
        .await;
    assert_eq!(status.status(), StatusCode::NOT_FOUND, "v1 said approved");
    let malformed = app.get("/v1/api/pagamentos/not-a-uuid/status").await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn status_tells_pending_before_and_after_the_qr_code() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let before = app.payment_status(&order).await;
    assert_eq!(
        before,
        json!({"pedido_id": order, "status_pagamento": "pendente", "valor": 31.8, "data_confirmacao": null, "qrcode_url": null})
    );
    let qr = app.issued_qr_code(&order).await;
    let after = app.payment_status(&order).await;
    assert_eq!(after["status_pagamento"], "pendente");
    assert_eq!(after["qrcode_url"], qr["qrcode_url"]);
}
