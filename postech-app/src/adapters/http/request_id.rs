//! A request id on every request, every response (`x-request-id`) and every log line.
//!
//! The id comes from the caller's `x-request-id` when it is a short token (the gateway sets
//! one), else a fresh UUID. The request runs inside a `http_request` span carrying the id, so
//! every event logged while handling it carries the id too; the span records the route
//! *pattern*, never the raw path, which may contain a CPF (`/admin/clientes/{cpf}`).

use std::future::{Ready, ready};
use std::rc::Rc;
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage};
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;

/// Header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The route of requests that matched no route (as in the metrics).
const UNMATCHED_ROUTE: &str = "unmatched";

/// Longest caller-supplied id we adopt; longer ones are replaced by our own.
const MAX_INBOUND_ID_LENGTH: usize = 64;

tokio::task_local! {
    static CURRENT_REQUEST_ID: RequestId;
}

/// The id of one request, also stored in the request's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    fn from_inbound(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|value| value.to_str().ok())
            .filter(|text| is_acceptable_inbound_id(text))
            .map(|text| Self(text.to_owned()))
            .unwrap_or_else(|| Self(uuid::Uuid::new_v4().to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the request being handled on this task, if any (used by the 500 body).
    pub fn current() -> Option<Self> {
        CURRENT_REQUEST_ID.try_with(Clone::clone).ok()
    }
}

/// Only short ids of safe characters, so a caller cannot inject markup or line breaks into
/// our logs through the header.
fn is_acceptable_inbound_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_INBOUND_ID_LENGTH
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// Middleware assigning the request id, opening the request span and logging each answer.
pub struct AssignRequestId;

impl<S, B> Transform<S, ServiceRequest> for AssignRequestId
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = AssignRequestIdMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AssignRequestIdMiddleware {
            service: Rc::new(service),
        }))
    }
}

/// The per-worker instance of [`AssignRequestId`].
pub struct AssignRequestIdMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for AssignRequestIdMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let request_id = RequestId::from_inbound(request.headers().get(REQUEST_ID_HEADER));
        request.extensions_mut().insert(request_id.clone());
        // The root span of the request's trace, named `<METHOD> <route pattern>`
        // (OpenTelemetry's HTTP server convention) with the request id: the pattern is looked
        // up before the span starts, because its exported name is fixed then. The trailing
        // slash was trimmed already (TrimTrailingSlash runs first), so `/x/` finds `/x`.
        // The resource map's lookup by path, not the request's `match_pattern()`: before
        // routing, the latter records a resource path on the request that routing then trips
        // over (Swagger UI's nested service answers 404).
        let route = request
            .resource_map()
            .match_pattern(request.path())
            .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
        let span = tracing::info_span!(
            "http_request",
            otel.name = %format!("{} {route}", request.method()),
            otel.kind = "server",
            request_id = %request_id.as_str(),
            method = %request.method(),
            route = %route,
            status = tracing::field::Empty,
        );
        continue_trace(&span, &request);
        let service = Rc::clone(&self.service);
        let started = Instant::now();
        let scoped_id = request_id.clone();
        let handled = async move {
            let mut response = service.call(request).await?;
            let status = response.status().as_u16();
            tracing::Span::current().record("status", status);
            if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
            }
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            if status >= 500 {
                tracing::error!(elapsed_ms, "request failed");
            } else {
                tracing::info!(elapsed_ms, "request answered");
            }
            Ok(response)
        };
        Box::pin(CURRENT_REQUEST_ID.scope(scoped_id, handled.instrument(span)))
    }
}

/// Joins the upstream trace so the request span is part of it: behind the API Gateway its
/// X-Ray context (`X-Amzn-Trace-Id`, the trace the authorizer's span is on; the gateway
/// overwrites a client's `traceparent`), inside the cluster and locally W3C `traceparent`/
/// `tracestate` (the SDK's `set_parent_from_headers` decides). The request id stays the
/// gateway's `x-request-id`. Whatever the caller's sampled flag, the SDK's sampler decides by
/// its own ratio. The SDK speaks `http` 1.x headers; actix has its own header type, hence the
/// copy of the three headers.
fn continue_trace(span: &tracing::Span, request: &ServiceRequest) {
    let mut headers = http::HeaderMap::new();
    for name in [
        "traceparent",
        "tracestate",
        postech_shared_sdk::telemetry::XRAY_TRACE_HEADER,
    ] {
        if let Some(value) = request
            .headers()
            .get(name)
            .and_then(|value| http::HeaderValue::from_bytes(value.as_bytes()).ok())
        {
            headers.insert(http::HeaderName::from_static(name), value);
        }
    }
    if !headers.is_empty() {
        postech_shared_sdk::telemetry::set_parent_from_headers(span, &headers);
    }
}
