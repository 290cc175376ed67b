//! Configuration and documentation of payments: credentials from Secrets Manager (moto),
//! the routes in the OpenAPI document.

use std::collections::HashMap;
use std::sync::Arc;

use postech_app::configuration::payments::{PaymentSettings, ProviderSettings};
use postech_shared_sdk::local_aws::{self, MotoServer};
use postech_shared_sdk::token::SigningKeyMaterial;
use serde_json::{Value, json};

use crate::harness::{PaymentApp, fresh_database};
use crate::mercadopago_double::MercadoPagoDouble;

#[tokio::test]
async fn mercadopago_credentials_are_read_from_secrets_manager() {
    let moto = tokio::task::spawn_blocking(MotoServer::shared)
        .await
        .unwrap()
        .expect("moto server (install `moto[server]` and put moto_server on PATH)");
    let aws = local_aws::sdk_config(moto.endpoint()).await;
    let double = MercadoPagoDouble::start().await;
    let webhook_secret = uuid::Uuid::new_v4().simple().to_string();
    let secret_id = local_aws::unique_name("postech/staging/mercadopago");
    let value = json!({
        "access_token": double.access_token,
        "webhook_secret": webhook_secret,
        "api_base_url": double.base_url,
    });
    local_aws::put_secret_string(&aws, &secret_id, &value.to_string().into())
        .await
        .unwrap();
    let env: HashMap<&str, String> = HashMap::from([
        ("MERCADOPAGO_SECRET_ID", secret_id.clone()),
        (
            "MERCADOPAGO_PAYER_EMAIL",
            "caixa@postech.example".to_owned(),
        ),
    ]);
    let lookup = move |name: &str| env.get(name).cloned();
    let settings = PaymentSettings::from_source(&lookup, &aws).await.unwrap();
    let ProviderSettings::MercadoPago(mercadopago) = &settings.provider else {
        panic!("a configured secret selects Mercado Pago");
    };
    assert_eq!(mercadopago.api_base_url, double.base_url);
    assert_eq!(
        mercadopago.credentials.secret_id(),
        Some(secret_id.as_str())
    );
    assert!(
        !format!("{settings:?}").contains(&webhook_secret),
        "never printed"
    );

    // The app charges through the double with the token it read from Secrets Manager.
    let database = fresh_database().await;
    let app = PaymentApp::launch_with(
        Arc::new(database),
        Arc::new(double),
        SigningKeyMaterial::generate("kid-secrets"),
        webhook_secret,
        settings,
    )
    .await;
    let order = app.order_id().await;
    let qr = app.issued_qr_code(&order).await;
    assert!(qr["qrcode_id"].as_str().is_some());
    assert_eq!(app.double.payments_created(), 1);
}

#[tokio::test]
async fn the_payment_routes_are_in_the_openapi_document() {
    let app = PaymentApp::with_mercadopago().await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    for path in [
        "/v1/api/pagamentos/{order_id}/qrcode",
        "/v1/api/pagamentos/{order_id}/status",
        "/v1/api/pagamentos/webhook",
        "/v1/api/pagamentos/simulador/{order_id}/aprovar",
        "/v1/api/pagamentos/simulador/{order_id}/rejeitar",
    ] {
        assert!(document["paths"][path].is_object(), "{path} documented");
    }
    assert!(
        document["components"]["schemas"]["QrCodeBody"].is_object(),
        "schemas collected"
    );
}
