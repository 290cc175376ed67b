//! Database TLS end to end: libpq's `sslmode` against real servers whose TLS we choose
//! (throwaway clusters), and the default URL against the shared server, unchanged.

use std::path::PathBuf;
use std::time::Duration;

use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use postech_app::adapters::postgres::PgConnector;
use postech_app::configuration::DatabaseSettings;
use postech_app::configuration::database_tls::{DatabaseTlsSettings, SslMode};
use postech_app::startup::database_pool;
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::secrets::{AppDatabaseSecret, CachedSecret};

use crate::throwaway_cluster::{ServerTls, ThrowawayCluster};

const LOCALHOST_ONLY: ServerTls<'static> = ServerTls::On {
    certificate_names: &["localhost"],
};

/// Whether the server sees this connection as encrypted.
async fn encrypted(connection: &mut AsyncPgConnection) -> bool {
    diesel::select(diesel::dsl::sql::<Bool>(
        "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())",
    ))
    .get_result(connection)
    .await
    .unwrap()
}

fn with_bundle(bundle: PathBuf) -> PgConnector {
    PgConnector::new(DatabaseTlsSettings {
        mode: None,
        root_cert: Some(bundle),
    })
}

async fn refusal(connector: &PgConnector, url: &str) -> String {
    match connector.connect(url).await {
        Ok(_) => panic!("connected, but the connection had to be refused"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn without_sslmode_the_app_connects_in_clear_as_before() {
    let mut connection = PgConnector::default()
        .connect(&TestDatabase::server_url())
        .await
        .unwrap();
    assert!(!encrypted(&mut connection).await);
}

#[tokio::test]
async fn require_refuses_a_server_without_tls_instead_of_talking_in_clear() {
    let cluster = ThrowawayCluster::start(ServerTls::Off).await;
    let connector = PgConnector::default();

    for mode in ["require", "verify-full"] {
        let message = refusal(
            &connector,
            &cluster.url("localhost", &format!("&sslmode={mode}")),
        )
        .await;
        assert!(
            message.contains("server does not support TLS")
                && message.contains(&format!("sslmode={mode}")),
            "{message}"
        );
        assert!(!message.contains(cluster.password()), "{message}");
    }
    // PGSSLMODE alone (the RDS secret's URL has no query) refuses just the same.
    let from_setting = PgConnector::new(DatabaseTlsSettings {
        mode: Some(SslMode::Require),
        root_cert: None,
    });
    let message = refusal(&from_setting, &cluster.url("localhost", "")).await;
    assert!(message.contains("server does not support TLS"), "{message}");

    // prefer and no mode at all still reach a server without TLS, in clear.
    for query in ["&sslmode=prefer", ""] {
        let mut connection = connector
            .connect(&cluster.url("localhost", query))
            .await
            .unwrap();
        assert!(!encrypted(&mut connection).await, "{query}");
    }
}

#[tokio::test]
async fn verify_full_connects_encrypted_with_the_ca_bundle() {
    let cluster = ThrowawayCluster::start(LOCALHOST_ONLY).await;

    // As in production: PGSSLMODE + PGSSLROOTCERT, the URL built from the secret, the pool.
    let settings = DatabaseSettings {
        connection: CachedSecret::fixed(
            AppDatabaseSecret::from_url(&cluster.url("localhost", ""), "test").unwrap(),
        ),
        pool_size: 1,
        acquire_timeout: Duration::from_secs(10),
        tls: DatabaseTlsSettings {
            mode: Some(SslMode::VerifyFull),
            root_cert: Some(cluster.ca_bundle()),
        },
    };
    let pool = database_pool(&settings).unwrap();
    let mut pooled = pool.get().await.unwrap();
    assert!(encrypted(&mut pooled).await);

    // Or everything in the URL, as libpq reads it.
    let query = format!(
        "&sslmode=verify-full&sslrootcert={}",
        cluster.ca_bundle().display()
    );
    let mut connection = PgConnector::default()
        .connect(&cluster.url("localhost", &query))
        .await
        .unwrap();
    assert!(encrypted(&mut connection).await);
}

#[tokio::test]
async fn verify_full_refuses_an_unknown_ca_and_another_host_name() {
    let cluster = ThrowawayCluster::start(LOCALHOST_ONLY).await;
    let verify_full = "&sslmode=verify-full";

    // The Mozilla roots alone do not know the server's CA (as with RDS without its bundle).
    let message = refusal(
        &PgConnector::default(),
        &cluster.url("localhost", verify_full),
    )
    .await;
    assert!(
        message.contains("invalid peer certificate: UnknownIssuer")
            && message.contains("PGSSLROOTCERT"),
        "{message}"
    );
    // A bundle with another CA does not help.
    let message = refusal(
        &with_bundle(cluster.foreign_ca_bundle()),
        &cluster.url("localhost", verify_full),
    )
    .await;
    assert!(message.contains("UnknownIssuer"), "{message}");
    // The right CA, but the certificate names localhost, not 127.0.0.1.
    let message = refusal(
        &with_bundle(cluster.ca_bundle()),
        &cluster.url("127.0.0.1", verify_full),
    )
    .await;
    assert!(message.contains("not valid for name"), "{message}");
    assert!(!message.contains(cluster.password()), "{message}");
}

#[tokio::test]
async fn require_encrypts_without_checking_and_verify_ca_ignores_the_host_name() {
    let cluster = ThrowawayCluster::start(LOCALHOST_ONLY).await;

    // require without a bundle: encrypted, certificate unchecked (libpq's behaviour).
    let mut connection = PgConnector::default()
        .connect(&cluster.url("127.0.0.1", "&sslmode=require"))
        .await
        .unwrap();
    assert!(encrypted(&mut connection).await);

    // verify-ca: the chain is checked, the name (127.0.0.1 here) is not.
    let mut connection = with_bundle(cluster.ca_bundle())
        .connect(&cluster.url("127.0.0.1", "&sslmode=verify-ca"))
        .await
        .unwrap();
    assert!(encrypted(&mut connection).await);

    // require with a bundle checks the chain, as libpq does: another CA is refused.
    let message = refusal(
        &with_bundle(cluster.foreign_ca_bundle()),
        &cluster.url("localhost", "&sslmode=require"),
    )
    .await;
    assert!(message.contains("UnknownIssuer"), "{message}");

    // No mode: clear, as before, even though this server offers TLS.
    let mut connection = PgConnector::default()
        .connect(&cluster.url("localhost", ""))
        .await
        .unwrap();
    assert!(!encrypted(&mut connection).await);
}
