//! The performance figures of README.md, measured locally against the moto server:
//!
//! * cold start of each function binary: process start until it polls the Runtime API for
//!   its first event (configuration read, SDK clients built, key secret read from moto), then
//!   the first invocation;
//! * warm handler latency, p50/p99 over 10,000 calls of the handler function;
//! * zip sizes (from dist/, when scripts/build-zips.sh ran).
//!
//! Run with scripts/perf.sh, which builds the release binaries first.

// A measuring tool: a broken setup should stop it loudly.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout
)]

mod runtime_api;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use postech_lambda_functions::auth::authenticate::{
    AdminDirectory, Authenticator, CustomerDirectory,
};
use postech_lambda_functions::auth::validate_jwt::Authorizer;
use postech_lambda_functions::keys::SigningKeys;
use postech_lambda_functions::log_pseudonym::LogPseudonyms;
use postech_shared_sdk::cognito::{
    AdminIdentity, CognitoClient, CognitoError, CustomerIdentity, NewCustomerIdentity,
};
use postech_shared_sdk::cpf::Cpf;
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::local_aws::{self, MotoServer};
use postech_shared_sdk::secrets::{CachedSecret, JwtSigningKeySecret};
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use runtime_api::{FakeRuntime, RuntimeEvent};

const WARM_INVOCATIONS: usize = 10_000;
const COLD_STARTS: usize = 20;

#[tokio::main]
async fn main() {
    let bin_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: perf <dir of release binaries>"),
    );
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let moto = tokio::task::spawn_blocking(MotoServer::start_or_connect)
        .await
        .unwrap()
        .expect("moto server");
    let sdk_config = local_aws::sdk_config(moto.endpoint()).await;
    let pool = local_aws::provision_user_pool(&sdk_config, &local_aws::unique_name("perf"))
        .await
        .unwrap();
    let secret_id = format!(
        "postech/perf-{}/jwt-signing-key",
        local_aws::unique_suffix()
    );
    let key = SigningKeyMaterial::generate("perf-1");
    local_aws::store_signing_key(&sdk_config, &secret_id, &key)
        .await
        .unwrap();
    // What validate_jwt reads: the public half only.
    let verification_secret_id = secret_id.replace("jwt-signing-key", "jwt-verification-key");
    let public_half = serde_json::json!({ "kid": key.kid, "public_key_pem": key.public_key_pem });
    local_aws::put_secret_string(
        &sdk_config,
        &verification_secret_id,
        &public_half.to_string().into(),
    )
    .await
    .unwrap();
    let cpf = Cpf::parse("529.982.247-25").unwrap();
    let customer_id = CustomerId::new_random();
    CognitoClient::new(&sdk_config, &pool.user_pool_id, &pool.client_id)
        .register_customer(&NewCustomerIdentity {
            cpf: cpf.clone(),
            customer_id,
            name: None,
            email: None,
        })
        .await
        .unwrap();
    let vars = [
        ("COGNITO_USER_POOL_ID", pool.user_pool_id.clone()),
        ("COGNITO_CLIENT_ID", pool.client_id.clone()),
        ("JWT_SIGNING_KEY_SECRET_ID", secret_id.clone()),
        (
            "JWT_VERIFICATION_KEY_SECRET_ID",
            verification_secret_id.clone(),
        ),
        (
            "DEFAULT_STAFF_USAGE_KEY",
            "postech-perf-staff-shared".to_owned(),
        ),
        // Generated per run: the key of the usernames' log pseudonyms.
        (
            "LOG_HASH_KEY",
            local_aws::generate_password().expose_secret().to_owned(),
        ),
    ];
    // The authorizer asks Cognito (cached) whether the admin of the measured token is active.
    local_aws::create_admin(
        &sdk_config,
        &pool,
        "gerente",
        &local_aws::generate_password(),
    )
    .await
    .unwrap();
    let env = {
        let vars = vars.clone();
        move |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        }
    };
    let admin_token = TokenIssuer::from_material(&key)
        .unwrap()
        .issue_admin("gerente")
        .unwrap()
        .access_token;

    println!(
        "## Measured {} (moto {})\n",
        chrono_free_date(),
        moto.endpoint()
    );
    let rtt = secret_round_trip(&sdk_config, &secret_id).await;
    println!(
        "Loopback GetSecretValue to moto: p50 {}\n",
        format_duration(rtt)
    );

    println!(
        "| Cold start ({COLD_STARTS} runs, x86_64 release binary) | p50 | max | first invocation p50 |"
    );
    println!("|---|---|---|---|");
    let auth_event = customer_event(manifest_dir, &cpf);
    let authorizer_event = authorizer_event(manifest_dir, &admin_token);
    for (binary, event, expected) in [
        ("authenticate", auth_event.to_string(), "\"statusCode\":200"),
        (
            "validate_jwt",
            authorizer_event.to_string(),
            "\"Effect\":\"Allow\"",
        ),
    ] {
        let (ready, first) = cold_starts(
            &bin_dir.join(binary),
            &event,
            expected,
            &vars,
            moto.endpoint(),
        )
        .await;
        println!(
            "| `{binary}` (process start → ready, incl. moto calls) | {} | {} | {} |",
            format_duration(percentile(&ready, 50)),
            format_duration(percentile(&ready, 100)),
            format_duration(percentile(&first, 50)),
        );
    }

    println!("\n| Warm handler ({WARM_INVOCATIONS} calls) | p50 | p99 |");
    println!("|---|---|---|");
    let authorizer = Authorizer::from_env(&env, &sdk_config).await.unwrap();
    let event: postech_lambda_functions::auth::validate_jwt::AuthorizerRequest =
        serde_json::from_value(authorizer_event.clone()).unwrap();
    let timings = measure(WARM_INVOCATIONS, || async {
        assert!(authorizer.authorize(&event).await.unwrap().is_allowed());
    })
    .await;
    report("`validate_jwt` admin route, valid token", &timings);

    let authenticator = Authenticator::from_env(&env, &sdk_config).await.unwrap();
    let timings = measure(WARM_INVOCATIONS, || async {
        let request = lambda_http::request::from_str(&auth_event.to_string()).unwrap();
        assert_eq!(authenticator.handle(request).await.status(), 200);
    })
    .await;
    report(
        "`authenticate` POST /auth, Cognito = moto (loopback)",
        &timings,
    );

    let signing = JwtSigningKeySecret {
        kid: key.kid.clone(),
        private_key_pem: key.private_key_pem.clone(),
        public_key_pem: key.public_key_pem.clone(),
    };
    let in_memory = Authenticator::new(
        FixedDirectory(customer_id),
        SigningKeys::from_secret(CachedSecret::fixed(signing))
            .await
            .unwrap(),
        LogPseudonyms::new(local_aws::generate_password()).unwrap(),
    );
    let timings = measure(WARM_INVOCATIONS, || async {
        let request = lambda_http::request::from_str(&auth_event.to_string()).unwrap();
        assert_eq!(in_memory.handle(request).await.status(), 200);
    })
    .await;
    report(
        "`authenticate` POST /auth, handler only (directory in memory)",
        &timings,
    );

    println!("\n| Zip | size |");
    println!("|---|---|");
    for function in ["authenticate", "validate_jwt"] {
        let path = manifest_dir.join("dist").join(format!("{function}.zip"));
        match std::fs::metadata(&path) {
            Ok(metadata) => println!(
                "| `{function}.zip` | {:.2} MiB ({} bytes) |",
                metadata.len() as f64 / 1_048_576.0,
                metadata.len()
            ),
            Err(_) => println!("| `{function}.zip` | not built (scripts/build-zips.sh) |"),
        }
    }
}

/// A directory answering without I/O, to time the handler's own work.
struct FixedDirectory(CustomerId);

impl CustomerDirectory for FixedDirectory {
    async fn find_customer_by_cpf(&self, _cpf: &Cpf) -> Result<CustomerIdentity, CognitoError> {
        Ok(CustomerIdentity {
            customer_id: self.0,
            name: None,
            email: None,
            enabled: true,
        })
    }

    async fn start_email_otp(
        &self,
        _cpf: &Cpf,
        _context: &postech_shared_sdk::cognito::CallerContext,
    ) -> Result<postech_shared_sdk::cognito::PendingChallenge, CognitoError> {
        Err(CognitoError::InvalidCredentials)
    }

    async fn verify_email_otp(
        &self,
        _cpf: &Cpf,
        _challenge: &postech_shared_sdk::cognito::PendingChallenge,
        _code: &SecretString,
        _context: &postech_shared_sdk::cognito::CallerContext,
    ) -> Result<CustomerIdentity, CognitoError> {
        Err(CognitoError::InvalidCredentials)
    }
}

impl AdminDirectory for FixedDirectory {
    async fn start_admin_login(
        &self,
        username: &str,
        _password: &SecretString,
        _context: &postech_shared_sdk::cognito::CallerContext,
    ) -> Result<postech_shared_sdk::cognito::AdminLoginStep, CognitoError> {
        Ok(postech_shared_sdk::cognito::AdminLoginStep::Authenticated(
            AdminIdentity {
                username: username.to_owned(),
            },
        ))
    }

    async fn respond_admin_totp(
        &self,
        _username: &str,
        _challenge: &postech_shared_sdk::cognito::PendingChallenge,
        _code: &SecretString,
        _context: &postech_shared_sdk::cognito::CallerContext,
    ) -> Result<AdminIdentity, CognitoError> {
        Err(CognitoError::InvalidCredentials)
    }
}

async fn cold_starts(
    binary: &Path,
    event: &str,
    expected: &str,
    vars: &[(&str, String)],
    endpoint: &str,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut ready = Vec::new();
    let mut first = Vec::new();
    for _ in 0..COLD_STARTS {
        let mut runtime = FakeRuntime::start(event.to_owned()).await;
        let started = Instant::now();
        let mut child = tokio::process::Command::new(binary)
            .env_clear()
            .envs(vars.iter().map(|(key, value)| (*key, value.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", runtime.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "perf")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", "us-east-1")
            // moto's conventional fake credentials: they open nothing.
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("function binary starts");
        let mut ready_at = None;
        while let Some(event) = tokio::time::timeout(Duration::from_secs(20), runtime.events.recv())
            .await
            .expect("the function talks to the Runtime API")
        {
            match event {
                RuntimeEvent::Ready(at) => ready_at = ready_at.or(Some(at)),
                RuntimeEvent::Response(at, body) => {
                    assert!(body.contains(expected), "unexpected answer: {body}");
                    let ready_at = ready_at.expect("ready before answering");
                    ready.push(ready_at - started);
                    first.push(at - ready_at);
                    break;
                }
                RuntimeEvent::Error(error) => panic!("the function failed: {error}"),
            }
        }
        child.kill().await.ok();
    }
    (ready, first)
}

async fn secret_round_trip(sdk_config: &aws_config::SdkConfig, secret_id: &str) -> Duration {
    let client = aws_sdk_secretsmanager::Client::new(sdk_config);
    let mut timings = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .unwrap();
        timings.push(started.elapsed());
    }
    percentile(&timings, 50)
}

async fn measure<F, Fut>(count: usize, mut call: F) -> Vec<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut timings = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        call().await;
        timings.push(started.elapsed());
    }
    timings
}

fn report(name: &str, timings: &[Duration]) {
    println!(
        "| {name} | {} | {} |",
        format_duration(percentile(timings, 50)),
        format_duration(percentile(timings, 99))
    );
}

fn percentile(timings: &[Duration], percent: usize) -> Duration {
    let mut sorted = timings.to_vec();
    sorted.sort();
    let index = ((sorted.len() * percent).div_ceil(100)).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn format_duration(duration: Duration) -> String {
    let micros = duration.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else {
        format!("{:.2} ms", micros / 1000.0)
    }
}

fn customer_event(manifest_dir: &Path, cpf: &Cpf) -> Value {
    let text = std::fs::read_to_string(manifest_dir.join("tests/fixtures/apigw_v2_post_auth.json"))
        .unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["body"] = Value::String(json!({ "cpf": cpf.as_digits() }).to_string());
    event
}

fn authorizer_event(manifest_dir: &Path, token: &str) -> Value {
    let text =
        std::fs::read_to_string(manifest_dir.join("tests/fixtures/authorizer_rest_request.json"))
            .unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
    event
}

fn chrono_free_date() -> String {
    let output = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output();
    output
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}
