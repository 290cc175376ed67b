//! Prometheus metrics of the HTTP server: a request counter and a latency histogram, both
//! labelled by the matched route *pattern* (`/v1/api/pedidos/{order_id}`), never the raw path —
//! raw paths would explode the label cardinality and could carry a CPF.
//!
//! Kept over `actix-web-prom` 0.10 (prometheus 0.14, names and labels configurable): it
//! observes a request when its body ends, so the hours-long kitchen event stream would fill
//! the `+Inf` bucket the p99 alerts read.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::time::Instant;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use futures_util::future::LocalBoxFuture;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// Label used for requests that matched no route, so scanners cannot mint new series.
const UNMATCHED_ROUTE: &str = "unmatched";

/// Latency buckets in seconds, dense below 50 ms where the service is expected to answer.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The registry and the HTTP series; cheap to clone (the collectors are reference counted).
#[derive(Clone)]
pub struct HttpMetrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

/// Why the metrics could not be registered (a duplicate or malformed name: a programming error).
#[derive(Debug, thiserror::Error)]
#[error("cannot register the HTTP metrics")]
pub struct MetricsSetupError(#[from] prometheus::Error);

impl HttpMetrics {
    /// Creates the series in a registry of their own, so parallel tests never share counters.
    pub fn new() -> Result<Self, MetricsSetupError> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by route pattern and status.",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer an HTTP request, by route pattern and status.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route", "status"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
        })
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    /// The registry `/metrics` renders, for other series (payments) to join.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The registry in the Prometheus text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        String::from_utf8(buffer).map_err(|error| prometheus::Error::Msg(error.to_string()))
    }
}

/// Middleware recording every request into [`HttpMetrics`].
pub struct RecordMetrics(pub HttpMetrics);

impl<S, B> Transform<S, ServiceRequest> for RecordMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RecordMetricsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RecordMetricsMiddleware {
            service: Rc::new(service),
            metrics: self.0.clone(),
        }))
    }
}

/// The per-worker instance of [`RecordMetrics`].
pub struct RecordMetricsMiddleware<S> {
    service: Rc<S>,
    metrics: HttpMetrics,
}

impl<S, B> Service<ServiceRequest> for RecordMetricsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let service = Rc::clone(&self.service);
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let method = request.method().as_str().to_owned();
            let response = service.call(request).await?;
            // The pattern is known only once the router has run, i.e. on the way back.
            let route = response.request().match_pattern();
            metrics.observe(
                &method,
                route.as_deref().unwrap_or(UNMATCHED_ROUTE),
                response.status().as_u16(),
                started.elapsed().as_secs_f64(),
            );
            Ok(response)
        })
    }
}
