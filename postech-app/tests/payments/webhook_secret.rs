//! The webhook while its secret cannot be loaded (Secrets Manager unreachable, or the secret
//! not readable yet): nothing can be verified, and nothing is known to be forged either — so
//! 503 (Mercado Pago retries), not 401, and no signature failure counted.

use std::sync::Arc;
use std::time::Duration;

use postech_app::configuration::payments::ProviderSettings;
use postech_shared_sdk::local_aws::{self, MotoServer};
use postech_shared_sdk::secrets::CachedSecret;
use postech_shared_sdk::token::SigningKeyMaterial;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{PaymentApp, Setup, fresh_database};
use crate::mercadopago_double::MercadoPagoDouble;

/// The first payment id the double hands out.
const FIRST_PAYMENT_ID: &str = "90000000001";

#[tokio::test]
async fn an_unloadable_webhook_secret_is_503_and_not_a_signature_failure() {
    let moto = tokio::task::spawn_blocking(MotoServer::shared)
        .await
        .unwrap()
        .expect("moto server (install `moto[server]` and put moto_server on PATH)");
    let aws = local_aws::sdk_config(moto.endpoint()).await;
    // The app reads its Mercado Pago secret from an id that holds nothing yet: every read
    // fails, as when Secrets Manager is down.
    let secret_id = local_aws::unique_name("postech/staging/mercadopago");
    let double = MercadoPagoDouble::start().await;
    let webhook_secret = uuid::Uuid::new_v4().simple().to_string();
    let mut payments = PaymentApp::payment_settings(Setup::default(), &double, &webhook_secret);
    let ProviderSettings::MercadoPago(mercadopago) = &mut payments.provider else {
        panic!("the default setup is Mercado Pago");
    };
    mercadopago.credentials = CachedSecret::from_secrets_manager(
        aws_sdk_secretsmanager::Client::new(&aws),
        secret_id.clone(),
        Duration::from_secs(300),
    );
    let database = fresh_database().await;
    let app = PaymentApp::launch_with(
        Arc::new(database),
        Arc::new(double),
        SigningKeyMaterial::generate("kid-unloadable-secret"),
        webhook_secret.clone(),
        payments,
    )
    .await;
    let order = app.order_id().await;

    // Correctly signed, about the charge the order is about to get.
    let notification = app.notification(FIRST_PAYMENT_ID, 0);
    let response = app.deliver(&notification).await;
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "Mercado Pago must retry, not drop the notification as forged"
    );
    for reason in ["missing", "malformed", "mismatch", "stale"] {
        let series = format!(r#"payments_webhook_signature_failures_total{{reason="{reason}"}}"#);
        assert_eq!(app.metric(&series).await, 0.0, "{reason} not counted");
    }
    assert!(app.double.received().is_empty(), "nothing fetched");

    // The secret becomes readable; Mercado Pago's retry of the same notification applies.
    let value = json!({"access_token": app.double.access_token, "webhook_secret": webhook_secret});
    local_aws::put_secret_string(&aws, &secret_id, &value.to_string().into())
        .await
        .unwrap();
    let qr = app.issued_qr_code(&order).await;
    assert_eq!(qr["qrcode_id"], FIRST_PAYMENT_ID);
    app.double.set_status(FIRST_PAYMENT_ID, "approved");
    let retry = app.deliver(&notification).await;
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(app.order_status(&order).await, "Pago");
}
