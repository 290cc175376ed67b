//! The test harness: a fresh migrated database, a Cognito user pool on the shared moto
//! server, a signing key, and the real app on a free port, talked to over HTTP.

use std::collections::HashMap;

use postech_app::adapters::local_outbox::LocalOutbox;
use postech_app::adapters::ses_mailer::SesSender;
use postech_app::configuration::kitchen_stream::KitchenStreamSettings;
use postech_app::configuration::payments::PaymentSettings;
use postech_app::configuration::registration::MailChannel;
use postech_app::configuration::{AuthSettings, CognitoSettings, Settings};
use postech_app::startup::Application;
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::local_aws::{self, LocalUserPool, MotoServer};
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

pub use crate::common::{BURGERS, DESSERTS, DRINKS, SIDES, fresh_database};
use crate::common::{Pool, fixed_key_auth, settings};

/// Valid CPFs (check digits computed with the correct weights).
pub const CPF_A: &str = "529.982.247-25";
pub const CPF_A_DIGITS: &str = "52998224725";
pub const CPF_B: &str = "123.456.789-09";
pub const CPF_C: &str = "987.654.321-00";

/// How a test wants the app wired.
#[derive(Default)]
pub struct Options {
    /// Point the app at a user pool that does not exist (Cognito then fails every call).
    pub missing_user_pool: bool,
    /// Publish the signing key's public half in a fresh verification-key secret (what
    /// postech-lambda-functions' rotation writes) and configure the app as a deployment is,
    /// through `JWT_VERIFICATION_KEY_SECRET_ID` and these further variables (e.g. the re-read
    /// intervals). `None`: the app trusts the key's public half as a fixed key.
    pub key_secret_variables: Option<Vec<(&'static str, &'static str)>>,
    /// Kitchen stream settings other than the defaults (small buffers, short intervals).
    pub kitchen_stream: Option<KitchenStreamSettings>,
    /// The app reaches AWS (Cognito, Secrets Manager) through this endpoint instead of moto's
    /// directly, e.g. a [`postech_shared_sdk::local_aws::FaultProxy`] in front of moto (the
    /// outage drills).
    pub app_aws_endpoint: Option<String>,
    /// How long the app trusts Cognito's word that an admin is active (default: the
    /// deployed 30 s; `ZERO`: asked on every admin request).
    pub admin_status_ttl: Option<std::time::Duration>,
    /// Send the registration codes through SES (moto) from this sender instead of the local
    /// outbox.
    pub ses_sender: Option<SesSender>,
}

/// The admin the harness's admin token names: a Cognito user of group `admin` in the pool.
pub const ADMIN_USERNAME: &str = "gerente";

/// A running app and what the test needs to talk to it and look behind it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: TestDatabase,
    pub aws: aws_config::SdkConfig,
    pub user_pool: LocalUserPool,
    /// The verification-key secret the app reads, when [`Options::key_secret_variables`]
    /// asked for one.
    pub key_secret_id: Option<String>,
    issuer: TokenIssuer,
    pub admin_token: String,
    recipe: Recipe,
}

/// What another app on the same database needs to be configured like this one.
struct Recipe {
    auth: AuthSettings,
    cognito: CognitoSettings,
    aws: aws_config::SdkConfig,
    kitchen_stream: KitchenStreamSettings,
    outbox: LocalOutbox,
    ses_sender: Option<SesSender>,
}

impl Recipe {
    fn settings(&self, database: &TestDatabase) -> Settings {
        // The simulated provider, with a secret drawn per app.
        let payments = PaymentSettings::simulated(uuid::Uuid::new_v4().to_string().into());
        let mut settings = settings(
            database,
            Pool::default(),
            self.auth.clone(),
            self.cognito.clone(),
            payments,
            self.aws.clone(),
        );
        settings.kitchen_stream = self.kitchen_stream.clone();
        settings.registration.mailer = match &self.ses_sender {
            Some(sender) => MailChannel::Ses(sender.clone()),
            None => MailChannel::LocalOutbox(self.outbox.clone()),
        };
        settings
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    /// The `host:port` of the shared moto server (what a fault proxy forwards to).
    pub async fn moto_address() -> String {
        let moto = tokio::task::spawn_blocking(MotoServer::shared)
            .await
            .expect("moto task")
            .expect("moto server");
        moto.endpoint().trim_start_matches("http://").to_owned()
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        let database = fresh_database().await;
        let moto = tokio::task::spawn_blocking(MotoServer::shared)
            .await
            .expect("moto task")
            .expect("moto server (install `moto[server]` and put moto_server on PATH)");
        let aws = local_aws::sdk_config(moto.endpoint()).await;
        let user_pool = local_aws::provision_user_pool(&aws, &local_aws::unique_name("app"))
            .await
            .expect("user pool");
        let key = SigningKeyMaterial::generate(local_aws::unique_name("kid"));
        let issuer = TokenIssuer::from_material(&key).expect("issuer");
        let app_aws = match &options.app_aws_endpoint {
            Some(endpoint) => local_aws::sdk_config(endpoint).await,
            None => aws.clone(),
        };
        let (mut auth, key_secret_id) = auth_settings(
            options.key_secret_variables.as_deref(),
            &aws,
            &app_aws,
            &key,
        )
        .await;
        if let Some(ttl) = options.admin_status_ttl {
            auth.admin_status_ttl = ttl;
        }
        // The app honours an admin token only while its admin is enabled and in group admin.
        local_aws::create_admin(
            &aws,
            &user_pool,
            ADMIN_USERNAME,
            &local_aws::generate_password(),
        )
        .await
        .expect("admin created");
        let cognito = CognitoSettings {
            user_pool_id: if options.missing_user_pool {
                "us-east-1_doesnotexist0".to_owned()
            } else {
                user_pool.user_pool_id.clone()
            },
            app_client_id: user_pool.client_id.clone(),
        };
        let recipe = Recipe {
            auth,
            cognito,
            aws: app_aws,
            kitchen_stream: options.kitchen_stream.unwrap_or_default(),
            outbox: LocalOutbox::default(),
            ses_sender: options.ses_sender,
        };
        let settings = recipe.settings(&database);
        let application = Application::build(settings).await.expect("app starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        let admin_token = issuer
            .issue_admin(ADMIN_USERNAME)
            .expect("token")
            .access_token;
        TestApp {
            address,
            client: reqwest::Client::new(),
            database,
            aws,
            user_pool,
            key_secret_id,
            issuer,
            admin_token,
            recipe,
        }
    }

    /// Another app process on the same database (as a second pod is), configured alike and
    /// accepting the same tokens; its address.
    pub async fn spawn_sibling(&self) -> String {
        let application = Application::build(self.recipe.settings(&self.database))
            .await
            .expect("second app starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        address
    }

    /// The registration e-mails the app sent (the local double of the e-mail channel).
    pub fn outbox(&self) -> &LocalOutbox {
        &self.recipe.outbox
    }

    /// The admin token the app accepts.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Disables the user `username` in the pool (`AdminDisableUser`).
    pub async fn disable_cognito_user(&self, username: &str) {
        local_aws::disable_user(&self.aws, &self.user_pool, username)
            .await
            .expect("user disabled");
    }

    pub fn customer_token(&self, customer_id: &str) -> String {
        let id: CustomerId = customer_id.parse().expect("customer id");
        self.issuer
            .issue_customer(&id)
            .expect("customer token")
            .access_token
    }

    /// A step-up token (`amr: ["cpf", "otp"]`): what the auth function issues after the
    /// e-mailed one-time code; reads the full profile and history.
    pub fn customer_step_up_token(&self, customer_id: &str) -> String {
        let id: CustomerId = customer_id.parse().expect("customer id");
        self.issuer
            .issue_customer_stepped_up(&id)
            .expect("step-up token")
            .access_token
    }

    pub fn as_admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(&self.admin_token)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Creates a product through the admin API; returns its id.
    pub async fn create_product(
        &self,
        name: &str,
        price: &str,
        category: &str,
        stock: u32,
    ) -> String {
        let response = self
            .as_admin(Method::POST, "/v1/api/admin/produtos/")
            .json(&json!({
                "nome": name,
                "descricao": format!("Descrição de {name} para o cardápio"),
                "preco": price,
                "categoria_id": category,
                "estoque_disponivel": stock,
            }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::CREATED, "creating {name}");
        let body: Value = response.json().await.expect("json");
        body["id"].as_str().expect("id").to_owned()
    }

    /// Registers a customer as its owner would, to the end: without a CPF the `201`; with a
    /// CPF the `202`, then, with an e-mail, the code from the outbox confirmed. Returns its id.
    pub async fn register(&self, body: Value) -> String {
        let response = self.post_json("/v1/api/clientes/", &body).await;
        if body["cpf"].as_str().is_none_or(str::is_empty) {
            assert_eq!(response.status(), StatusCode::CREATED, "registering {body}");
            let body: Value = response.json().await.expect("json");
            return body["id"].as_str().expect("id").to_owned();
        }
        assert_eq!(
            response.status(),
            StatusCode::ACCEPTED,
            "registering {body}"
        );
        let cpf = body["cpf"].as_str().expect("cpf");
        match body["email"].as_str().filter(|email| !email.is_empty()) {
            Some(email) => {
                let confirmed = self.confirm_registration(cpf, email).await;
                assert_eq!(confirmed.status(), StatusCode::OK, "confirming {body}");
                let confirmed: Value = confirmed.json().await.expect("json");
                confirmed["id"].as_str().expect("id").to_owned()
            }
            None => self.customer_id_of(cpf).await,
        }
    }

    /// Confirms the registration of `cpf` with the last code e-mailed to `email`.
    pub async fn confirm_registration(&self, cpf: &str, email: &str) -> Response {
        let code = self
            .outbox()
            .last_code_for(&email.trim().to_lowercase())
            .expect("a code was e-mailed");
        self.post_json(
            "/v1/api/clientes/confirmacao",
            &json!({"cpf": cpf, "codigo": code.expose_secret()}),
        )
        .await
    }

    /// The id of the customer registered with `cpf` (staff lookup).
    pub async fn customer_id_of(&self, cpf: &str) -> String {
        let digits: String = cpf.chars().filter(char::is_ascii_digit).collect();
        let found = self
            .as_admin(Method::GET, &format!("/v1/api/admin/clientes/{digits}"))
            .send()
            .await
            .expect("request");
        assert_eq!(found.status(), StatusCode::OK, "customer {digits}");
        let found: Value = found.json().await.expect("json");
        found["id"].as_str().expect("id").to_owned()
    }

    /// Places an order anonymously; returns the response.
    pub async fn checkout(&self, items: &[(&str, u32)]) -> Response {
        self.post_json("/v1/api/pedidos/", &checkout_body(items))
            .await
    }

    /// Places an order that must succeed; returns its body.
    pub async fn place_order(&self, items: &[(&str, u32)]) -> Value {
        let response = self.checkout(items).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }

    /// Moves an order with the admin PATCH; returns the status code.
    pub async fn set_status(&self, order_id: &str, status: &str) -> StatusCode {
        self.as_admin(
            Method::PATCH,
            &format!("/v1/api/admin/pedidos/{order_id}/status"),
        )
        .json(&json!({ "status": status }))
        .send()
        .await
        .expect("request")
        .status()
    }

    /// A product as the admin list shows it.
    pub async fn admin_product(&self, id: &str) -> Value {
        let products: Value = self
            .as_admin(Method::GET, "/v1/api/admin/produtos")
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        products
            .as_array()
            .expect("list")
            .iter()
            .find(|product| product["id"] == id)
            .cloned()
            .expect("product listed")
    }
}

/// The app's token verification as `key_secret_variables` asks (see [`Options`]), and the
/// secret id when there is a secret.
async fn auth_settings(
    key_secret_variables: Option<&[(&'static str, &'static str)]>,
    aws: &aws_config::SdkConfig,
    app_aws: &aws_config::SdkConfig,
    key: &SigningKeyMaterial,
) -> (AuthSettings, Option<String>) {
    let Some(variables) = key_secret_variables else {
        return (fixed_key_auth(key), None);
    };
    let secret_id = format!(
        "postech/test-{}/jwt-verification-key",
        local_aws::unique_suffix()
    );
    store_verification_key(aws, &secret_id, key).await;
    let mut env: HashMap<String, String> = variables
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    env.insert(
        "JWT_VERIFICATION_KEY_SECRET_ID".to_owned(),
        secret_id.clone(),
    );
    let env = move |name: &str| env.get(name).cloned();
    let auth = AuthSettings::from_source(&env, app_aws)
        .await
        .expect("verification keys from the secret");
    (auth, Some(secret_id))
}

/// Writes the key's public half, `{kid, public_key_pem}` and no private key, as a new version
/// of the verification-key secret (creating it the first time).
pub async fn store_verification_key(
    aws: &aws_config::SdkConfig,
    secret_id: &str,
    key: &SigningKeyMaterial,
) {
    let public_half = json!({ "kid": key.kid, "public_key_pem": key.public_key_pem });
    local_aws::put_secret_string(aws, secret_id, &public_half.to_string().into())
        .await
        .expect("verification key stored");
}

pub fn checkout_body(items: &[(&str, u32)]) -> Value {
    json!({
        "itens": items
            .iter()
            .map(|(product, quantity)| json!({ "produto_id": product, "quantidade": quantity }))
            .collect::<Vec<_>>(),
    })
}

/// The `detail` of an error body.
pub async fn detail(response: Response) -> Value {
    let body: Value = response.json().await.expect("json error body");
    body["detail"].clone()
}

/// The value of a metric line of the app at `address`, 0 when the series is absent.
pub async fn metric(address: &str, series: &str) -> f64 {
    let text = reqwest::get(format!("{address}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// The app's notification connection lost for good: its `LISTEN` session killed while the
/// database refuses new connections, until [`ListenerOutage::end`]. Its own connection,
/// opened before, still writes behind the app's back (the app's pool keeps its own).
pub struct ListenerOutage {
    connection: diesel::PgConnection,
    server: diesel::PgConnection,
    name: String,
}

impl ListenerOutage {
    pub fn begin(database: &TestDatabase) -> Self {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;

        let mut connection = database.connect().expect("connection");
        let name = database.name().to_owned();
        // A database cannot refuse connections on its own session's say: from the server's
        // maintenance database.
        let server_url = format!(
            "{}/postgres",
            database.url().rsplit_once('/').expect("a database url").0
        );
        let mut server = diesel::PgConnection::establish(&server_url).expect("server connection");
        server
            .batch_execute(&format!(
                "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
            ))
            .expect("connections refused");
        connection
            .batch_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                  WHERE datname = current_database() AND pid <> pg_backend_pid() \
                    AND query LIKE 'LISTEN %'",
            )
            .expect("listener cut off");
        Self {
            connection,
            server,
            name,
        }
    }

    /// Runs `sql` behind the app's back, heard by nobody.
    pub fn write(&mut self, sql: &str) {
        use diesel::connection::SimpleConnection;
        self.connection.batch_execute(sql).expect(sql);
    }

    /// Lets the listener connect again.
    pub fn end(mut self) {
        use diesel::connection::SimpleConnection;
        self.server
            .batch_execute(&format!(
                "ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true",
                self.name
            ))
            .expect("connections allowed");
    }
}

/// Waits (up to a minute) until the series of the app at `address` is above `value`: the
/// witness that the app heard something, e.g. a cache's invalidation count.
pub async fn wait_until_metric_exceeds(address: &str, series: &str, value: f64) {
    assert!(
        crate::common::eventually(std::time::Duration::from_secs(60), || async {
            metric(address, series).await > value
        })
        .await,
        "{series} never went above {value}: the app never heard the change"
    );
}
