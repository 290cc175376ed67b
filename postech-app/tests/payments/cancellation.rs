//! Staff cancel an order that is awaiting payment, or mark it paid because the customer paid
//! another way: its charge is withdrawn at once, in our records and at the provider, instead
//! of staying payable until it expires.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::common::BehindTheApi;
use crate::harness::{PaymentApp, eventually};

/// Issues the order's QR code; the Mercado Pago payment id.
async fn charge(app: &PaymentApp, order: &str) -> String {
    app.issued_qr_code(order).await["qrcode_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn staff_cancel(app: &PaymentApp, order: &str) {
    let cancelled = app
        .as_admin(
            Method::DELETE,
            &format!("/v1/api/admin/pedidos/{order}"),
            None,
        )
        .await;
    assert!(cancelled.status().is_success(), "{}", cancelled.status());
}

/// The order's charge was withdrawn: nothing of it is pending here, the provider cancelled it
/// (it cannot be paid any more), and no new QR code is issued for the order.
async fn assert_charge_withdrawn(app: &PaymentApp, order: &str, payment: &str) {
    assert_eq!(
        app.database.sql_count(&format!(
            "SELECT count(*) AS count FROM payments WHERE order_id = '{order}' AND status = 'pending'"
        )),
        0,
        "no charge left pending"
    );
    let cancelled_at_provider = eventually(Duration::from_secs(5), || async {
        app.double.payment(payment)["status"] == "cancelled"
    })
    .await;
    assert!(cancelled_at_provider, "the charge cannot be paid any more");
    assert_eq!(
        app.qr_code(order).await.status(),
        StatusCode::CONFLICT,
        "no new charge either"
    );
}

#[tokio::test]
async fn cancelling_an_order_awaiting_payment_cancels_its_charge_here_and_at_the_provider() {
    let app = PaymentApp::with_mercadopago().await;
    let product = app.product("12.50", 10).await;
    let order = app.order(&product, 3).await;
    let order = order["id"].as_str().unwrap().to_owned();
    let payment = charge(&app, &order).await;

    staff_cancel(&app, &order).await;

    assert_eq!(app.order_status(&order).await, "Cancelado");
    assert_eq!(app.stock(&product).await, 10, "stock released");
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "cancelado"
    );
    assert_charge_withdrawn(&app, &order, &payment).await;
}

#[tokio::test]
async fn the_status_route_cancelling_an_order_withdraws_its_charge_too() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let payment = charge(&app, &order).await;

    let changed = app
        .as_admin(
            Method::PATCH,
            &format!("/v1/api/admin/pedidos/{order}/status"),
            Some(serde_json::json!({"status": "Cancelado"})),
        )
        .await;
    assert!(changed.status().is_success(), "{}", changed.status());
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "cancelado"
    );
    let cancelled_at_provider = eventually(Duration::from_secs(5), || async {
        app.double.payment(&payment)["status"] == "cancelled"
    })
    .await;
    assert!(cancelled_at_provider, "the charge cannot be paid any more");
}

/// Staff took the payment at the counter (`Recebido → Pago`): the QR code must not take the
/// customer's money a second time.
#[tokio::test]
async fn marking_an_order_paid_by_hand_withdraws_its_pending_charge() {
    let app = PaymentApp::with_mercadopago().await;
    let product = app.product("12.50", 10).await;
    let order = app.order(&product, 2).await;
    let order = order["id"].as_str().unwrap().to_owned();
    let payment = charge(&app, &order).await;

    let changed = app
        .as_admin(
            Method::PATCH,
            &format!("/v1/api/admin/pedidos/{order}/status"),
            Some(serde_json::json!({"status": "Pago"})),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);

    assert_eq!(app.order_status(&order).await, "Pago");
    assert_eq!(app.stock(&product).await, 8, "a paid order keeps its stock");
    assert_charge_withdrawn(&app, &order, &payment).await;
}

#[tokio::test]
async fn a_payment_approved_before_the_provider_heard_of_the_cancellation_is_kept_for_a_refund() {
    let app = PaymentApp::with_mercadopago().await;
    let order = app.order_id().await;
    let payment = charge(&app, &order).await;
    // The customer pays while staff cancel: the provider refuses to cancel an approved
    // payment, and its notification arrives after the cancellation.
    app.double.set_status(&payment, "approved");
    staff_cancel(&app, &order).await;
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "cancelado"
    );

    let response = app.deliver(&app.notification(&payment, 0)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.order_status(&order).await,
        "Cancelado",
        "the kitchen never sees it"
    );
    assert_eq!(
        app.payment_status(&order).await["status_pagamento"],
        "aprovado",
        "the money is on record, to be refunded"
    );
    assert_eq!(
        app.metric("payments_webhook_refused_total{reason=\"approved_for_closed_order\"}")
            .await,
        1.0
    );
}
