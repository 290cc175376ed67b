//! Secret resolution against a real moto server; each test uses its own secret ids.

// A failed expectation is the test failing: helpers (not only `#[test]` fns) may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use aws_config::SdkConfig;
use postech_shared_sdk::local_aws;
use postech_shared_sdk::secrets::{
    AppDatabaseSecret, JwtSigningKeySecret, MercadoPagoSecret, SecretsError, load_secret,
};
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use secrecy::{ExposeSecret, SecretString};
use support::{env_of, moto_config};

const LONG: Duration = Duration::from_secs(600);

async fn put(config: &SdkConfig, secret_id: &str, value: &str) {
    local_aws::put_secret_string(config, secret_id, &SecretString::from(value))
        .await
        .expect("secret stored");
}

fn database_json(password: &str) -> String {
    serde_json::json!({
        "username": "postech_app", "password": password, "host": "db.internal",
        "port": 5432, "dbname": "postech", "engine": "postgres",
    })
    .to_string()
}

#[tokio::test]
async fn signing_key_loads_from_secrets_manager_and_signs() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/jwt-signing-key");
    let stored = SigningKeyMaterial::generate("kid-from-secrets-manager");
    local_aws::store_signing_key(&config, &secret_id, &stored)
        .await
        .expect("stored");

    let env = env_of(&[("JWT_SIGNING_KEY_SECRET_ID", &secret_id)]);
    let secret = load_secret::<JwtSigningKeySecret>(&env, &config, LONG)
        .await
        .expect("loaded");
    assert_eq!(secret.secret_id(), Some(secret_id.as_str()));
    let key = secret.get().await.expect("value");
    assert_eq!(key.kid, "kid-from-secrets-manager");
    assert_eq!(key.public_key_pem, stored.public_key_pem);
    assert_eq!(
        key.private_key_pem.expose_secret(),
        stored.private_key_pem.expose_secret()
    );
    let material = SigningKeyMaterial::from(JwtSigningKeySecret::clone(&key));
    TokenIssuer::from_material(&material).expect("the loaded key signs");
}

#[tokio::test]
async fn app_database_loads_from_secrets_manager_as_a_url() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/app-database");
    put(&config, &secret_id, &database_json("s3cret/with@chars")).await;

    let env = env_of(&[("APP_DATABASE_SECRET_ID", &secret_id)]);
    let secret = load_secret::<AppDatabaseSecret>(&env, &config, LONG)
        .await
        .expect("loaded");
    let database = secret.get().await.expect("value");
    assert_eq!(
        database.connection_url().expose_secret(),
        "postgres://postech_app:s3cret%2Fwith%40chars@db.internal:5432/postech"
    );
}

#[tokio::test]
async fn mercadopago_loads_from_secrets_manager() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/mercadopago");
    let json =
        r#"{"access_token": "TEST-token", "webhook_secret": "hook", "external_pos_id": "CAIXA1"}"#;
    put(&config, &secret_id, json).await;

    // Spawned, so this also checks the loader's futures are `Send` (actix, Lambda).
    let secret = tokio::spawn(async move {
        let env = env_of(&[("MERCADOPAGO_SECRET_ID", &secret_id)]);
        load_secret::<MercadoPagoSecret>(&env, &config, LONG).await
    })
    .await
    .expect("task completed")
    .expect("loaded");
    let mercadopago = secret.get().await.expect("value");
    assert_eq!(mercadopago.access_token.expose_secret(), "TEST-token");
    assert_eq!(mercadopago.webhook_secret.expose_secret(), "hook");
    assert_eq!(mercadopago.external_pos_id.as_deref(), Some("CAIXA1"));
    assert_eq!(mercadopago.user_id, None);
}

#[tokio::test]
async fn cache_serves_within_the_interval_and_sees_rotation_after_it() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/app-database");
    put(&config, &secret_id, &database_json("before-rotation")).await;
    let env = env_of(&[("APP_DATABASE_SECRET_ID", &secret_id)]);
    let interval = Duration::from_secs(2);
    let secret = load_secret::<AppDatabaseSecret>(&env, &config, interval)
        .await
        .expect("loaded");

    put(&config, &secret_id, &database_json("after-rotation")).await;
    let cached = secret.get().await.expect("value");
    assert_eq!(cached.password.expose_secret(), "before-rotation");

    // Waits out the cache's refresh interval: its length is the behaviour under test.
    tokio::time::sleep(interval + Duration::from_millis(200)).await;
    let refreshed = secret.get().await.expect("value");
    assert_eq!(refreshed.password.expose_secret(), "after-rotation");
}

#[tokio::test]
async fn failed_refresh_keeps_serving_the_last_good_value() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/app-database");
    put(&config, &secret_id, &database_json("last-good")).await;
    let env = env_of(&[("APP_DATABASE_SECRET_ID", &secret_id)]);
    let interval = Duration::from_millis(300);
    let secret = load_secret::<AppDatabaseSecret>(&env, &config, interval)
        .await
        .expect("loaded");

    aws_sdk_secretsmanager::Client::new(&config)
        .delete_secret()
        .secret_id(&secret_id)
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("deleted");
    let fresh_load = load_secret::<AppDatabaseSecret>(&env, &config, interval).await;
    assert!(
        matches!(fresh_load, Err(SecretsError::Fetch { .. })),
        "the secret is really gone"
    );
    // Waits out the cache's refresh interval: its length is the behaviour under test.
    tokio::time::sleep(interval + Duration::from_millis(200)).await;
    let served = secret.get().await.expect("the last good value");
    assert_eq!(served.password.expose_secret(), "last-good");
}

#[tokio::test]
async fn secret_id_variable_wins_over_plain_variables() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/jwt-signing-key");
    let stored = SigningKeyMaterial::generate("kid-from-secrets-manager");
    local_aws::store_signing_key(&config, &secret_id, &stored)
        .await
        .expect("stored");

    let env = env_of(&[
        ("JWT_SIGNING_KEY_SECRET_ID", &secret_id),
        ("JWT_KEY_ID", "kid-from-env"),
        ("JWT_PRIVATE_KEY_PEM", "env-private"),
        ("JWT_PUBLIC_KEY_PEM", "env-public"),
    ]);
    let secret = load_secret::<JwtSigningKeySecret>(&env, &config, LONG)
        .await
        .expect("loaded");
    assert_eq!(
        secret.get().await.expect("value").kid,
        "kid-from-secrets-manager"
    );
}

#[tokio::test]
async fn plain_variables_are_used_without_a_secret_id() {
    let config = moto_config().await;
    let env = env_of(&[("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postech")]);
    let secret = load_secret::<AppDatabaseSecret>(&env, &config, LONG)
        .await
        .expect("loaded");
    assert_eq!(secret.secret_id(), None);
    assert_eq!(secret.get().await.expect("value").dbname, "postech");
}

#[tokio::test]
async fn missing_plain_variable_is_named_in_the_error() {
    let config = moto_config().await;
    let env = env_of(&[("MERCADOPAGO_WEBHOOK_SECRET", "hook")]);
    let error = load_secret::<MercadoPagoSecret>(&env, &config, LONG)
        .await
        .expect_err("no access token");
    assert!(
        matches!(
            error,
            SecretsError::MissingEnvVar {
                variable: "MERCADOPAGO_ACCESS_TOKEN",
                secret_id_variable: "MERCADOPAGO_SECRET_ID"
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("MERCADOPAGO_ACCESS_TOKEN"));
}

#[tokio::test]
async fn malformed_json_secret_is_a_clear_error() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/mercadopago");
    put(&config, &secret_id, "access_token=oops-not-json").await;

    let env = env_of(&[("MERCADOPAGO_SECRET_ID", &secret_id)]);
    let error = load_secret::<MercadoPagoSecret>(&env, &config, LONG)
        .await
        .expect_err("not JSON");
    let message = error.to_string();
    assert!(matches!(error, SecretsError::Malformed { .. }), "{error:?}");
    assert!(message.contains(&secret_id), "{message}");
    assert!(!message.contains("oops"), "{message}");
}

#[tokio::test]
async fn secret_missing_a_field_names_the_field() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/jwt-signing-key");
    put(
        &config,
        &secret_id,
        r#"{"kid": "k1", "public_key_pem": "p"}"#,
    )
    .await;

    let env = env_of(&[("JWT_SIGNING_KEY_SECRET_ID", &secret_id)]);
    let error = load_secret::<JwtSigningKeySecret>(&env, &config, LONG)
        .await
        .expect_err("no private key");
    assert!(error.to_string().contains("private_key_pem"), "{error}");
}

#[tokio::test]
async fn unknown_secret_id_fails_at_load_naming_the_id() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/never-stored");
    let env = env_of(&[("APP_DATABASE_SECRET_ID", &secret_id)]);
    let error = load_secret::<AppDatabaseSecret>(&env, &config, LONG)
        .await
        .expect_err("no such secret");
    assert!(
        matches!(&error, SecretsError::Fetch { secret_id: id, .. } if *id == secret_id),
        "{error:?}"
    );
}
