//! Each function's invocation span is on the trace the Lambda service hands the invocation
//! (the gateway's X-Ray context), not on a `traceparent` the client wrote, and it has reached
//! the OTLP receiver when the handler returns (the SDK's in-test receiver records an export
//! before answering it; nothing here waits or polls). The handlers are called as the binaries
//! call them, without a Lambda runtime. A collector that accepts connections and never
//! answers delays neither handler's answer by more than the flush bound.

use std::time::{Duration, Instant};

use lambda_http::RequestExt as _;
use lambda_runtime::{Context, LambdaEvent};
use postech_lambda_functions::invocation::FLUSH_TIMEOUT;
use postech_shared_sdk::local_aws::{Fault, FaultProxy};
use postech_shared_sdk::local_otlp::{OtlpReceiver, Span, attribute, hex};
use postech_shared_sdk::telemetry::{self, TelemetryConfig, TelemetryGuard};
use serde_json::json;

use crate::authorizer::event_with;
use crate::support::{LocalAws, customer_login_event, status_and_json, unique_cpf};

/// The gateway's trace, as the Lambda service passes it (`Lambda-Runtime-Trace-Id`).
const GATEWAY_TRACE: &str =
    "Root=1-6759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
const GATEWAY_TRACE_ID: &str = "6759e988bd862e3fe1be46a994272793";
const GATEWAY_PARENT_ID: &str = "53995c3f42cd8ad8";
/// What a client might put in its request: another trace, "sampled".
const CLIENT_TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/// Telemetry exporting to a fresh receiver, installed for this thread (the tests' runtime is
/// single-threaded, so for the whole test).
fn exporting_telemetry(
    receiver: &OtlpReceiver,
) -> (tracing::subscriber::DefaultGuard, TelemetryGuard) {
    telemetry_exporting_to(receiver.endpoint())
}

/// Telemetry exporting to `endpoint`, installed for this thread. The exporter keeps the SDK's
/// own timeout (10 s: the test sets no `OTEL_EXPORTER_OTLP_TIMEOUT`), so only the handlers'
/// flush bound can keep an answer short.
fn telemetry_exporting_to(endpoint: &str) -> (tracing::subscriber::DefaultGuard, TelemetryGuard) {
    let config = TelemetryConfig {
        service_name: "edge-traces-test".into(),
        service_version: "0".into(),
        log_filter: "info".into(),
        otlp_endpoint: Some(endpoint.to_owned()),
        sampling_ratio: 1.0,
    };
    let (subscriber, guard) =
        telemetry::build_subscriber(&config, std::io::sink).expect("subscriber");
    (tracing::subscriber::set_default(subscriber), guard)
}

fn invocation_context() -> Context {
    let mut context = Context::default();
    context.request_id = uuid::Uuid::new_v4().to_string();
    context.xray_trace_id = Some(GATEWAY_TRACE.to_owned());
    context
}

/// The span named `name` among `spans`.
fn received<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| {
            let names: Vec<_> = spans.iter().map(|span| &span.name).collect();
            panic!("no span {name} received before the answer; received {names:?}")
        })
}

#[tokio::test]
async fn the_authorizer_span_is_on_the_gateway_trace_and_exported_before_it_answers() {
    let aws = LocalAws::provision().await;
    let authorizer = aws.authorizer().await;
    let receiver = OtlpReceiver::start().expect("receiver");
    let (_installed, telemetry) = exporting_telemetry(&receiver);
    let context = invocation_context();
    let request = event_with(
        "GET",
        "/v1/api/categorias",
        &[("traceparent", CLIENT_TRACEPARENT)],
    );

    let answer = authorizer
        .handle_invocation(
            LambdaEvent::new(request, context.clone()),
            &telemetry.span_flusher(),
        )
        .await;

    assert!(answer.is_ok(), "a public route is allowed: {answer:?}");
    let spans = receiver.spans();
    let span = received(&spans, "validate_jwt");
    assert_eq!(hex(&span.trace_id), GATEWAY_TRACE_ID, "the gateway's trace");
    assert_eq!(hex(&span.parent_span_id), GATEWAY_PARENT_ID);
    assert_eq!(
        attribute(span, "faas.invocation_id").as_deref(),
        Some(context.request_id.as_str())
    );
    assert!(
        spans
            .iter()
            .all(|span| hex(&span.trace_id) != CLIENT_TRACEPARENT[3..35]),
        "nothing joined the client's trace"
    );
}

#[tokio::test]
async fn the_login_span_is_on_the_gateway_trace_and_exported_before_it_answers() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    aws.register_customer(&cpf).await;
    let authenticator = aws.authenticator().await;
    let receiver = OtlpReceiver::start().expect("receiver");
    let (_installed, telemetry) = exporting_telemetry(&receiver);
    let mut request = customer_login_event(&json!({ "cpf": cpf.as_digits() }))
        .with_lambda_context(invocation_context());
    request
        .headers_mut()
        .insert("traceparent", CLIENT_TRACEPARENT.parse().expect("ASCII"));

    let response = authenticator
        .handle_invocation(request, &telemetry.span_flusher())
        .await;

    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "{body}");
    let spans = receiver.spans();
    let span = received(&spans, "authenticate");
    assert_eq!(hex(&span.trace_id), GATEWAY_TRACE_ID, "the gateway's trace");
    assert_eq!(hex(&span.parent_span_id), GATEWAY_PARENT_ID);
    assert_eq!(attribute(span, "route").as_deref(), Some("POST /auth"));
    let token = body["access_token"].as_str().expect("token");
    for span in &spans {
        let events = span.events.iter().flat_map(|event| &event.attributes);
        for pair in span.attributes.iter().chain(events) {
            let value = postech_shared_sdk::local_otlp::text(&pair.value);
            assert!(
                !value.contains(cpf.as_digits()) && !value.contains(token),
                "span {} exports {}={value}",
                span.name,
                pair.key
            );
        }
    }
}

/// How long a handler may take beyond the flush bound: its own work against moto.
const HANDLER_WORK_ALLOWANCE: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_collector_that_never_answers_delays_each_answer_by_the_flush_bound_at_most() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    aws.register_customer(&cpf).await;
    let authenticator = aws.authenticator().await;
    let authorizer = aws.authorizer().await;
    let receiver = OtlpReceiver::start().expect("receiver");
    // The collector's address accepts connections and never answers (as a load balancer in
    // front of a stuck collector would).
    let collector = FaultProxy::start(receiver.endpoint().trim_start_matches("http://").to_owned())
        .await
        .expect("proxy");
    collector.set(Fault::Hang);
    let (_installed, telemetry) = telemetry_exporting_to(&collector.endpoint());
    let flusher = telemetry.span_flusher();

    let started = Instant::now();
    let answer = authorizer
        .handle_invocation(
            LambdaEvent::new(
                event_with("GET", "/v1/api/categorias", &[]),
                invocation_context(),
            ),
            &flusher,
        )
        .await;
    let authorizer_took = started.elapsed();
    assert!(answer.is_ok(), "a public route is allowed: {answer:?}");

    let started = Instant::now();
    let response = authenticator
        .handle_invocation(
            customer_login_event(&json!({ "cpf": cpf.as_digits() }))
                .with_lambda_context(invocation_context()),
            &flusher,
        )
        .await;
    let login_took = started.elapsed();
    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "the login itself succeeds: {body}");

    eprintln!(
        "hanging collector: authorizer answered in {authorizer_took:?}, login in {login_took:?}"
    );
    for (handler, took) in [
        ("validate_jwt", authorizer_took),
        ("authenticate", login_took),
    ] {
        // It did wait for the collector (the export was attempted and hung) ...
        assert!(
            took >= FLUSH_TIMEOUT,
            "{handler}: answered in {took:?}, before the flush bound: was anything exported?"
        );
        // ... and stopped waiting at the bound (the batch processor alone waits 5 s).
        assert!(
            took < FLUSH_TIMEOUT + HANDLER_WORK_ALLOWANCE,
            "{handler}: a hanging collector stretched the answer to {took:?}"
        );
    }
    assert!(
        receiver.spans().is_empty(),
        "nothing passed the hanging collector"
    );
    // Releases the held connections, so the exports still running fail or reach the receiver;
    // the shutdown blocks, so it runs off this single-threaded runtime, which the proxy needs.
    collector.set(Fault::None);
    tokio::task::spawn_blocking(move || drop(telemetry))
        .await
        .expect("telemetry shut down");
}
