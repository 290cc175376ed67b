//! scripts/rotate-signing-key.sh against the moto server: the public half goes to the
//! verification secret first (a failed publish leaves the signing key alone), the
//! verification secret never holds the private key, and `--if-unset` completes a stage that
//! has only one of the two keys without rotating.
//!
//! The script works on the fixed names `postech/<stage>/jwt-*-key`; stage `staging` belongs to
//! this test alone on the test moto server (every other test uses `postech/test-<random>/`).

use std::process::Output;

use aws_sdk_secretsmanager::Client;
use postech_shared_sdk::local_aws::{self, MotoServer};
use serde_json::Value;

const SIGNING: &str = "postech/staging/jwt-signing-key";
const VERIFICATION: &str = "postech/staging/jwt-verification-key";
/// What CloudFormation stores before the first key (infra/signing-key.yml).
const PLACEHOLDER: &str = r#"{"kid":"unset","placeholder":"generated-by-cloudformation"}"#;

fn rotate(endpoint: &str, if_unset: bool) -> Output {
    let mut command = std::process::Command::new("bash");
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/rotate-signing-key.sh"
        ))
        .arg("staging");
    if if_unset {
        command.arg("--if-unset");
    }
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", local_aws::LOCAL_REGION)
        .env("AWS_DEFAULT_REGION", local_aws::LOCAL_REGION)
        // moto's conventional fake credentials: they open nothing.
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("bash runs the script (needs the aws CLI, openssl and python3 on PATH)")
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn value(client: &Client, secret_id: &str, stage: &str) -> Value {
    let text = client
        .get_secret_value()
        .secret_id(secret_id)
        .version_stage(stage)
        .send()
        .await
        .expect("secret version readable")
        .secret_string()
        .expect("text secret")
        .to_owned();
    serde_json::from_str(&text).expect("JSON secret")
}

async fn current(client: &Client, secret_id: &str) -> Value {
    value(client, secret_id, "AWSCURRENT").await
}

async fn fresh_placeholder(client: &Client, secret_id: &str) {
    // Left over from an earlier run against the same moto server.
    let _ = client
        .delete_secret()
        .secret_id(secret_id)
        .force_delete_without_recovery(true)
        .send()
        .await;
    client
        .create_secret()
        .name(secret_id)
        .secret_string(PLACEHOLDER)
        .send()
        .await
        .expect("placeholder created");
}

fn fields(value: &Value) -> Vec<&str> {
    let mut fields: Vec<&str> = value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    fields
}

#[tokio::test]
async fn rotate_signing_key_publishes_the_public_half_first_and_completes_half_set_up_stages() {
    let moto = tokio::task::spawn_blocking(MotoServer::shared)
        .await
        .expect("moto start task")
        .expect("moto server");
    let endpoint = moto.endpoint().to_owned();
    let client = Client::new(&local_aws::sdk_config(&endpoint).await);
    fresh_placeholder(&client, SIGNING).await;
    fresh_placeholder(&client, VERIFICATION).await;

    // First deploy: both placeholders get the same key, the public half without the private.
    succeeded(&rotate(&endpoint, true));
    let first = current(&client, SIGNING).await;
    let published = current(&client, VERIFICATION).await;
    assert_eq!(fields(&first), ["kid", "private_key_pem", "public_key_pem"]);
    assert_eq!(fields(&published), ["kid", "public_key_pem"]);
    assert_eq!(published["kid"], first["kid"]);
    assert_eq!(published["public_key_pem"], first["public_key_pem"]);

    // Later deploys change nothing.
    let again = succeeded(&rotate(&endpoint, true));
    assert!(again.contains("nothing to do"), "{again}");
    assert_eq!(current(&client, SIGNING).await["kid"], first["kid"]);

    // A rotation: a new kid in both, the previous one still readable by verifiers.
    succeeded(&rotate(&endpoint, false));
    let second = current(&client, SIGNING).await;
    assert_ne!(second["kid"], first["kid"]);
    assert_eq!(current(&client, VERIFICATION).await["kid"], second["kid"]);
    assert_eq!(
        value(&client, VERIFICATION, "AWSPREVIOUS").await["kid"],
        first["kid"]
    );

    // A stage deployed before the verification secret existed: --if-unset publishes the
    // signing key's public half and rotates nothing.
    client
        .put_secret_value()
        .secret_id(VERIFICATION)
        .secret_string(PLACEHOLDER)
        .send()
        .await
        .expect("placeholder written");
    let published = succeeded(&rotate(&endpoint, true));
    assert!(published.contains("was not rotated"), "{published}");
    assert_eq!(current(&client, SIGNING).await["kid"], second["kid"]);
    let republished = current(&client, VERIFICATION).await;
    assert_eq!(fields(&republished), ["kid", "public_key_pem"]);
    assert_eq!(republished["kid"], second["kid"]);

    // The verification secret is written first: when that fails, the signing key stays as it
    // was, so no token ever carries a kid the verifiers could not learn.
    client
        .delete_secret()
        .secret_id(VERIFICATION)
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("verification secret deleted");
    assert!(!rotate(&endpoint, false).status.success());
    assert_eq!(current(&client, SIGNING).await["kid"], second["kid"]);
}

/// The scripts on stage `production` (this test's alone; the test above owns `staging`).
fn run_script(endpoint: &str, script: &str, args: &[&str]) -> Output {
    std::process::Command::new("bash")
        .arg(format!("{}/scripts/{script}", env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", local_aws::LOCAL_REGION)
        .env("AWS_DEFAULT_REGION", local_aws::LOCAL_REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("bash runs the script")
}

#[tokio::test]
async fn revocations_survive_rotations_and_an_emergency_rotation_revokes_every_earlier_key() {
    const SIGNING_P: &str = "postech/production/jwt-signing-key";
    const VERIFICATION_P: &str = "postech/production/jwt-verification-key";
    let moto = tokio::task::spawn_blocking(MotoServer::shared)
        .await
        .expect("moto start task")
        .expect("moto server");
    let endpoint = moto.endpoint().to_owned();
    let client = Client::new(&local_aws::sdk_config(&endpoint).await);
    fresh_placeholder(&client, SIGNING_P).await;
    fresh_placeholder(&client, VERIFICATION_P).await;
    succeeded(&run_script(
        &endpoint,
        "rotate-signing-key.sh",
        &["production", "--if-unset"],
    ));
    let first = current(&client, SIGNING_P).await;

    // A token revoked, then a normal rotation: the revocation and the previous key stay.
    succeeded(&run_script(
        &endpoint,
        "revoke-token.sh",
        &["production", "--jti", "stolen-jti"],
    ));
    succeeded(&run_script(
        &endpoint,
        "rotate-signing-key.sh",
        &["production"],
    ));
    let second = current(&client, SIGNING_P).await;
    let published = current(&client, VERIFICATION_P).await;
    assert_eq!(published["kid"], second["kid"]);
    assert_eq!(published["revoked_jtis"][0]["jti"], "stolen-jti");
    assert_eq!(published["previous_keys"][0]["kid"], first["kid"]);
    assert!(
        !published.to_string().contains("PRIVATE KEY"),
        "{published}"
    );

    // The current key cannot be revoked by kid: that is an emergency rotation.
    let current_kid = second["kid"].as_str().expect("kid").to_owned();
    assert!(
        !run_script(
            &endpoint,
            "revoke-token.sh",
            &["production", "--kid", &current_kid]
        )
        .status
        .success()
    );

    succeeded(&run_script(
        &endpoint,
        "rotate-signing-key.sh",
        &["production", "--emergency"],
    ));
    let third = current(&client, SIGNING_P).await;
    let published = current(&client, VERIFICATION_P).await;
    assert_eq!(published["kid"], third["kid"]);
    let revoked: Vec<&str> = published["revoked_kids"]
        .as_array()
        .expect("revoked kids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        revoked.contains(&first["kid"].as_str().expect("kid")),
        "{published}"
    );
    assert!(revoked.contains(&current_kid.as_str()), "{published}");
    assert!(published.get("previous_keys").is_none(), "{published}");
}
