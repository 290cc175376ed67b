//! The deployed `validate_jwt` binary, run against a fake Lambda Runtime API with
//! `RUST_LOG=trace`: lambda_runtime's raw event (the `Authorization` header) stays out of the
//! logs, because the functions' log filter caps it whatever `RUST_LOG` says.

#[path = "../../examples/perf/runtime_api.rs"]
#[allow(dead_code)]
mod runtime_api;

use std::process::Stdio;
use std::time::Duration;

use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::local_aws::MotoServer;
use postech_shared_sdk::token::TokenIssuer;
use serde_json::json;

use self::runtime_api::{FakeRuntime, RuntimeEvent};
use crate::support::{LocalAws, fixture};

#[tokio::test]
async fn rust_log_trace_does_not_log_the_raw_authorizer_event() {
    let aws = LocalAws::provision().await;
    let endpoint = MotoServer::shared().expect("moto").endpoint().to_owned();
    let token = TokenIssuer::from_material(&aws.key)
        .expect("issuer")
        .issue_customer(&CustomerId::new_random())
        .expect("token")
        .access_token;
    let mut event = fixture("authorizer_v2_request.json");
    event["rawPath"] = json!("/v1/api/clientes/me");
    event["requestContext"]["http"]["path"] = json!("/v1/api/clientes/me");
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    event["identitySource"] = json!([format!("Bearer {token}"), "GET", "/v1/api/clientes/me"]);
    let mut runtime = FakeRuntime::start(event.to_string()).await;

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_validate_jwt"))
        .env_clear()
        .envs(aws.authorizer_vars())
        .env("AWS_LAMBDA_RUNTIME_API", runtime.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "validate-jwt-log-test")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        // moto's conventional fake credentials: they open nothing.
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("validate_jwt starts");
    // Read while it runs: at TRACE the output outgrows the pipe and would block the function.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let logs = tokio::spawn(async move {
        let mut text = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut stdout, &mut text)
            .await
            .expect("read the logs");
        String::from_utf8_lossy(&text).into_owned()
    });
    let answer = loop {
        let event = tokio::time::timeout(Duration::from_secs(30), runtime.events.recv())
            .await
            .expect("validate_jwt talks to the Runtime API")
            .expect("runtime API running");
        match event {
            RuntimeEvent::Ready(_) => {}
            RuntimeEvent::Response(_, body) => break body,
            RuntimeEvent::Error(error) => panic!("validate_jwt failed: {error}"),
        }
    };
    child.kill().await.expect("stop validate_jwt");
    let logs = logs.await.expect("log reader");

    assert!(answer.contains(r#""isAuthorized":true"#), "{answer}");
    // The capture works: TRACE and DEBUG events of the function are there.
    assert!(logs.contains("request allowed"), "{logs}");
    let signature = token.rsplit('.').next().expect("JWT signature");
    for line in logs.lines() {
        assert!(
            !line.contains(signature),
            "a log line holds the token: {line}"
        );
    }
}
