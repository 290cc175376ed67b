//! What every test binary shares: a fresh migrated database, looking behind the API with
//! SQL, the category ids of the contract, the app's settings for a test, and waiting for a
//! witness. Each binary includes it with `mod common;`.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::sync::Arc;
use std::time::Duration;

use postech_app::configuration::payments::PaymentSettings;
use postech_app::configuration::{
    AuthSettings, CognitoSettings, DatabaseSettings, HttpSettings, Settings,
};
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::secrets::{
    AppDatabaseSecret, CachedSecret, JwtVerificationKeySecret, VerificationKeyRing,
};
use postech_shared_sdk::token::SigningKeyMaterial;

/// Category ids of the contract.
pub const BURGERS: &str = "fcab78d9-c377-41f4-bf34-03d1a8bdbd89";
pub const SIDES: &str = "e8b1d3d4-738b-4207-9b2b-2c087858d7a7";
pub const DRINKS: &str = "6b2e43a7-8764-48ec-8f7a-65134c8c1b9e";
pub const DESSERTS: &str = "d290f1ee-6c54-4b01-90e6-d701748f0851";

/// A fresh database with every migration applied (the migrator is blocking: off the runtime).
pub async fn fresh_database() -> TestDatabase {
    tokio::task::spawn_blocking(TestDatabase::create_migrated)
        .await
        .expect("database task")
        .expect("a fresh migrated database (is PostgreSQL running? DATABASE_URL?)")
}

/// SQL run directly against a test database, to look behind the API or inject a fault.
pub trait BehindTheApi {
    /// The `count` column of a one-row query.
    fn sql_count(&self, query: &str) -> i64;
    /// Runs statements (fault injection, fixtures).
    fn sql_execute(&self, statements: &str);
}

impl BehindTheApi for TestDatabase {
    fn sql_count(&self, query: &str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            count: i64,
        }
        let mut connection = self.connect().expect("connection");
        diesel::sql_query(query)
            .get_result::<Count>(&mut connection)
            .expect("count query")
            .count
    }

    fn sql_execute(&self, statements: &str) {
        use diesel::connection::SimpleConnection;
        let mut connection = self.connect().expect("connection");
        connection.batch_execute(statements).expect("statements");
    }
}

/// The pool a test app gets unless it asks for another.
#[derive(Clone, Copy)]
pub struct Pool {
    pub size: usize,
    pub acquire_timeout: Duration,
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            size: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// Token verification with the public half of `key` as the one fixed key (local runs).
pub fn fixed_key_auth(key: &SigningKeyMaterial) -> AuthSettings {
    let ring = VerificationKeyRing::fixed(&JwtVerificationKeySecret {
        kid: key.kid.clone(),
        public_key_pem: key.public_key_pem.clone(),
    })
    .expect("public key");
    AuthSettings {
        verification_keys: Arc::new(ring),
        admin_status_ttl: postech_app::configuration::DEFAULT_ADMIN_STATUS_TTL,
    }
}

/// The app's settings for a test: loopback on a free port, two workers, `database`.
pub fn settings(
    database: &TestDatabase,
    pool: Pool,
    auth: AuthSettings,
    cognito: CognitoSettings,
    payments: PaymentSettings,
    aws: aws_config::SdkConfig,
) -> Settings {
    settings_for_url(database.url(), pool, auth, cognito, payments, aws)
}

/// [`settings`] for the database at `url` (one not made by [`fresh_database`], e.g. on a
/// throwaway cluster).
pub fn settings_for_url(
    url: &str,
    pool: Pool,
    auth: AuthSettings,
    cognito: CognitoSettings,
    payments: PaymentSettings,
    aws: aws_config::SdkConfig,
) -> Settings {
    Settings {
        http: HttpSettings {
            host: "127.0.0.1".to_owned(),
            port: 0,
            workers: 2,
            shutdown_timeout: Duration::from_secs(2),
            // Long enough that only a notification or a lost connection can drop a cached
            // menu or kitchen page during a test: the cache tests must not pass by expiry.
            menu_cache_max_age: Duration::from_secs(3600),
            kitchen_cache_max_age: Duration::from_secs(3600),
        },
        database: DatabaseSettings {
            connection: CachedSecret::fixed(
                AppDatabaseSecret::from_url(url, "test database").expect("url"),
            ),
            pool_size: pool.size,
            acquire_timeout: pool.acquire_timeout,
            tls: Default::default(),
        },
        database_reader: None,
        auth,
        cognito,
        payments,
        aws,
        kitchen_stream: Default::default(),
        pages: Default::default(),
        registration: Default::default(),
    }
}

/// Polls `check` until it holds or `timeout` passes: the witness of something the app does
/// in the background.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Everything the app logs from now on, captured in memory: installs the process-wide log
/// subscriber with `log_filter`, so a binary that calls it holds one test only. Keep the guard.
pub fn capture_logs(
    log_filter: &str,
) -> (CapturedLogs, postech_shared_sdk::telemetry::TelemetryGuard) {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    let guard = postech_shared_sdk::telemetry::init_with_writer(
        postech_shared_sdk::telemetry::TelemetryConfig {
            service_name: "postech-app-test".to_owned(),
            service_version: "test".to_owned(),
            log_filter: log_filter.to_owned(),
            otlp_endpoint: None,
            sampling_ratio: 1.0,
        },
        move || writer.clone(),
    )
    .expect("log subscriber installed");
    (captured, guard)
}

/// The log lines written so far (see [`capture_logs`]).
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        String::from_utf8(bytes).expect("logs are UTF-8")
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
