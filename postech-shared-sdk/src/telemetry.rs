//! JSON logs and OpenTelemetry traces, set up the same way in every postech process.
//!
//! [`init`] installs a global `tracing` subscriber that writes one JSON object per event to
//! stdout, filtered by `RUST_LOG`, and records spans as OpenTelemetry spans. Spans are exported
//! over OTLP/HTTP (protobuf) in batches when an endpoint is configured (Jaeger ingests OTLP on
//! port 4318); without one they still get W3C trace ids, so context coming from the gateway
//! is carried on to downstream calls even when nothing is exported. The W3C TraceContext
//! propagator is installed globally; [`extract_trace_context`] and friends move the context
//! in and out of HTTP headers, [`extract_upstream_trace_context_with`] also reads the AWS
//! X-Ray header the API Gateway and the Lambda runtime speak.
//!
//! **Sampling never trusts the caller.** A `traceparent` (or `X-Amzn-Trace-Id`) with the
//! sampled flag set could come from any client on the internet, and a flood of them would
//! force every span of every service to be recorded and exported. So a span whose parent is
//! *remote* is sampled by the process's own ratio ([`TelemetryConfig::sampling_ratio`],
//! `OTEL_TRACES_SAMPLER_ARG`), whatever the parent's flag says, and a span whose parent is in
//! the same process follows its parent. The ratio decides on the trace id alone
//! (`TraceIdRatioBased`), so the authorizer and the app, given the same ratio, keep or drop
//! the same traces whole: a trace stays connected without anyone trusting a flag.

mod propagation;

pub use propagation::{
    XRAY_TRACE_HEADER, extract_trace_context, extract_trace_context_with,
    extract_upstream_trace_context_with, extract_xray_trace_context, inject_current_trace_context,
    inject_trace_context, inject_trace_context_with, set_parent_from_headers, set_parent_from_xray,
};

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{ParentBasedSampler, Sampler, SdkTracerProvider};
use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::{Layer as _, Registry};

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// The sampling ratio used when `OTEL_TRACES_SAMPLER_ARG` is not set: every trace.
pub const DEFAULT_SAMPLING_RATIO: f64 = 1.0;

/// The variable holding the sampling ratio (the OpenTelemetry specification's name).
pub const SAMPLING_RATIO_ENV: &str = "OTEL_TRACES_SAMPLER_ARG";

/// How a process reports: its identity in traces, its log filter and where spans go.
#[derive(Debug, Clone, PartialEq)]
pub struct TelemetryConfig {
    /// `service.name` of the spans, e.g. `postech-app`.
    pub service_name: String,
    /// `service.version` of the spans, usually `env!("CARGO_PKG_VERSION")`.
    pub service_version: String,
    /// An [`EnvFilter`] directive string, e.g. `info,postech_app=debug`.
    pub log_filter: String,
    /// Base URL of an OTLP/HTTP receiver, e.g. `http://jaeger:4318`; spans go to
    /// `<base>/v1/traces`. `None` exports nothing.
    pub otlp_endpoint: Option<String>,
    /// The share of traces recorded, from 0.0 to 1.0, decided on the trace id (see the module
    /// documentation: the caller's sampled flag is never followed).
    pub sampling_ratio: f64,
}

impl TelemetryConfig {
    /// Reads `RUST_LOG` (default [`DEFAULT_LOG_FILTER`]), `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (unset or empty: no export) and `OTEL_TRACES_SAMPLER_ARG` (the sampling ratio, default
    /// [`DEFAULT_SAMPLING_RATIO`]; a value that is not a number fails [`init`]) from the process
    /// environment.
    ///
    /// ```
    /// use postech_shared_sdk::telemetry::TelemetryConfig;
    ///
    /// let config = TelemetryConfig::from_env("postech-app", env!("CARGO_PKG_VERSION"));
    /// assert_eq!(config.service_name, "postech-app");
    /// ```
    pub fn from_env(service_name: impl Into<String>, service_version: impl Into<String>) -> Self {
        Self::from_lookup(service_name, service_version, |name| {
            std::env::var(name).ok()
        })
    }

    fn from_lookup(
        service_name: impl Into<String>,
        service_version: impl Into<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let non_empty = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        Self {
            service_name: service_name.into(),
            service_version: service_version.into(),
            log_filter: non_empty("RUST_LOG").unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned()),
            otlp_endpoint: non_empty("OTEL_EXPORTER_OTLP_ENDPOINT"),
            // Not a number: NaN, which `build_subscriber` refuses naming the variable.
            sampling_ratio: non_empty(SAMPLING_RATIO_ENV).map_or(DEFAULT_SAMPLING_RATIO, |value| {
                value.trim().parse().unwrap_or(f64::NAN)
            }),
        }
    }
}

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The log filter does not parse.
    #[error("invalid log filter `{filter}`: {reason}")]
    InvalidLogFilter {
        /// The directive string given.
        filter: String,
        /// The parser's explanation.
        reason: String,
    },
    /// The OTLP exporter could not be built (e.g. a malformed endpoint).
    #[error("cannot build the OTLP span exporter: {0}")]
    Exporter(String),
    /// The sampling ratio is not a number from 0 to 1.
    #[error("invalid sampling ratio {0} (OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1)")]
    InvalidSamplingRatio(f64),
    /// Flushing the queued spans failed (the receiver did not take them).
    #[error("cannot flush the queued spans: {0}")]
    Flush(String),
    /// A global subscriber is already installed in this process.
    #[error("a global tracing subscriber is already installed")]
    AlreadyInitialized,
}

/// Keeps the tracer provider alive; dropping it flushes the spans still queued and shuts the
/// exporter down. Hold it in `main` until the process ends.
#[derive(Debug)]
#[must_use = "dropping the guard shuts tracing down"]
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
    exports_traces: bool,
}

impl TelemetryGuard {
    /// Whether spans are exported (an OTLP endpoint was configured).
    pub fn exports_traces(&self) -> bool {
        self.exports_traces
    }

    /// A handle that exports the queued spans on demand, for processes that may be frozen
    /// between two units of work (a Lambda function between invocations).
    pub fn span_flusher(&self) -> SpanFlusher {
        SpanFlusher {
            provider: self.provider.clone(),
        }
    }
}

/// Exports the spans ended so far and waits until the receiver has taken them. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SpanFlusher {
    provider: SdkTracerProvider,
}

impl SpanFlusher {
    /// Blocks the calling thread until every span ended so far is exported (at most the
    /// exporter's timeout). From async code, call it on a blocking thread
    /// (`tokio::task::spawn_blocking`). Without an endpoint it returns at once.
    pub fn flush(&self) -> Result<(), TelemetryError> {
        self.provider
            .force_flush()
            .map_err(|error| TelemetryError::Flush(error.to_string()))
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            // The subscriber may already be gone at this point: stderr is the one sure channel.
            eprintln!("telemetry shutdown failed, some spans may be lost: {error}");
        }
    }
}

/// Installs JSON logs to stdout and OpenTelemetry tracing for the whole process.
///
/// ```no_run
/// use postech_shared_sdk::telemetry::{init, TelemetryConfig};
///
/// let _telemetry = init(TelemetryConfig::from_env("postech-app", env!("CARGO_PKG_VERSION")))
///     .expect("telemetry set up");
/// tracing::info!("started");
/// ```
pub fn init(config: TelemetryConfig) -> Result<TelemetryGuard, TelemetryError> {
    init_with_writer(config, std::io::stdout)
}

/// Like [`init`], with log lines going to `writer`, so tests can capture and inspect them.
pub fn init_with_writer<W>(
    config: TelemetryConfig,
    writer: W,
) -> Result<TelemetryGuard, TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let (subscriber, guard) = build_subscriber(&config, writer)?;
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| TelemetryError::AlreadyInitialized)?;
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(guard.provider.clone());
    Ok(guard)
}

/// Builds the subscriber [`init_with_writer`] would install, without installing it, for
/// `tracing::subscriber::with_default` in tests that must not touch global state.
pub fn build_subscriber<W>(
    config: &TelemetryConfig,
    writer: W,
) -> Result<(Box<dyn Subscriber + Send + Sync>, TelemetryGuard), TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&config.log_filter).map_err(|error| {
        TelemetryError::InvalidLogFilter {
            filter: config.log_filter.clone(),
            reason: error.to_string(),
        }
    })?;
    if !(0.0..=1.0).contains(&config.sampling_ratio) {
        return Err(TelemetryError::InvalidSamplingRatio(config.sampling_ratio));
    }
    let resource = Resource::builder()
        .with_service_name(config.service_name.clone())
        .with_attribute(KeyValue::new(
            "service.version",
            config.service_version.clone(),
        ))
        .build();
    let mut provider = SdkTracerProvider::builder()
        .with_resource(resource)
        .with_sampler(sampler(config.sampling_ratio));
    if let Some(endpoint) = &config.otlp_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(traces_endpoint(endpoint))
            .build()
            .map_err(|error| TelemetryError::Exporter(error.to_string()))?;
        provider = provider.with_batch_exporter(exporter);
    }
    let provider = provider.build();
    let tracer = provider.tracer(config.service_name.clone());

    let json_logs = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer);
    // The exporter's own HTTP stack logs through `tracing` too; turning those events into
    // spans would feed the exporter with its own activity.
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(filter_fn(|metadata| {
            !is_exporter_internal(metadata.target()) && !is_lambda_runtime(metadata.target())
        }));
    let subscriber = Registry::default().with(filter).with(json_logs).with(spans);
    let guard = TelemetryGuard {
        provider,
        exports_traces: config.otlp_endpoint.is_some(),
    };
    Ok((Box::new(subscriber), guard))
}

/// The ratio decides for a new trace and for one continued from another process; a span
/// created under a parent of this process follows its parent. `ParentBased`'s default would
/// follow a remote parent's sampled flag: the client's choice, not ours.
fn sampler(ratio: f64) -> ParentBasedSampler {
    let own_decision = || Sampler::TraceIdRatioBased(ratio);
    Sampler::parent_based(own_decision())
        .with_remote_parent_sampled(own_decision())
        .with_remote_parent_not_sampled(own_decision())
}

/// The OTLP/HTTP signal URL for a base endpoint, as the OpenTelemetry specification builds it
/// from `OTEL_EXPORTER_OTLP_ENDPOINT`.
fn traces_endpoint(base: &str) -> String {
    format!("{}/v1/traces", base.trim_end_matches('/'))
}

/// `lambda_runtime`'s per-invocation span would be a root of its own, in a trace of its own:
/// the functions open their invocation span on the gateway's trace instead (its X-Ray
/// context), so the runtime's spans stay in the logs only.
fn is_lambda_runtime(target: &str) -> bool {
    target.starts_with("lambda_runtime")
}

fn is_exporter_internal(target: &str) -> bool {
    ["opentelemetry", "hyper", "reqwest", "h2", "tower", "rustls"]
        .iter()
        .any(|prefix| target.starts_with(prefix))
}

#[cfg(test)]
mod tests;
