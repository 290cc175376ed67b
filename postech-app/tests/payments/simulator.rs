//! The simulated provider of local runs: a real-looking Pix code, and a simulator that sends
//! signed notifications through the webhook's path.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::BehindTheApi;
use crate::harness::PaymentApp;

#[tokio::test]
async fn v1_defect_the_qr_code_is_a_real_pix_code_and_the_simulator_pays_through_the_signed_webhook()
 {
    let app = PaymentApp::with_simulator().await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    let pix = qr["qr_data"].as_str().unwrap();
    assert!(
        pix.starts_with("000201010212"),
        "a dynamic Pix BR Code: {pix}"
    );
    assert!(
        pix.contains("br.gov.bcb.pix") && pix.contains("540531.80"),
        "{pix}"
    );
    assert_eq!(qr["qrcode_url"], Value::Null);

    let response = app
        .post(&format!("/v1/api/pagamentos/simulador/{order}/aprovar"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status_pagamento"], "aprovado");
    assert_eq!(app.order_status(&order).await, "Pago");
    assert_eq!(app.double.received().len(), 0, "Mercado Pago never called");
    assert_eq!(
        app.database.sql_count(
            "SELECT count(*) AS count FROM order_status_history \
              WHERE to_status = 'paid' AND actor = 'payment-webhook'"
        ),
        1,
        "the same path as a real notification"
    );
}

#[tokio::test]
async fn a_simulated_rejection_keeps_the_order_payable() {
    let app = PaymentApp::with_simulator().await;
    let order = app.order_id().await;
    app.issued_qr_code(&order).await;
    let response = app
        .post(&format!("/v1/api/pagamentos/simulador/{order}/rejeitar"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "rejeitado"
    );
    assert_eq!(app.order_status(&order).await, "Recebido");
    // Nothing pending any more: the simulator asks for a QR code first.
    let again = app
        .post(&format!("/v1/api/pagamentos/simulador/{order}/aprovar"))
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    app.issued_qr_code(&order).await;
    let approved = app
        .post(&format!("/v1/api/pagamentos/simulador/{order}/aprovar"))
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    assert_eq!(app.order_status(&order).await, "Pago");
}

#[tokio::test]
async fn the_simulated_webhook_still_refuses_unsigned_notifications() {
    let app = PaymentApp::with_simulator().await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    let payment = qr["qrcode_id"].as_str().unwrap();
    let mut forged = app.notification(payment, 0);
    forged.signature = "ts=1,v1=00".to_owned();
    assert_eq!(
        app.deliver(&forged).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.order_status(&order).await, "Recebido");
}

#[tokio::test]
async fn the_simulator_is_404_when_mercadopago_is_configured() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    app.issued_qr_code(&order).await;
    let response = app
        .post(&format!("/v1/api/pagamentos/simulador/{order}/aprovar"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.order_status(&order).await, "Recebido");
}

#[tokio::test]
async fn health_says_which_provider_is_in_use() {
    let simulated = PaymentApp::with_simulator().await;
    let body: Value = simulated.get("/health").await.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["pagamentos"], "simulado");
    let real = PaymentApp::with_mercadopago().await;
    let body: Value = real.get("/health").await.json().await.unwrap();
    assert_eq!(body["pagamentos"], "mercadopago");
}
