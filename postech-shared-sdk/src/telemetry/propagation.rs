//! W3C trace context (`traceparent`, `tracestate`) in and out of HTTP headers.
//!
//! These use the TraceContext propagator directly rather than the global one: W3C is the
//! contract between gateway, Lambda and app, and a test that never called
//! [`init`](super::init) must behave like production.

use std::collections::HashMap;

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

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

/// Makes `span` a child of the trace context found in `headers` (if any): call it on the
/// request's root span before entering it.
pub fn set_parent_from_headers(span: &tracing::Span, headers: &HeaderMap) {
    // Fails only for a span that no OpenTelemetry layer records (telemetry not set up): there
    // is then no trace to continue, which is not the request's problem.
    let _ = span.set_parent(extract_trace_context(headers));
}
