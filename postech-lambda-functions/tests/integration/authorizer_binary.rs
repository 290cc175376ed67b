//! The deployed `validate_jwt` binary, run against a fake Lambda Runtime API: what it answers
//! on the wire (a policy, or the error API Gateway turns into 401), and, with
//! `RUST_LOG=trace`, that lambda_runtime's raw event (the `Authorization` header) stays out of
//! the logs, because the functions' log filter caps it whatever `RUST_LOG` says.

#[path = "../../examples/perf/runtime_api.rs"]
#[allow(dead_code)]
mod runtime_api;

use std::process::Stdio;
use std::time::Duration;

use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::local_aws::MotoServer;
use postech_shared_sdk::token::TokenIssuer;
use serde_json::{Value, json};

use self::runtime_api::{FakeRuntime, RuntimeEvent};
use crate::support::{LocalAws, fixture};

/// What the binary reported to the Runtime API for one event, and everything it logged.
struct Invocation {
    answer: RuntimeEvent,
    logs: String,
}

/// Runs the `validate_jwt` binary, configured as in staging, on one authorizer event.
async fn invoke_validate_jwt(aws: &LocalAws, event: &Value) -> Invocation {
    let endpoint = MotoServer::shared().expect("moto").endpoint().to_owned();
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
            answer => break answer,
        }
    };
    child.kill().await.expect("stop validate_jwt");
    Invocation {
        answer,
        logs: logs.await.expect("log reader"),
    }
}

/// The REST authorizer event for `path` with this bearer token.
fn authorizer_event(path: &str, token: &str) -> Value {
    let mut event = fixture("authorizer_rest_request.json");
    event["path"] = json!(path);
    event["requestContext"]["path"] = json!(format!("/staging{path}"));
    event["methodArn"] = json!(format!(
        "arn:aws:execute-api:us-east-1:123456789012:abc123def4/staging/GET{path}"
    ));
    event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
    event["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {token}")]);
    event
}

#[tokio::test]
async fn rust_log_trace_does_not_log_the_raw_authorizer_event() {
    let aws = LocalAws::provision().await;
    let token = TokenIssuer::from_material(&aws.key)
        .expect("issuer")
        .issue_customer(&CustomerId::new_random())
        .expect("token")
        .access_token;

    let invocation =
        invoke_validate_jwt(&aws, &authorizer_event("/v1/api/clientes/me", &token)).await;

    let RuntimeEvent::Response(_, answer) = invocation.answer else {
        panic!("validate_jwt failed: {:?}", invocation.answer);
    };
    assert!(answer.contains(r#""Effect":"Allow""#), "{answer}");
    // The capture works: TRACE and DEBUG events of the function are there.
    assert!(
        invocation.logs.contains("request allowed"),
        "{}",
        invocation.logs
    );
    let signature = token.rsplit('.').next().expect("JWT signature");
    for line in invocation.logs.lines() {
        assert!(
            !line.contains(signature),
            "a log line holds the token: {line}"
        );
    }
}

#[tokio::test]
async fn a_bad_token_reaches_the_runtime_api_as_the_unauthorized_error_api_gateway_expects() {
    let aws = LocalAws::provision().await;

    let invocation =
        invoke_validate_jwt(&aws, &authorizer_event("/v1/api/clientes/me", "not-a-jwt")).await;

    // API Gateway answers 401 (its UNAUTHORIZED response) exactly when the function fails
    // with the message "Unauthorized"; anything else would be a 500.
    let RuntimeEvent::Error(report) = invocation.answer else {
        panic!("expected an error report, got {:?}", invocation.answer);
    };
    let (path, body) = report.split_once(": ").expect("path: body");
    assert!(path.ends_with("/error"), "{report}");
    let body: Value = serde_json::from_str(body).expect("JSON error report");
    assert_eq!(body["errorMessage"], "Unauthorized", "{report}");
}
