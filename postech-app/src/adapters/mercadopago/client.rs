//! The HTTP side of the Mercado Pago adapter: bearer authentication, timeouts and bounded
//! retries with exponential backoff on timeouts, connection failures, 5xx and 429.
//!
//! Retrying a `POST /v1/payments` is safe because every charge carries an
//! `X-Idempotency-Key` (our payment id): Mercado Pago answers a repeat with the payment it
//! already created.
//!
//! Each attempt is a span (`mercadopago <operation>`, a client span with the method, the
//! path, the attempt and the answer's status) and a count of
//! `payment_provider_requests_total{operation, outcome}`.

use std::time::Duration;

use postech_shared_sdk::secrets::{CachedSecret, MercadoPagoSecret};
use reqwest::{Client, Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde::Serialize;
use tracing::Instrument as _;

use crate::adapters::payment_metrics::{CallOutcome, ProviderMetrics};
use crate::application::payments::provider::ProviderError;

/// Connection set-up is bounded separately: an unreachable host fails fast and is retried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A request to send (and, when needed, send again).
pub struct ApiRequest<'a, B: Serialize> {
    /// What the call does (`create_payment`, `get_payment`, `cancel_payment`): the metric
    /// label and the span's name.
    pub operation: &'static str,
    /// The method.
    pub method: Method,
    /// The path under the API base, e.g. `/v1/payments/123`.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<&'a B>,
    /// The idempotency key, for requests that create something.
    pub idempotency_key: Option<String>,
}

/// Mercado Pago's API over HTTPS.
#[derive(Clone)]
pub struct ApiClient {
    http: Client,
    base_url: String,
    credentials: CachedSecret<MercadoPagoSecret>,
    max_attempts: u32,
    retry_backoff: Duration,
    metrics: ProviderMetrics,
}

impl ApiClient {
    /// A client of the API at `base_url` (no trailing slash).
    pub fn new(
        base_url: String,
        credentials: CachedSecret<MercadoPagoSecret>,
        request_timeout: Duration,
        max_attempts: u32,
        retry_backoff: Duration,
        metrics: ProviderMetrics,
    ) -> Result<Self, ProviderError> {
        let http = Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(request_timeout)
            .user_agent(concat!("postech-app/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ProviderError::Unexpected(format!("HTTP client: {error}")))?;
        Ok(Self {
            http,
            base_url,
            credentials,
            max_attempts: max_attempts.max(1),
            retry_backoff,
            metrics,
        })
    }

    /// The webhook secret, current.
    pub async fn credentials(&self) -> Result<std::sync::Arc<MercadoPagoSecret>, ProviderError> {
        self.credentials
            .get()
            .await
            .map_err(|error| ProviderError::Unavailable(format!("credentials: {error}")))
    }

    /// Sends `request`, retrying transient failures; the answer of the last attempt, or
    /// `Unavailable` when every attempt failed transiently.
    pub async fn send<B: Serialize>(
        &self,
        request: &ApiRequest<'_, B>,
    ) -> Result<Response, ProviderError> {
        let url = format!("{}{}", self.base_url, request.path);
        let mut last_failure = String::new();
        for attempt in 1..=self.max_attempts {
            if attempt > 1 {
                tokio::time::sleep(self.backoff(attempt)).await;
            }
            // Read per attempt: a rotated token reaches the next attempt.
            let credentials = self.credentials().await?;
            let mut builder = self
                .http
                .request(request.method.clone(), &url)
                .bearer_auth(credentials.access_token.expose_secret());
            if let Some(key) = &request.idempotency_key {
                builder = builder.header("X-Idempotency-Key", key);
            }
            if let Some(body) = request.body {
                builder = builder.json(body);
            }
            let span = tracing::info_span!(
                "mercadopago",
                otel.name = %format!("mercadopago {}", request.operation),
                otel.kind = "client",
                payment.operation = request.operation,
                http.request.method = %request.method,
                url.path = %request.path,
                attempt,
                http.response.status_code = tracing::field::Empty,
                outcome = tracing::field::Empty,
            );
            let sent = builder.send().instrument(span.clone()).await;
            let outcome = match &sent {
                Ok(response) => CallOutcome::of_status(response.status().as_u16()),
                Err(error) if error.is_timeout() => CallOutcome::Timeout,
                Err(_) => CallOutcome::Transport,
            };
            if let Ok(response) = &sent {
                span.record("http.response.status_code", response.status().as_u16());
            }
            span.record("outcome", outcome.label());
            self.metrics.observe(request.operation, outcome);
            match sent {
                Ok(response) if is_transient(response.status()) => {
                    last_failure = format!("HTTP {}", response.status().as_u16());
                }
                Ok(response) => return Ok(response),
                // reqwest's errors name the URL (never the token, which is a header).
                Err(error) if error.is_timeout() || error.is_connect() || error.is_request() => {
                    last_failure = error.to_string();
                }
                Err(error) => return Err(ProviderError::Unexpected(error.to_string())),
            }
            tracing::warn!(
                attempt,
                max_attempts = self.max_attempts,
                path = %request.path,
                failure = %last_failure,
                "Mercado Pago call failed"
            );
        }
        Err(ProviderError::Unavailable(format!(
            "{} attempts: {last_failure}",
            self.max_attempts
        )))
    }

    /// Exponential: backoff, 2×backoff, 4×backoff, ... before attempts 2, 3, 4, ...
    fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(2).min(6);
        self.retry_backoff.saturating_mul(1 << doublings)
    }
}

/// Worth another attempt: the server failed or asked us to slow down.
fn is_transient(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_and_throttling_are_transient_client_errors_are_not() {
        assert!(is_transient(StatusCode::BAD_GATEWAY));
        assert!(is_transient(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_transient(StatusCode::BAD_REQUEST));
        assert!(!is_transient(StatusCode::NOT_FOUND));
        assert!(!is_transient(StatusCode::CREATED));
    }
}
