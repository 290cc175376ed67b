//! Each invocation's trace: a span parented on the trace the Lambda service hands the
//! invocation, and exported before the invocation answers.
//!
//! API Gateway (X-Ray tracing on, `infra/rest-api.yml`) starts a trace for each request and
//! invokes the authorizer and the `authenticate` function within it; the Lambda service gives
//! that context to the runtime (`Lambda-Runtime-Trace-Id`, read by `lambda_runtime` into
//! [`Context::xray_trace_id`]). That value comes from AWS, not from the client, so it is what
//! the spans are parented on; a `traceparent` a client put in the request's headers is not
//! (and, by the SDK's sampler, never decides whether anything is recorded).
//!
//! Lambda freezes the execution environment once an invocation has answered, possibly for
//! ever: spans still queued in the batch exporter then never leave. [`flushed`] exports them
//! first, so each invocation answers only after its spans reached the collector, or after
//! [`FLUSH_TIMEOUT`] at most: a collector that hangs or is unreachable never stretches a login
//! or an authorization by more than that (without an OTLP endpoint nothing waits).
//!
//! Two bounds, because neither alone is enough. The exporter gives up on its own after
//! `OTEL_EXPORTER_OTLP_TIMEOUT` (the SDK's default is 10 s, retries included; serverless.yml
//! sets 1000 ms), but the batch processor's `force_flush` waits up to a fixed 5 s, and the
//! invocation's latency should not rest on an environment variable. So [`flushed`] stops
//! waiting after [`FLUSH_TIMEOUT`] whatever the exporter does; the export carries on in the
//! background (and, if Lambda freezes the environment meanwhile, times out when it thaws: those
//! spans are lost, the answer was not delayed).

use std::future::Future;
use std::time::Duration;

use lambda_runtime::Context;
use postech_shared_sdk::telemetry::{SpanFlusher, set_parent_from_xray};

/// The span of one invocation of `function`, with the invocation id, as a child of the
/// invocation's X-Ray trace (none outside Lambda: a new trace starts).
pub fn invocation_span(function: &'static str, context: &Context) -> tracing::Span {
    let span = tracing::info_span!(
        "invocation",
        otel.name = function,
        otel.kind = "server",
        faas.invocation_id = %context.request_id,
    );
    parent_on_invocation_trace(&span, context);
    span
}

/// Makes `span` a child of the invocation's X-Ray trace, when the Lambda service gave one.
pub fn parent_on_invocation_trace(span: &tracing::Span, context: &Context) {
    if let Some(xray) = context.xray_trace_id.as_deref() {
        set_parent_from_xray(span, xray);
    }
}

/// The longest an invocation waits for its spans to be exported before answering.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs `work` (whose spans must have ended when it completes), then exports every span ended
/// so far, waiting at most [`FLUSH_TIMEOUT`], then returns `work`'s output. A failed or late
/// export is logged, never the invocation's failure.
pub async fn flushed<T>(flusher: &SpanFlusher, work: impl Future<Output = T>) -> T {
    let output = work.await;
    let flusher = flusher.clone();
    // The exporter's HTTP client blocks; the runtime's threads must stay free meanwhile.
    let flush = tokio::task::spawn_blocking(move || flusher.flush());
    match tokio::time::timeout(FLUSH_TIMEOUT, flush).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => tracing::warn!(%error, "this invocation's spans were not exported"),
        Ok(Err(error)) => tracing::warn!(%error, "the span flush did not run"),
        Err(_) => tracing::warn!(
            timeout_ms = FLUSH_TIMEOUT.as_millis(),
            "the collector did not take this invocation's spans in time; answering without waiting"
        ),
    }
    output
}
