use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use http::HeaderMap;
use opentelemetry::trace::TraceContextExt as _;

use super::*;

const PARENT_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

/// Log lines written by the subscriber under test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().expect("writer lock").clone();
        String::from_utf8(bytes)
            .expect("UTF-8 logs")
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
            .collect()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("writer lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn config(log_filter: &str, otlp_endpoint: Option<&str>) -> TelemetryConfig {
    TelemetryConfig {
        service_name: "telemetry-test".into(),
        service_version: "0.0.0".into(),
        log_filter: log_filter.into(),
        otlp_endpoint: otlp_endpoint.map(str::to_owned),
        sampling_ratio: DEFAULT_SAMPLING_RATIO,
    }
}

fn capture(log_filter: &str) -> (Box<dyn Subscriber + Send + Sync>, TelemetryGuard, Captured) {
    let captured = Captured::default();
    let writer = captured.clone();
    let (subscriber, guard) =
        build_subscriber(&config(log_filter, None), move || writer.clone()).expect("subscriber");
    (subscriber, guard, captured)
}

fn headers_with_parent() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let traceparent = format!("00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-01");
    headers.insert(
        "traceparent",
        traceparent.parse().expect("valid header value"),
    );
    headers
}

#[test]
fn log_lines_are_flat_json_with_level_message_fields_and_span() {
    let (subscriber, _guard, captured) = capture("info");
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("checkout", order_id = 42);
        let _entered = span.enter();
        tracing::info!(items = 3, "order paid");
    });
    let lines = captured.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["message"], "order paid");
    assert_eq!(line["items"], 3);
    assert_eq!(line["span"]["name"], "checkout");
    assert_eq!(line["span"]["order_id"], 42);
    assert!(line["timestamp"].is_string(), "{line}");
    assert!(
        line["target"]
            .as_str()
            .is_some_and(|target| target.starts_with("postech_shared_sdk")),
        "{line}"
    );
}

#[test]
fn log_filter_drops_events_below_its_level() {
    let (subscriber, _guard, captured) = capture("warn");
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("routine");
        tracing::warn!("suspicious");
    });
    let messages: Vec<_> = captured
        .lines()
        .iter()
        .map(|line| line["message"].clone())
        .collect();
    assert_eq!(messages, vec![serde_json::json!("suspicious")]);
}

#[test]
fn invalid_log_filter_is_reported_with_the_filter() {
    let error = build_subscriber(&config("info,=[", None), io::sink)
        .err()
        .expect("the filter does not parse");
    assert!(
        matches!(&error, TelemetryError::InvalidLogFilter { filter, .. } if filter == "info,=["),
        "{error}"
    );
}

#[test]
fn spans_are_exported_only_when_an_endpoint_is_configured() {
    let (_, without) = build_subscriber(&config("info", None), io::sink).expect("subscriber");
    assert!(!without.exports_traces());
    // Building the exporter does not connect, so an endpoint nobody listens on is fine here.
    let (_, with) = build_subscriber(&config("info", Some("http://127.0.0.1:9")), io::sink)
        .expect("subscriber");
    assert!(with.exports_traces());
}

#[test]
fn config_from_environment_defaults_to_info_and_no_export() {
    let config = TelemetryConfig::from_lookup("svc", "1.2.3", |name| {
        (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(String::new)
    });
    assert_eq!(config.log_filter, DEFAULT_LOG_FILTER);
    assert_eq!(config.otlp_endpoint, None);

    let config = TelemetryConfig::from_lookup("svc", "1.2.3", |name| match name {
        "RUST_LOG" => Some("debug".into()),
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://jaeger:4318".into()),
        _ => None,
    });
    assert_eq!(config.log_filter, "debug");
    assert_eq!(config.otlp_endpoint.as_deref(), Some("http://jaeger:4318"));
}

#[test]
fn sampling_ratio_comes_from_the_environment_and_is_validated() {
    let from = |value: &str| {
        let value = value.to_owned();
        TelemetryConfig::from_lookup("svc", "1", move |name| {
            (name == SAMPLING_RATIO_ENV).then(|| value.clone())
        })
    };
    assert_eq!(from("").sampling_ratio, DEFAULT_SAMPLING_RATIO);
    assert_eq!(from(" 0.25 ").sampling_ratio, 0.25);
    for invalid in ["often", "1.5", "-0.1"] {
        let error = build_subscriber(&from(invalid), io::sink)
            .err()
            .unwrap_or_else(|| panic!("{invalid} accepted"));
        assert!(
            matches!(error, TelemetryError::InvalidSamplingRatio(_)),
            "{invalid}: {error}"
        );
        assert!(error.to_string().contains(SAMPLING_RATIO_ENV), "{error}");
    }
}

#[test]
fn traces_go_to_the_signal_path_of_the_base_endpoint() {
    assert_eq!(
        traces_endpoint("http://jaeger:4318"),
        "http://jaeger:4318/v1/traces"
    );
    assert_eq!(
        traces_endpoint("http://jaeger:4318/"),
        "http://jaeger:4318/v1/traces"
    );
}

#[test]
fn incoming_trace_is_continued_in_outgoing_headers() {
    let (subscriber, _guard, _captured) = capture("info");
    let outgoing = tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request");
        set_parent_from_headers(&span, &headers_with_parent());
        let _entered = span.enter();
        let mut outgoing = HeaderMap::new();
        inject_current_trace_context(&mut outgoing);
        outgoing
    });
    let traceparent = outgoing
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .expect("traceparent injected");
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(parts[1], PARENT_TRACE_ID, "same trace");
    assert_ne!(parts[2], PARENT_SPAN_ID, "a new span of that trace");
    assert_eq!(parts[3], "01", "sampled, as the parent asked");
}

#[test]
fn without_incoming_context_a_new_trace_starts_even_without_export() {
    let (subscriber, guard, _captured) = capture("info");
    assert!(!guard.exports_traces());
    let outgoing = tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request");
        set_parent_from_headers(&span, &HeaderMap::new());
        let _entered = span.enter();
        let mut outgoing = HeaderMap::new();
        inject_current_trace_context(&mut outgoing);
        outgoing
    });
    let traceparent = outgoing
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .expect("traceparent injected");
    assert!(!traceparent.contains(PARENT_TRACE_ID), "{traceparent}");
    assert!(!traceparent.contains("00000000000000000000000000000000"));
}

#[test]
fn malformed_traceparent_yields_no_remote_parent() {
    let mut headers = HeaderMap::new();
    headers.insert("traceparent", "00-not-a-trace-01".parse().expect("ASCII"));
    let context = extract_trace_context(&headers);
    assert!(!context.span().span_context().is_valid());

    let mut outgoing = HeaderMap::new();
    inject_trace_context(&context, &mut outgoing);
    assert!(outgoing.get("traceparent").is_none());
}

#[test]
fn extracted_context_injects_back_unchanged() {
    let context = extract_trace_context(&headers_with_parent());
    let mut outgoing = HeaderMap::new();
    inject_trace_context(&context, &mut outgoing);
    assert_eq!(
        outgoing.get("traceparent"),
        headers_with_parent().get("traceparent")
    );
}

#[test]
fn closure_based_helpers_round_trip_like_the_header_map_ones() {
    let incoming = headers_with_parent();
    let context = extract_trace_context_with(|name| {
        incoming
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    });
    let mut written = Vec::new();
    inject_trace_context_with(&context, |name, value| {
        written.push((name.to_owned(), value));
    });
    let expected = format!("00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-01");
    assert!(
        written.contains(&("traceparent".to_owned(), expected)),
        "{written:?}"
    );
}

/// The sampler's decision for a span whose parent is `parent` (a remote or local context).
fn decision(
    ratio: f64,
    parent: &opentelemetry::Context,
) -> opentelemetry_sdk::trace::SamplingDecision {
    use opentelemetry_sdk::trace::ShouldSample as _;
    let trace_id = parent.span().span_context().trace_id();
    sampler(ratio)
        .should_sample(
            Some(parent),
            trace_id,
            "request",
            &opentelemetry::trace::SpanKind::Server,
            &[],
            &[],
        )
        .decision
}

fn context_with_flag(sampled: bool, remote: bool) -> opentelemetry::Context {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    let flags = if sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let span_context = SpanContext::new(
        TraceId::from_hex(PARENT_TRACE_ID).expect("hex"),
        SpanId::from_hex(PARENT_SPAN_ID).expect("hex"),
        flags,
        remote,
        TraceState::default(),
    );
    // The span context's own flag tells the sampler whether the parent is remote.
    opentelemetry::Context::new().with_remote_span_context(span_context)
}

#[test]
fn a_remote_sampled_flag_neither_forces_nor_suppresses_sampling() {
    use opentelemetry_sdk::trace::SamplingDecision::{Drop, RecordAndSample};
    // The caller says "sampled", our ratio says no: not recorded.
    assert_eq!(decision(0.0, &context_with_flag(true, true)), Drop);
    // The caller says "not sampled", our ratio says yes: recorded.
    assert_eq!(
        decision(1.0, &context_with_flag(false, true)),
        RecordAndSample
    );
    // A parent in this process is followed, so a trace is never cut in the middle.
    assert_eq!(
        decision(0.0, &context_with_flag(true, false)),
        RecordAndSample
    );
    assert_eq!(decision(1.0, &context_with_flag(false, false)), Drop);
}

/// The flag of the `traceparent` this process would send on after receiving `incoming`.
fn outgoing_flag(sampling_ratio: f64, incoming: &str) -> String {
    let config = TelemetryConfig {
        sampling_ratio,
        ..config("info", None)
    };
    let (subscriber, _guard) = build_subscriber(&config, io::sink).expect("subscriber");
    let mut headers = HeaderMap::new();
    headers.insert("traceparent", incoming.parse().expect("ASCII"));
    let outgoing = tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request");
        set_parent_from_headers(&span, &headers);
        let _entered = span.enter();
        let mut outgoing = HeaderMap::new();
        inject_current_trace_context(&mut outgoing);
        outgoing
    });
    let traceparent = outgoing["traceparent"].to_str().expect("ASCII").to_owned();
    assert!(traceparent.contains(PARENT_TRACE_ID), "{traceparent}");
    traceparent.rsplit('-').next().expect("flags").to_owned()
}

#[test]
fn a_client_traceparent_keeps_the_trace_id_but_not_the_sampling_decision() {
    let sampled = format!("00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-01");
    let not_sampled = format!("00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-00");
    assert_eq!(
        outgoing_flag(0.0, &sampled),
        "00",
        "sampled=01 does not force"
    );
    assert_eq!(
        outgoing_flag(1.0, &not_sampled),
        "01",
        "sampled=00 does not suppress"
    );
}

const XRAY_HEADER: &str =
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1";

#[test]
fn the_xray_header_becomes_a_remote_parent_with_the_same_ids() {
    let context = extract_xray_trace_context(XRAY_HEADER);
    let parent = context.span().span_context().clone();
    assert!(parent.is_valid() && parent.is_remote());
    assert_eq!(
        parent.trace_id().to_string(),
        "5759e988bd862e3fe1be46a994272793"
    );
    assert_eq!(parent.span_id().to_string(), "53995c3f42cd8ad8");
    assert_eq!(parent.trace_state().header(), "", "no X-Ray keys forwarded");

    for malformed in ["", "Root=1-nothex;Parent=53995c3f42cd8ad8", "Sampled=1"] {
        let context = extract_xray_trace_context(malformed);
        assert!(!context.span().span_context().is_valid(), "{malformed}");
    }
}

#[test]
fn upstream_context_prefers_a_valid_xray_header_then_traceparent() {
    let traceparent = format!("00-{PARENT_TRACE_ID}-{PARENT_SPAN_ID}-01");
    let trace_id_with = |xray: &'static str| {
        let traceparent = traceparent.clone();
        extract_upstream_trace_context_with(move |name| match name {
            XRAY_TRACE_HEADER => Some(xray.to_owned()),
            "traceparent" => Some(traceparent.clone()),
            _ => None,
        })
        .span()
        .span_context()
        .trace_id()
        .to_string()
    };
    assert_eq!(
        trace_id_with(XRAY_HEADER),
        "5759e988bd862e3fe1be46a994272793"
    );
    assert_eq!(trace_id_with("Root=garbage"), PARENT_TRACE_ID);
}

#[test]
fn a_flush_delivers_the_ended_spans_before_it_returns() {
    let receiver = crate::local_otlp::OtlpReceiver::start().expect("receiver");
    let config = config("info", Some(receiver.endpoint()));
    let (subscriber, guard) = build_subscriber(&config, io::sink).expect("subscriber");
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("invocation");
        set_parent_from_headers(&span, &headers_with_parent());
        span.in_scope(|| tracing::info!("work"));
    });
    guard.span_flusher().flush().expect("flushed");
    let spans = receiver.spans();
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(spans[0].name, "invocation");
    assert_eq!(crate::local_otlp::hex(&spans[0].trace_id), PARENT_TRACE_ID);
    assert_eq!(
        crate::local_otlp::hex(&spans[0].parent_span_id),
        PARENT_SPAN_ID
    );
}
