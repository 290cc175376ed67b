//! The webhook: signature, then the provider's word only, applied once.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::BehindTheApi;
use crate::harness::PaymentApp;

/// An order with an issued QR code: (order id, Mercado Pago payment id).
async fn charged_order(app: &PaymentApp) -> (String, String) {
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    (order, qr["qrcode_id"].as_str().unwrap().to_owned())
}

fn paid_transitions(app: &PaymentApp, order: &str) -> i64 {
    app.database.sql_count(&format!(
        "SELECT count(*) AS count FROM order_status_history \
          WHERE order_id = '{order}' AND from_status = 'received' AND to_status = 'paid' \
            AND actor = 'payment-webhook'"
    ))
}

#[tokio::test]
async fn an_approved_payment_makes_the_order_pago_and_the_kitchen_sees_it() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");

    let response = app.deliver(&app.notification(&payment, 0)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let ack: Value = response.json().await.unwrap();
    assert_eq!(ack["status"], "processado");

    assert_eq!(app.order_status(&order).await, "Pago");
    let status = app.payment_status(&order).await;
    assert_eq!(status["status_pagamento"], "aprovado");
    assert!(status["data_confirmacao"].as_str().unwrap().ends_with('Z'));
    assert_eq!(paid_transitions(&app, &order), 1, "status history written");
    let kitchen: Value = app
        .as_admin(reqwest::Method::GET, "/v1/api/admin/pedidos/", None)
        .await
        .json()
        .await
        .unwrap();
    let listed = kitchen
        .as_array()
        .unwrap()
        .iter()
        .find(|listed| listed["id"] == order.as_str())
        .unwrap();
    assert_eq!(listed["status"], "Pago");
    assert_eq!(listed["status_pagamento"], "aprovado");
    assert_eq!(app.metric("payments_approved_total").await, 1.0);
}

#[tokio::test]
async fn v1_defect_a_forged_notification_is_401_and_changes_nothing() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");

    let mut forged = app.notification(&payment, 0);
    forged.signature = postech_app::adapters::mercadopago::signature::sign(
        b"an attacker's guess",
        Some(&payment),
        Some(&forged.request_id),
        chrono::Utc::now().timestamp(),
    )
    .expect("HMAC takes keys of any length");
    assert_eq!(
        app.deliver(&forged).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let mut unsigned = app.notification(&payment, 0);
    unsigned.signature = String::new();
    assert_eq!(
        app.deliver(&unsigned).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A genuine signature moved to another payment id no longer matches.
    let mut moved = app.notification(&payment, 0);
    moved.query = "?data.id=90000000999&type=payment".to_owned();
    assert_eq!(app.deliver(&moved).await.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(app.order_status(&order).await, "Recebido");
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "pendente"
    );
    assert!(
        app.double
            .received()
            .iter()
            .all(|request| request.method != "GET"),
        "nothing fetched before the signature verifies"
    );
    assert_eq!(
        app.metric(r#"payments_webhook_signature_failures_total{reason="mismatch"}"#)
            .await,
        2.0
    );
}

#[tokio::test]
async fn a_signature_older_than_five_minutes_is_401() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");
    let stale = app.notification(&payment, 301);
    assert_eq!(app.deliver(&stale).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.order_status(&order).await, "Recebido");
    assert_eq!(
        app.metric(r#"payments_webhook_signature_failures_total{reason="stale"}"#)
            .await,
        1.0
    );
    let recent = app.notification(&payment, 240);
    assert_eq!(app.deliver(&recent).await.status(), StatusCode::OK);
    assert_eq!(app.order_status(&order).await, "Pago");
}

#[tokio::test]
async fn v1_defect_the_fetched_payment_is_trusted_not_the_body() {
    let app = PaymentApp::with_mercadopago().await;
    let (order_a, payment_a) = charged_order(&app).await;
    let (order_b, payment_b) = charged_order(&app).await;
    app.double.set_status(&payment_a, "approved");

    // Signed for A's payment, but the body claims B's payment and order.
    let mut notification = app.notification(&payment_a, 0);
    notification.body = json!({
        "type": "payment",
        "data": {"id": payment_b, "external_reference": order_b, "status": "approved"},
        "external_reference": order_b,
    });
    assert_eq!(app.deliver(&notification).await.status(), StatusCode::OK);
    assert_eq!(app.order_status(&order_a).await, "Pago");
    assert_eq!(app.order_status(&order_b).await, "Recebido");

    // B's payment is still pending at Mercado Pago: a signed notification about it
    // changes nothing, whatever the body says.
    let mut about_b = app.notification(&payment_b, 0);
    about_b.body["data"]["status"] = json!("approved");
    let response = app.deliver(&about_b).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["status"],
        "sem_alteracao"
    );
    assert_eq!(app.order_status(&order_b).await, "Recebido");
}

#[tokio::test]
async fn a_replayed_notification_transitions_once() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");
    let notification = app.notification(&payment, 0);
    let first = app.deliver(&notification).await;
    assert_eq!(first.json::<Value>().await.unwrap()["status"], "processado");
    let replay = app.deliver(&notification).await;
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(
        replay.json::<Value>().await.unwrap()["status"],
        "sem_alteracao"
    );
    assert_eq!(paid_transitions(&app, &order), 1);
    assert_eq!(app.metric("payments_approved_total").await, 1.0);
}

#[tokio::test]
async fn twenty_concurrent_identical_notifications_transition_once() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");
    let notification = app.notification(&payment, 0);
    let answers = futures_util::future::join_all((0..20).map(|_| app.deliver(&notification))).await;
    let mut processed = 0;
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::OK);
        if answer.json::<Value>().await.unwrap()["status"] == "processado" {
            processed += 1;
        }
    }
    assert_eq!(processed, 1, "exactly one request applied the approval");
    assert_eq!(paid_transitions(&app, &order), 1);
    assert_eq!(
        app.database.sql_count(&format!(
            "SELECT count(*) AS count FROM payments WHERE order_id = '{order}' AND status = 'approved'"
        )),
        1
    );
    assert_eq!(app.metric("payments_approved_total").await, 1.0);
}

#[tokio::test]
async fn an_amount_mismatch_is_refused_and_alerted() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");
    app.double.set_amount(&payment, 1.0);
    let response = app.deliver(&app.notification(&payment, 0)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let ack: Value = response.json().await.unwrap();
    assert_eq!(
        ack,
        json!({"status": "ignorado", "motivo": "amount_mismatch"})
    );
    assert_eq!(app.order_status(&order).await, "Recebido");
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "pendente"
    );
    assert_eq!(
        app.metric(r#"payments_webhook_refused_total{reason="amount_mismatch"}"#)
            .await,
        1.0
    );
}

#[tokio::test]
async fn provider_down_is_503_and_nothing_is_half_written() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");
    app.double.set_down(true);
    let response = app.deliver(&app.notification(&payment, 0)).await;
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "Mercado Pago retries"
    );
    assert_eq!(app.order_status(&order).await, "Recebido");
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "pendente"
    );
    assert_eq!(paid_transitions(&app, &order), 0);

    // Mercado Pago's retry, once it is back, goes through.
    app.double.set_down(false);
    let retry = app.deliver(&app.notification(&payment, 0)).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(app.order_status(&order).await, "Pago");
}

#[tokio::test]
async fn rejected_then_a_new_qr_code_then_approved() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, first) = charged_order(&app).await;
    app.double.set_status(&first, "rejected");
    let response = app.deliver(&app.notification(&first, 0)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "rejeitado"
    );
    assert_eq!(
        app.order_status(&order).await,
        "Recebido",
        "the customer may pay again"
    );

    let second = app.issued_qr_code(&order).await;
    let second = second["qrcode_id"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "a new charge");
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "pendente"
    );
    app.double.set_status(&second, "approved");
    assert_eq!(
        app.deliver(&app.notification(&second, 0)).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.order_status(&order).await, "Pago");
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "aprovado"
    );
    assert_eq!(app.metric("payments_rejected_total").await, 1.0);
    assert_eq!(app.metric("payments_created_total").await, 2.0);
}

#[tokio::test]
async fn other_topics_and_unknown_payments_are_acknowledged_without_effect() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");

    let mut merchant_order = app.notification(&payment, 0);
    merchant_order.query = format!("?data.id={payment}&type=merchant_order");
    merchant_order.body["type"] = json!("merchant_order");
    let response = app.deliver(&merchant_order).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ignorado", "motivo": "not_a_payment"})
    );

    let unknown = app.notification("90000000777", 0);
    let response = app.deliver(&unknown).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ignorado", "motivo": "unknown_payment"})
    );
    assert_eq!(app.order_status(&order).await, "Recebido");
}

/// v1 defect: a non-UUID reference approved whichever payment came first.
#[tokio::test]
async fn v1_defect_a_payment_naming_another_order_is_refused() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    let (other_order, _) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");
    for reference in ["pedido-1", other_order.as_str()] {
        app.double.set_external_reference(&payment, reference);
        let response = app.deliver(&app.notification(&payment, 0)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"status": "ignorado", "motivo": "reference_mismatch"}),
            "{reference}"
        );
    }
    assert_eq!(app.order_status(&order).await, "Recebido");
    assert_eq!(app.order_status(&other_order).await, "Recebido");
    assert_eq!(
        app.metric(r#"payments_webhook_refused_total{reason="reference_mismatch"}"#)
            .await,
        2.0
    );
}

/// v1 defect: order and payment were written in separate commits.
#[tokio::test]
async fn v1_defect_payment_and_order_commit_together_or_not_at_all() {
    let app = PaymentApp::with_mercadopago().await;
    let (order, payment) = charged_order(&app).await;
    app.double.set_status(&payment, "approved");
    // The last write of the transaction (the order's history row) fails.
    app.database.sql_execute(
        "CREATE FUNCTION refuse_paid() RETURNS trigger LANGUAGE plpgsql AS \
           $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
         CREATE TRIGGER refuse_paid BEFORE INSERT ON order_status_history \
           FOR EACH ROW WHEN (NEW.to_status = 'paid') EXECUTE FUNCTION refuse_paid()",
    );
    let response = app.deliver(&app.notification(&payment, 0)).await;
    assert!(response.status().is_server_error(), "Mercado Pago retries");
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "pendente"
    );
    assert_eq!(app.order_status(&order).await, "Recebido");

    app.database
        .sql_execute("DROP TRIGGER refuse_paid ON order_status_history");
    let retry = app.deliver(&app.notification(&payment, 0)).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "aprovado"
    );
    assert_eq!(app.order_status(&order).await, "Pago");
}
