//! W3C trace context (`traceparent`, `tracestate`) in and out of HTTP headers, and the AWS
//! X-Ray header (`X-Amzn-Trace-Id`) in.
//!
//! These use the propagators directly rather than the global one: the headers are the
//! contract between gateway, Lambda and app, and a test that never called
//! [`init`](super::init) must behave like production.
//!
//! X-Ray and W3C name the same trace: the X-Ray root `1-5759e988-bd862e3fe1be46a994272793` is
//! the W3C trace id `5759e988bd862e3fe1be46a994272793`, so the gateway's segment (in X-Ray),
//! the authorizer's and the app's spans (in Jaeger) share one id.

use std::collections::HashMap;

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry::trace::{TraceContextExt as _, TraceState};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The header API Gateway (with X-Ray tracing) sends its trace context in, to the authorizer
/// and to every integration; lower case, as HTTP/2 and `http::HeaderMap` write it.
pub const XRAY_TRACE_HEADER: &str = "x-amzn-trace-id";

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // The propagator only produces valid header names and visible-ASCII values; a pair
        // that fails to convert is dropped rather than failing the request it rides on.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// The trace context carried by incoming headers; an empty context when they carry none or a
/// malformed one (a new trace then starts).
///
/// ```
/// use http::HeaderMap;
/// use opentelemetry::trace::TraceContextExt;
/// use postech_shared_sdk::telemetry::extract_trace_context;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(
///     "traceparent",
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
/// );
/// let context = extract_trace_context(&headers);
/// assert_eq!(
///     context.span().span_context().trace_id().to_string(),
///     "4bf92f3577b34da6a3ce929d0e0e4736"
/// );
/// ```
pub fn extract_trace_context(headers: &HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// Writes `context` as `traceparent` (and `tracestate`) into outgoing headers; writes nothing
/// for a context without a valid span.
pub fn inject_trace_context(context: &Context, headers: &mut HeaderMap) {
    TraceContextPropagator::new().inject_context(context, &mut HeaderInjector(headers));
}

/// Writes the context of the current `tracing` span into outgoing headers, so the next hop
/// continues this trace.
pub fn inject_current_trace_context(headers: &mut HeaderMap) {
    inject_trace_context(&tracing::Span::current().context(), headers);
}

/// [`extract_trace_context`] for frameworks with their own header type (actix-web's
/// `HeaderMap` is not the `http` crate's): `header` returns a header's value by name.
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
/// use postech_shared_sdk::telemetry::extract_trace_context_with;
///
/// let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let context = extract_trace_context_with(|name| (name == "traceparent").then(|| traceparent.to_owned()));
/// assert!(context.span().span_context().is_remote());
/// ```
pub fn extract_trace_context_with(header: impl Fn(&str) -> Option<String>) -> Context {
    let propagator = TraceContextPropagator::new();
    let carrier: HashMap<String, String> = propagator
        .fields()
        .filter_map(|name| header(name).map(|value| (name.to_owned(), value)))
        .collect();
    propagator.extract(&carrier)
}

/// [`inject_trace_context`] for frameworks with their own header type: `set_header` receives
/// each header name and value to add to the outgoing request.
pub fn inject_trace_context_with(context: &Context, mut set_header: impl FnMut(&str, String)) {
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(context, &mut carrier);
    for (name, value) in carrier {
        set_header(&name, value);
    }
}

/// The remote context of an X-Ray trace header value
/// (`Root=1-…-…;Parent=…;Sampled=…`, as in `X-Amzn-Trace-Id`, Lambda's `_X_AMZN_TRACE_ID` and
/// `lambda_runtime::Context::xray_trace_id`); an empty context when it does not parse.
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
/// use postech_shared_sdk::telemetry::extract_xray_trace_context;
///
/// let context = extract_xray_trace_context(
///     "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
/// );
/// let parent = context.span().span_context().clone();
/// assert_eq!(parent.trace_id().to_string(), "5759e988bd862e3fe1be46a994272793");
/// assert_eq!(parent.span_id().to_string(), "53995c3f42cd8ad8");
/// assert!(parent.is_remote());
/// ```
pub fn extract_xray_trace_context(value: &str) -> Context {
    match opentelemetry_aws::trace::xray_propagator::span_context_from_str(value) {
        // X-Ray's vendor keys (e.g. `Lineage`) ride in the trace state, which W3C would then
        // forward as `tracestate`; none of ours needs them.
        Some(span_context) if span_context.is_valid() => {
            Context::new().with_remote_span_context(opentelemetry::trace::SpanContext::new(
                span_context.trace_id(),
                span_context.span_id(),
                span_context.trace_flags(),
                true,
                TraceState::NONE,
            ))
        }
        _ => Context::new(),
    }
}

/// The upstream trace context of a request: the X-Ray header when it holds a valid context,
/// else W3C `traceparent`/`tracestate`; `header` returns a header's value by (lower-case)
/// name.
///
/// X-Ray first: behind the API Gateway, `X-Amzn-Trace-Id` is the gateway's own context (the
/// trace its authorizer call belongs to), while the gateway overwrites the client's
/// `traceparent` (postech-lambda-functions `infra/app-routes.yml`); inside the cluster and
/// locally only `traceparent` is sent. Neither decides sampling (see the module
/// documentation of [`telemetry`](super)).
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
/// use postech_shared_sdk::telemetry::extract_upstream_trace_context_with;
///
/// let context = extract_upstream_trace_context_with(|name| match name {
///     "x-amzn-trace-id" => Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".to_owned()),
///     "traceparent" => Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
///     _ => None,
/// });
/// assert_eq!(
///     context.span().span_context().trace_id().to_string(),
///     "5759e988bd862e3fe1be46a994272793"
/// );
/// ```
pub fn extract_upstream_trace_context_with(header: impl Fn(&str) -> Option<String>) -> Context {
    if let Some(value) = header(XRAY_TRACE_HEADER) {
        let context = extract_xray_trace_context(&value);
        if context.span().span_context().is_valid() {
            return context;
        }
    }
    extract_trace_context_with(header)
}

/// Makes `span` a child of the trace named by an X-Ray header value (a Lambda function's
/// `Context::xray_trace_id`, which the Lambda service sets from the gateway's trace); nothing
/// when it does not parse.
pub fn set_parent_from_xray(span: &tracing::Span, xray_trace_header: &str) {
    let context = extract_xray_trace_context(xray_trace_header);
    if context.span().span_context().is_valid() {
        // As in `set_parent_from_headers`: only fails when telemetry is not set up.
        let _ = span.set_parent(context);
    }
}

/// Makes `span` a child of the upstream trace context found in `headers` (if any; see
/// [`extract_upstream_trace_context_with`]): call it on the request's root span before
/// entering it.
pub fn set_parent_from_headers(span: &tracing::Span, headers: &HeaderMap) {
    let context = extract_upstream_trace_context_with(|name| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    });
    // Fails only for a span that no OpenTelemetry layer records (telemetry not set up): there
    // is then no trace to continue, which is not the request's problem.
    let _ = span.set_parent(context);
}
