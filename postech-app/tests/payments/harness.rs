//! The payment tests' harness: a fresh migrated database, the real app on a free port wired
//! to the Mercado Pago double (or to the simulated provider), and helpers to place orders,
//! ask for QR codes and send signed notifications.
//!
//! No Cognito here: payments never touch customer identities, so the app gets a user pool
//! id it never calls.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use aws_config::{BehaviorVersion, Region};
use chrono::Utc;
use postech_app::adapters::mercadopago::signature;
use postech_app::configuration::CognitoSettings;
use postech_app::configuration::payments::{
    MercadoPagoSettings, PaymentSettings, ProviderSettings,
};
use postech_app::startup::Application;
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::secrets::{CachedSecret, MercadoPagoSecret};
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

pub use crate::common::{BURGERS, Pool, eventually, fresh_database};
use crate::common::{fixed_key_auth, settings};
use crate::mercadopago_double::MercadoPagoDouble;

/// How a test wants the app.
#[derive(Clone, Copy)]
pub struct Setup {
    pub simulated: bool,
    pub expiry: Duration,
    pub sweep_interval: Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            simulated: false,
            expiry: Duration::from_secs(30 * 60),
            sweep_interval: Duration::from_secs(3600),
        }
    }
}

pub struct PaymentApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: Arc<TestDatabase>,
    pub double: Arc<MercadoPagoDouble>,
    /// The secret notifications must be signed with.
    pub webhook_secret: String,
    key: SigningKeyMaterial,
    admin_token: String,
    handle: ServerHandle,
}

impl PaymentApp {
    /// The app on Mercado Pago (the double).
    pub async fn with_mercadopago() -> PaymentApp {
        Self::start(Setup::default()).await
    }

    /// The app on the simulated provider.
    pub async fn with_simulator() -> PaymentApp {
        Self::start(Setup {
            simulated: true,
            ..Setup::default()
        })
        .await
    }

    pub async fn start(setup: Setup) -> PaymentApp {
        let database = fresh_database().await;
        let double = MercadoPagoDouble::start().await;
        let key = SigningKeyMaterial::generate(format!("kid-{}", uuid::Uuid::new_v4().simple()));
        let webhook_secret = uuid::Uuid::new_v4().simple().to_string();
        Self::launch(
            setup,
            Arc::new(database),
            Arc::new(double),
            key,
            webhook_secret,
        )
        .await
    }

    /// Stops this app and starts another on the same database, double and secrets: a
    /// restart.
    pub async fn restart(self, setup: Setup) -> PaymentApp {
        self.handle.stop(true).await;
        Self::launch(
            setup,
            self.database.clone(),
            self.double.clone(),
            self.key.clone(),
            self.webhook_secret.clone(),
        )
        .await
    }

    /// The app's settings for a provider.
    pub fn payment_settings(
        setup: Setup,
        double: &MercadoPagoDouble,
        webhook_secret: &str,
    ) -> PaymentSettings {
        let provider = if setup.simulated {
            ProviderSettings::Simulated {
                webhook_secret: webhook_secret.to_owned().into(),
            }
        } else {
            ProviderSettings::MercadoPago(MercadoPagoSettings {
                credentials: CachedSecret::fixed(MercadoPagoSecret {
                    access_token: double.access_token.clone().into(),
                    webhook_secret: webhook_secret.to_owned().into(),
                    user_id: None,
                    external_pos_id: None,
                    api_base_url: None,
                }),
                api_base_url: double.base_url.clone(),
                payer_email: "caixa@postech.example".to_owned(),
                notification_url: None,
                request_timeout: Duration::from_secs(2),
                max_attempts: 3,
                retry_backoff: Duration::from_millis(10),
            })
        };
        PaymentSettings {
            provider,
            expiry: setup.expiry,
            sweep_interval: setup.sweep_interval,
        }
    }

    async fn launch(
        setup: Setup,
        database: Arc<TestDatabase>,
        double: Arc<MercadoPagoDouble>,
        key: SigningKeyMaterial,
        webhook_secret: String,
    ) -> PaymentApp {
        let payments = Self::payment_settings(setup, &double, &webhook_secret);
        Self::launch_with(database, double, key, webhook_secret, payments).await
    }

    pub async fn launch_with(
        database: Arc<TestDatabase>,
        double: Arc<MercadoPagoDouble>,
        key: SigningKeyMaterial,
        webhook_secret: String,
        payments: PaymentSettings,
    ) -> PaymentApp {
        Self::launch_with_pool(
            database,
            double,
            key,
            webhook_secret,
            payments,
            Pool::default(),
        )
        .await
    }

    /// The app on a fresh database, with Mercado Pago (the double) and this database pool.
    pub async fn start_with_pool(setup: Setup, pool: Pool) -> PaymentApp {
        let database = fresh_database().await;
        let double = MercadoPagoDouble::start().await;
        let key = SigningKeyMaterial::generate(format!("kid-{}", uuid::Uuid::new_v4().simple()));
        let webhook_secret = uuid::Uuid::new_v4().simple().to_string();
        let payments = Self::payment_settings(setup, &double, &webhook_secret);
        Self::launch_with_pool(
            Arc::new(database),
            Arc::new(double),
            key,
            webhook_secret,
            payments,
            pool,
        )
        .await
    }

    async fn launch_with_pool(
        database: Arc<TestDatabase>,
        double: Arc<MercadoPagoDouble>,
        key: SigningKeyMaterial,
        webhook_secret: String,
        payments: PaymentSettings,
        pool: Pool,
    ) -> PaymentApp {
        let settings = settings(
            &database,
            pool,
            fixed_key_auth(&key),
            CognitoSettings {
                user_pool_id: "us-east-1_paymentsNotUsed".to_owned(),
                app_client_id: String::new(),
            },
            payments,
            aws_config::SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .build(),
        );
        let application = Application::build(settings).await.expect("app starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        let handle = application.handle();
        tokio::spawn(application.run_until_stopped());
        let issuer = TokenIssuer::from_material(&key).expect("issuer");
        let admin_token = issuer.issue_admin("gerente").expect("token").access_token;
        PaymentApp {
            address,
            client: reqwest::Client::new(),
            database,
            double,
            webhook_secret,
            key,
            admin_token,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str) -> Response {
        self.client
            .post(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn as_admin(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// A product with `stock` units; its id.
    pub async fn product(&self, price: &str, stock: u32) -> String {
        let response = self
            .as_admin(
                Method::POST,
                "/v1/api/admin/produtos/",
                Some(json!({
                    "nome": "X-Burguer",
                    "descricao": "Hambúrguer da casa com queijo",
                    "preco": price,
                    "categoria_id": BURGERS,
                    "estoque_disponivel": stock,
                })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// The stock of a product, as staff see it.
    pub async fn stock(&self, product: &str) -> i64 {
        let products: Value = self
            .as_admin(Method::GET, "/v1/api/admin/produtos", None)
            .await
            .json()
            .await
            .expect("json");
        products
            .as_array()
            .expect("list")
            .iter()
            .find(|item| item["id"] == product)
            .and_then(|item| item["estoque_disponivel"].as_i64())
            .expect("product listed")
    }

    /// An anonymous order of `quantity` units; its body.
    pub async fn order(&self, product: &str, quantity: u32) -> Value {
        let response = self
            .client
            .post(self.url("/v1/api/pedidos/"))
            .json(&json!({"itens": [{"produto_id": product, "quantidade": quantity}]}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }

    /// An order of 2 × 15.90 (31.80); its id.
    pub async fn order_id(&self) -> String {
        let product = self.product("15.90", 100).await;
        self.order(&product, 2).await["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    pub async fn qr_code(&self, order: &str) -> Response {
        self.get(&format!("/v1/api/pagamentos/{order}/qrcode"))
            .await
    }

    /// A QR code that must be issued; its body.
    pub async fn issued_qr_code(&self, order: &str) -> Value {
        let response = self.qr_code(order).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }

    pub async fn payment_status(&self, order: &str) -> Value {
        let response = self
            .get(&format!("/v1/api/pagamentos/{order}/status"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }

    pub async fn order_status(&self, order: &str) -> String {
        let body: Value = self
            .get(&format!("/v1/api/pedidos/{order}"))
            .await
            .json()
            .await
            .expect("json");
        body["status"].as_str().expect("status").to_owned()
    }

    /// A notification about `payment_id` as Mercado Pago sends it, signed `seconds_ago`.
    pub fn notification(&self, payment_id: &str, seconds_ago: i64) -> Notification {
        let request_id = uuid::Uuid::new_v4().to_string();
        let ts = Utc::now().timestamp() - seconds_ago;
        Notification {
            query: format!("?data.id={payment_id}&type=payment"),
            body: json!({
                "action": "payment.updated",
                "api_version": "v1",
                "type": "payment",
                "live_mode": false,
                "data": {"id": payment_id},
            }),
            signature: signature::sign(
                self.webhook_secret.as_bytes(),
                Some(payment_id),
                Some(&request_id),
                ts,
            )
            .expect("HMAC takes keys of any length"),
            request_id,
        }
    }

    pub async fn deliver(&self, notification: &Notification) -> Response {
        self.client
            .post(self.url(&format!("/v1/api/pagamentos/webhook{}", notification.query)))
            .header("x-signature", &notification.signature)
            .header("x-request-id", &notification.request_id)
            .json(&notification.body)
            .send()
            .await
            .expect("request")
    }

    /// The value of a Prometheus series (0 when absent).
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self.get("/metrics").await.text().await.expect("text");
        text.lines()
            .find_map(|line| {
                line.strip_prefix(series)
                    .and_then(|rest| rest.strip_prefix(' '))
                    .and_then(|value| value.trim().parse().ok())
            })
            .unwrap_or(0.0)
    }
}

/// A webhook request, ready to (re)send or to tamper with.
#[derive(Clone)]
pub struct Notification {
    pub query: String,
    pub body: Value,
    pub signature: String,
    pub request_id: String,
}
