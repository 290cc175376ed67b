//! The verification key ring against a real moto server: rotations of the verification-key
//! secret (the public halves of the signing keys) reach a running ring without a restart. Each test uses its own secret.

// A failed expectation is the test failing: helpers (not only `#[test]` fns) may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use aws_config::SdkConfig;
use postech_shared_sdk::local_aws;
use postech_shared_sdk::secrets::{KeyRingError, SecretsError, VerificationKeyRing};
use postech_shared_sdk::token::{SigningKeyMaterial, TokenError, TokenIssuer};
use secrecy::SecretString;
use support::{env_of, moto_config};

/// Longer than any test: only what the test does makes the ring re-read.
const LONG: Duration = Duration::from_secs(600);

/// A new verification-key secret holding the public half of `key`; its id.
async fn secret_holding(config: &SdkConfig, key: &SigningKeyMaterial) -> String {
    let secret_id = local_aws::unique_name("postech/test/jwt-verification-key");
    rotate(config, &secret_id, key).await;
    secret_id
}

/// Writes the public half of `key` as the secret's new current version, as
/// scripts/rotate-signing-key.sh does.
async fn rotate(config: &SdkConfig, secret_id: &str, key: &SigningKeyMaterial) {
    local_aws::store_verification_key(config, secret_id, key)
        .await
        .expect("verification key stored");
}

async fn ring_for(config: &SdkConfig, secret_id: &str, refresh: Duration) -> VerificationKeyRing {
    VerificationKeyRing::from_secrets_manager(
        aws_sdk_secretsmanager::Client::new(config),
        secret_id,
        refresh,
    )
    .await
    .expect("ring loaded")
}

fn token_of(key: &SigningKeyMaterial) -> String {
    TokenIssuer::from_material(key)
        .expect("issuer")
        .issue_admin("gerente")
        .expect("token")
        .access_token
}

#[tokio::test]
async fn a_ring_started_after_a_rotation_trusts_the_current_and_previous_keys() {
    let config = moto_config().await;
    let old = SigningKeyMaterial::generate("kid-old");
    let new = SigningKeyMaterial::generate("kid-new");
    let secret_id = secret_holding(&config, &old).await;
    rotate(&config, &secret_id, &new).await;

    let ring = ring_for(&config, &secret_id, LONG).await;

    assert_eq!(ring.secret_id(), Some(secret_id.as_str()));
    assert_eq!(ring.key_ids(), ["kid-old", "kid-new"]);
    assert!(ring.verify(&token_of(&old)).await.is_ok());
    assert!(ring.verify(&token_of(&new)).await.is_ok());
}

#[tokio::test]
async fn a_key_rotated_in_after_the_start_is_trusted_on_its_first_token() {
    let config = moto_config().await;
    let old = SigningKeyMaterial::generate("kid-old");
    let secret_id = secret_holding(&config, &old).await;
    let ring = ring_for(&config, &secret_id, LONG).await;
    assert_eq!(ring.key_ids(), ["kid-old"], "a never rotated secret");

    let new = SigningKeyMaterial::generate("kid-new");
    rotate(&config, &secret_id, &new).await;
    // Spawned, so this also checks the verification future is `Send` (actix, Lambda).
    let ring = std::sync::Arc::new(ring);
    let verified = tokio::spawn({
        let ring = ring.clone();
        let token = token_of(&new);
        async move { ring.verify(&token).await }
    })
    .await
    .expect("task completed");

    assert!(verified.is_ok(), "{verified:?}");
    assert!(
        ring.verify(&token_of(&old)).await.is_ok(),
        "tokens of the previous key stay valid until they expire"
    );
    let never_stored = SigningKeyMaterial::generate("kid-never-stored");
    assert_eq!(
        ring.verify(&token_of(&never_stored)).await,
        Err(TokenError::UnknownKey)
    );
    assert_eq!(ring.key_ids(), ["kid-old", "kid-new"]);
}

#[tokio::test]
async fn rereads_for_unknown_kids_are_rate_limited() {
    let config = moto_config().await;
    let old = SigningKeyMaterial::generate("kid-old");
    let secret_id = secret_holding(&config, &old).await;
    let interval = Duration::from_millis(500);
    let ring = ring_for(&config, &secret_id, LONG)
        .await
        .with_unknown_kid_reread_interval(interval);
    let forged = SigningKeyMaterial::generate("kid-forged");
    assert_eq!(
        ring.verify(&token_of(&forged)).await,
        Err(TokenError::UnknownKey),
        "the forged kid spends the re-read"
    );

    let new = SigningKeyMaterial::generate("kid-new");
    rotate(&config, &secret_id, &new).await;
    assert_eq!(
        ring.verify(&token_of(&new)).await,
        Err(TokenError::UnknownKey),
        "no second re-read within the interval"
    );
    // Waits out the re-read interval: its length is the behaviour under test, no witness
    // could end the wait sooner without skipping it.
    tokio::time::sleep(interval + Duration::from_millis(100)).await;
    assert!(ring.verify(&token_of(&new)).await.is_ok());
}

#[tokio::test]
async fn a_zero_unknown_kid_interval_rereads_for_every_unknown_kid() {
    let config = moto_config().await;
    let old = SigningKeyMaterial::generate("kid-old");
    let secret_id = secret_holding(&config, &old).await;
    let ring = ring_for(&config, &secret_id, LONG)
        .await
        .with_unknown_kid_reread_interval(Duration::ZERO);
    let forged = SigningKeyMaterial::generate("kid-forged");
    assert_eq!(
        ring.verify(&token_of(&forged)).await,
        Err(TokenError::UnknownKey)
    );

    let new = SigningKeyMaterial::generate("kid-new");
    rotate(&config, &secret_id, &new).await;
    assert!(ring.verify(&token_of(&new)).await.is_ok());
}

#[tokio::test]
async fn the_refresh_interval_picks_up_a_rotation_before_any_token_names_it() {
    let config = moto_config().await;
    let old = SigningKeyMaterial::generate("kid-old");
    let secret_id = secret_holding(&config, &old).await;
    let refresh = Duration::from_millis(300);
    let ring = ring_for(&config, &secret_id, refresh).await;

    let new = SigningKeyMaterial::generate("kid-new");
    rotate(&config, &secret_id, &new).await;
    assert!(ring.verify(&token_of(&old)).await.is_ok());
    assert_eq!(ring.key_ids(), ["kid-old"], "read within the interval");
    // Waits out the refresh interval: its length is the behaviour under test.
    tokio::time::sleep(refresh + Duration::from_millis(100)).await;
    assert!(ring.verify(&token_of(&old)).await.is_ok());
    assert_eq!(ring.key_ids(), ["kid-old", "kid-new"]);
}

#[tokio::test]
async fn a_failed_reread_keeps_the_known_keys() {
    let config = moto_config().await;
    let old = SigningKeyMaterial::generate("kid-old");
    let secret_id = secret_holding(&config, &old).await;
    let refresh = Duration::from_millis(200);
    let ring = ring_for(&config, &secret_id, refresh)
        .await
        .with_unknown_kid_reread_interval(Duration::ZERO);

    aws_sdk_secretsmanager::Client::new(&config)
        .delete_secret()
        .secret_id(&secret_id)
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("deleted");
    let fresh_load = VerificationKeyRing::from_secrets_manager(
        aws_sdk_secretsmanager::Client::new(&config),
        &secret_id,
        refresh,
    )
    .await;
    assert!(
        matches!(
            fresh_load,
            Err(KeyRingError::Secret(SecretsError::Fetch { .. }))
        ),
        "the secret is really gone"
    );
    // Waits out the refresh interval: its length is the behaviour under test.
    tokio::time::sleep(refresh + Duration::from_millis(100)).await;
    let stranger = SigningKeyMaterial::generate("kid-stranger");
    assert_eq!(
        ring.verify(&token_of(&stranger)).await,
        Err(TokenError::UnknownKey)
    );
    assert!(ring.verify(&token_of(&old)).await.is_ok());
    assert_eq!(ring.key_ids(), ["kid-old"]);
}

#[tokio::test]
async fn load_prefers_the_secret_id_over_plain_variables() {
    let config = moto_config().await;
    let stored = SigningKeyMaterial::generate("kid-from-secrets-manager");
    let secret_id = secret_holding(&config, &stored).await;
    let env = env_of(&[
        ("JWT_VERIFICATION_KEY_SECRET_ID", &secret_id),
        ("JWT_KEY_ID", "kid-from-env"),
        ("JWT_PUBLIC_KEY_PEM", "env-public"),
    ]);

    let ring = VerificationKeyRing::load(&env, &config, LONG)
        .await
        .expect("loaded");

    assert_eq!(ring.secret_id(), Some(secret_id.as_str()));
    assert_eq!(ring.key_ids(), ["kid-from-secrets-manager"]);
    assert!(ring.verify(&token_of(&stored)).await.is_ok());
}

#[tokio::test]
async fn an_unknown_secret_id_fails_at_load_naming_the_id() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/never-stored");
    let env = env_of(&[("JWT_VERIFICATION_KEY_SECRET_ID", &secret_id)]);
    let error = VerificationKeyRing::load(&env, &config, LONG)
        .await
        .expect_err("no such secret");
    assert!(
        matches!(&error, KeyRingError::Secret(SecretsError::Fetch { secret_id: id, .. }) if *id == secret_id),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_secret_holding_an_unusable_key_fails_at_load_naming_the_secret() {
    let config = moto_config().await;
    let secret_id = local_aws::unique_name("postech/test/jwt-verification-key");
    let document = serde_json::json!({
        "kid": "kid-broken",
        "public_key_pem": "-----BEGIN GARBAGE-----",
    });
    local_aws::put_secret_string(
        &config,
        &secret_id,
        &SecretString::from(document.to_string()),
    )
    .await
    .expect("stored");

    let error = VerificationKeyRing::from_secrets_manager(
        aws_sdk_secretsmanager::Client::new(&config),
        &secret_id,
        LONG,
    )
    .await
    .expect_err("not an Ed25519 public key");

    assert!(
        matches!(&error, KeyRingError::Material { origin, source: TokenError::InvalidKey(_) } if *origin == secret_id),
        "{error:?}"
    );
    assert!(!error.to_string().contains("GARBAGE"), "{error}");
}

/// Writes `document` (a verification-key secret with revocation lists) as the new current
/// version, as scripts/revoke-token.sh and `rotate-signing-key.sh --emergency` do.
async fn put_document(config: &SdkConfig, secret_id: &str, document: serde_json::Value) {
    aws_sdk_secretsmanager::Client::new(config)
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(document.to_string())
        .send()
        .await
        .expect("secret written");
}

#[tokio::test]
async fn a_revoked_jti_is_refused_on_the_next_read_and_other_tokens_pass() {
    let config = moto_config().await;
    let key = SigningKeyMaterial::generate("kid-1");
    let secret_id = secret_holding(&config, &key).await;
    let ring = ring_for(&config, &secret_id, Duration::ZERO).await;
    let stolen = token_of(&key);
    let stolen_jti = ring.verify(&stolen).await.expect("valid before").jti;

    put_document(
        &config,
        &secret_id,
        serde_json::json!({
            "kid": key.kid, "public_key_pem": key.public_key_pem,
            "revoked_jtis": [{"jti": stolen_jti, "until": 4_102_444_800_u64}],
        }),
    )
    .await;

    assert_eq!(ring.verify(&stolen).await, Err(TokenError::Revoked));
    assert!(ring.verify(&token_of(&key)).await.is_ok());
}

#[tokio::test]
async fn an_emergency_rotation_drops_the_leaked_key_for_running_and_new_rings() {
    let config = moto_config().await;
    let leaked = SigningKeyMaterial::generate("kid-leaked");
    let secret_id = secret_holding(&config, &leaked).await;
    let running = ring_for(&config, &secret_id, Duration::ZERO).await;
    let forged = token_of(&leaked);
    assert!(running.verify(&forged).await.is_ok());

    let fresh = SigningKeyMaterial::generate("kid-fresh");
    put_document(
        &config,
        &secret_id,
        serde_json::json!({
            "kid": fresh.kid, "public_key_pem": fresh.public_key_pem,
            "revoked_kids": ["kid-leaked"],
        }),
    )
    .await;

    assert_eq!(running.verify(&forged).await, Err(TokenError::Revoked));
    assert_eq!(running.key_ids(), ["kid-fresh"]);
    assert!(running.verify(&token_of(&fresh)).await.is_ok());
    // A verifier starting now does not take the leaked key back from AWSPREVIOUS.
    let cold = ring_for(&config, &secret_id, LONG).await;
    assert_eq!(cold.key_ids(), ["kid-fresh"]);
    assert_eq!(cold.verify(&forged).await, Err(TokenError::Revoked));
}

#[tokio::test]
async fn previous_keys_carried_by_a_revocation_write_stay_trusted_after_a_cold_start() {
    let config = moto_config().await;
    let old = SigningKeyMaterial::generate("kid-old");
    let new = SigningKeyMaterial::generate("kid-new");
    let secret_id = secret_holding(&config, &old).await;
    rotate(&config, &secret_id, &new).await;
    // A revocation write moves AWSPREVIOUS to the same kid; the old key rides along.
    put_document(
        &config,
        &secret_id,
        serde_json::json!({
            "kid": new.kid, "public_key_pem": new.public_key_pem,
            "previous_keys": [{"kid": old.kid, "public_key_pem": old.public_key_pem}],
            "revoked_jtis": [{"jti": "some-other-token", "until": 4_102_444_800_u64}],
        }),
    )
    .await;
    let ring = ring_for(&config, &secret_id, LONG).await;
    assert_eq!(ring.key_ids(), ["kid-old", "kid-new"]);
    assert!(ring.verify(&token_of(&old)).await.is_ok());
}
