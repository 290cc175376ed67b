//! The read replica, end to end: a throwaway primary and a hot standby streaming from it
//! (`pg_basebackup -R`, both on the loopback), the real app given the standby as
//! `DATABASE_READER_URL`. What is proved: the read-only routes are answered by the standby
//! (the app's `db_read_route_total` and the standby's `pg_stat_activity`); the menu cache
//! still fills from the primary; with replay paused, the order just placed is read from the
//! primary (never a 404) and a lag beyond the bound sends every read to the primary; with the
//! standby stopped, reads go to the primary without one error answer.

use std::time::Duration;

use postech_app::configuration::CognitoSettings;
use postech_app::configuration::database_reader::{DatabaseReaderSettings, ReaderEndpoint};
use postech_app::configuration::payments::PaymentSettings;
use postech_app::startup::Application;
use postech_shared_sdk::secrets::{AppDatabaseSecret, CachedSecret};
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{BURGERS, Pool, eventually, fixed_key_auth, settings_for_url};
use crate::helpers::checkout_body;
use crate::throwaway_cluster::{ServerTls, ThrowawayCluster};

/// Long enough for a loaded two-core machine; every wait ends as soon as its witness holds.
const WITNESS_TIMEOUT: Duration = Duration::from_secs(20);

/// A primary, its standby, and the app reading through it.
struct Replicated {
    primary: ThrowawayCluster,
    standby: ThrowawayCluster,
    key: SigningKeyMaterial,
    client: reqwest::Client,
}

/// One app on the primary with the standby as its reader.
struct ReplicaApp {
    address: String,
    client: reqwest::Client,
    admin: String,
}

impl Replicated {
    async fn start() -> Self {
        let primary = ThrowawayCluster::start(ServerTls::Off).await;
        // The app role owns the schema it migrates, as in the restart drill.
        primary.admin_execute("ALTER ROLE app SUPERUSER").await;
        let url = primary.url("127.0.0.1", "");
        tokio::task::spawn_blocking(move || postech_database::migrator::run_pending(&url))
            .await
            .unwrap()
            .expect("migrations on the primary");
        // After the migrations: the base backup carries the schema.
        let standby = primary.start_standby();
        Self {
            primary,
            standby,
            key: SigningKeyMaterial::generate(format!("kid-{}", uuid::Uuid::new_v4().simple())),
            client: reqwest::Client::new(),
        }
    }

    /// An app whose replica reads may lag by at most `max_lag`, measured every 50 ms.
    async fn app(&self, max_lag: Duration) -> ReplicaApp {
        let mut settings = settings_for_url(
            &self.primary.url("127.0.0.1", ""),
            Pool::default(),
            fixed_key_auth(&self.key),
            CognitoSettings {
                user_pool_id: "us-east-1_replicaNotUsed".to_owned(),
                app_client_id: String::new(),
            },
            PaymentSettings::simulated(uuid::Uuid::new_v4().to_string().into()),
            aws_config::SdkConfig::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("us-east-1"))
                .build(),
        );
        // The kitchen list is these tests' probe of the read routing: with its prepared pages
        // kept, it would be read on the writer once per change (prepared_cache.rs). Off, as
        // `KITCHEN_CACHE_MAX_AGE_MILLISECONDS=0` turns it off, every page is a routed read.
        settings.http.kitchen_cache_max_age = Duration::ZERO;
        settings.database_reader = Some(DatabaseReaderSettings {
            endpoint: ReaderEndpoint::Url(CachedSecret::fixed(
                AppDatabaseSecret::from_url(&self.standby.url("127.0.0.1", ""), "standby").unwrap(),
            )),
            pool_size: 4,
            acquire_timeout: Duration::from_secs(1),
            max_lag,
            lag_check_interval: Duration::from_millis(50),
        });
        let application = Application::build(settings).await.expect("app starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        ReplicaApp {
            address,
            client: self.client.clone(),
            admin: TokenIssuer::from_material(&self.key)
                .unwrap()
                .issue_admin("gerente")
                .unwrap()
                .access_token,
        }
    }

    /// Client sessions of the app's role on the standby.
    async fn app_sessions_on_standby(&self) -> i64 {
        self.standby
            .admin_query(
                "SELECT count(*)::text FROM pg_stat_activity \
                 WHERE usename = 'app' AND backend_type = 'client backend'",
            )
            .await
            .unwrap()
            .parse()
            .unwrap()
    }
}

impl ReplicaApp {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap()
    }

    async fn create_product(&self, name: &str) -> String {
        let response = self
            .client
            .post(format!("{}/v1/api/admin/produtos/", self.address))
            .bearer_auth(&self.admin)
            .json(&json!({
                "nome": name, "descricao": format!("Descrição de {name} para o cardápio"),
                "preco": "15.90", "categoria_id": BURGERS, "estoque_disponivel": 100,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn place_order(&self, product: &str) -> String {
        let response = self
            .client
            .post(format!("{}/v1/api/pedidos/", self.address))
            .json(&checkout_body(&[(product, 1)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The order by id, which must be answered 200 with that order.
    async fn order_must_be_found(&self, order: &str) {
        let response = self.get(&format!("/v1/api/pedidos/{order}")).await;
        assert_eq!(response.status(), StatusCode::OK, "order {order}");
        assert_eq!(response.json::<Value>().await.unwrap()["id"], order);
    }

    /// The ids of the kitchen list, which must be answered 200.
    async fn kitchen_ids(&self) -> Vec<String> {
        let response = self.get("/v1/api/admin/pedidos").await;
        assert_eq!(response.status(), StatusCode::OK);
        response
            .json::<Vec<Value>>()
            .await
            .unwrap()
            .iter()
            .map(|order| order["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The value of one series of `/metrics` (`name{labels}` as rendered), 0 when absent.
    async fn metric(&self, series: &str) -> f64 {
        let text = self
            .client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or(0.0)
    }

    async fn routed(&self, outcome: &str) -> f64 {
        self.metric(&format!("db_read_route_total{{outcome=\"{outcome}\"}}"))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_go_to_the_standby_and_to_the_primary_when_it_lags() {
    let clusters = Replicated::start().await;
    // Tolerant: its bound is never reached here, so each of its reads asks the standby first.
    let tolerant = clusters.app(Duration::from_secs(60)).await;
    // Strict: replay paused for more than 300 ms sends its reads to the primary.
    let strict = clusters.app(Duration::from_millis(300)).await;

    let product = tolerant.create_product("X-Réplica").await;
    let product_path = format!("/v1/api/produtos/{product}");
    assert!(
        eventually(WITNESS_TIMEOUT, || async {
            tolerant.get(&product_path).await.status() == StatusCode::OK
                && tolerant.routed("replica").await >= 1.0
        })
        .await,
        "the product is read from the standby once replayed"
    );
    assert!(
        clusters.app_sessions_on_standby().await >= 1,
        "the app holds sessions on the standby"
    );
    assert!(
        eventually(WITNESS_TIMEOUT, || async {
            let before = strict.routed("replica").await;
            strict.kitchen_ids().await.is_empty() && strict.routed("replica").await > before
        })
        .await,
        "the kitchen list is read from the standby while it keeps up"
    );

    // The menu cache keeps only what the primary said: once it is listening (a list served
    // from it), the refill after a change is not a replica read, and shows the change.
    assert!(
        eventually(WITNESS_TIMEOUT, || async {
            tolerant.get("/v1/api/produtos").await.status() == StatusCode::OK
                && tolerant
                    .metric("menu_cache_requests_total{result=\"cache\"}")
                    .await
                    >= 1.0
        })
        .await,
        "the menu cache listens"
    );
    let refills = tolerant
        .metric("menu_cache_requests_total{result=\"refilled\"}")
        .await;
    let routed_reads = tolerant.routed("replica").await
        + tolerant.routed("writer_replica_miss").await
        + tolerant.routed("writer_replica_lagging").await;
    let second = tolerant.create_product("X-Réplica Dois").await;
    let menu: Vec<Value> = tolerant.get("/v1/api/produtos").await.json().await.unwrap();
    assert!(menu.iter().any(|product| product["id"] == second.as_str()));
    assert_eq!(
        tolerant
            .metric("menu_cache_requests_total{result=\"refilled\"}")
            .await,
        refills + 1.0
    );
    assert_eq!(
        tolerant.routed("replica").await
            + tolerant.routed("writer_replica_miss").await
            + tolerant.routed("writer_replica_lagging").await,
        routed_reads,
        "the refill read the primary directly"
    );
    let misses = tolerant.routed("writer_replica_miss").await;

    // Replay paused: the standby stops at where it is.
    clusters
        .standby
        .admin_execute("SELECT pg_wal_replay_pause()")
        .await;
    assert!(
        eventually(WITNESS_TIMEOUT, || async {
            clusters
                .standby
                .admin_query("SELECT pg_get_wal_replay_pause_state()")
                .await
                .as_deref()
                == Some("paused")
        })
        .await
    );

    // The order just placed is not on the standby: read from the primary, never a 404.
    let order = tolerant.place_order(&product).await;
    tolerant.order_must_be_found(&order).await;
    assert_eq!(
        tolerant.routed("writer_replica_miss").await,
        misses + 1.0,
        "the standby was asked, missed, and the primary answered"
    );
    strict.order_must_be_found(&order).await;
    // Within its bound, the tolerant app's kitchen list is the standby's, as of the pause.
    assert!(!tolerant.kitchen_ids().await.contains(&order));

    // Past the strict bound, its reads go to the primary, which has the order.
    assert!(
        eventually(WITNESS_TIMEOUT, || async {
            strict.metric("db_replica_lag_seconds").await > 0.3
        })
        .await,
        "the paused replay is measured as lag"
    );
    let lagging = strict.routed("writer_replica_lagging").await;
    let replica_reads = strict.routed("replica").await;
    assert!(strict.kitchen_ids().await.contains(&order));
    assert_eq!(strict.routed("writer_replica_lagging").await, lagging + 1.0);
    assert_eq!(strict.routed("replica").await, replica_reads);

    // Replay resumed: the strict app reads the standby again, which now has the order.
    clusters
        .standby
        .admin_execute("SELECT pg_wal_replay_resume()")
        .await;
    assert!(
        eventually(WITNESS_TIMEOUT, || async {
            let before = strict.routed("replica").await;
            strict.kitchen_ids().await.contains(&order) && strict.routed("replica").await > before
        })
        .await,
        "the caught-up standby answers again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_standby_that_goes_down_sends_reads_to_the_primary_without_errors() {
    let clusters = Replicated::start().await;
    let app = clusters.app(Duration::from_secs(60)).await;
    let product = app.create_product("X-Queda").await;
    let order = app.place_order(&product).await;
    assert!(
        eventually(WITNESS_TIMEOUT, || async {
            let before = app.routed("replica").await;
            app.kitchen_ids().await.contains(&order) && app.routed("replica").await > before
        })
        .await,
        "the standby answers first"
    );

    clusters.standby.stop_server("immediate");
    let replica_reads = app.routed("replica").await;
    // Every read-only route, a few times over: the first meets the dead connections (or the
    // failed lag check), the next ones go to the primary at once.
    for _ in 0..5 {
        app.order_must_be_found(&order).await;
        assert!(app.kitchen_ids().await.contains(&order));
        let response = app.get(&format!("/v1/api/produtos/{product}")).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(app.routed("replica").await, replica_reads);
    let fallbacks =
        app.routed("writer_replica_failed").await + app.routed("writer_replica_lagging").await;
    assert!(fallbacks >= 15.0, "{fallbacks} reads went to the primary");
    assert!(
        eventually(WITNESS_TIMEOUT, || async {
            app.metric("db_replica_lag_check_failures_total").await >= 1.0
        })
        .await,
        "the lag check notices the standby is gone"
    );
}
