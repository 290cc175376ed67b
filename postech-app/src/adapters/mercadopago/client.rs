//! The HTTP side of the Mercado Pago adapter: bearer authentication, timeouts and bounded
//! retries (`backon`: exponential backoff with jitter, `Retry-After` honoured) on timeouts,
//! connection failures, 5xx and 429.
//!
//! Retrying a `POST /v1/payments` is safe because every charge carries an
//! `X-Idempotency-Key` (our payment id): Mercado Pago answers a repeat with the payment it
//! already created.
//!
//! Each attempt is a span (`mercadopago <operation>`, a client span with the method, the
//! path, the attempt and the answer's status) and a count of
//! `payment_provider_requests_total{operation, outcome}`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use postech_shared_sdk::secrets::{CachedSecret, MercadoPagoSecret};
use reqwest::{Client, Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde::Serialize;
use tracing::Instrument as _;

use crate::adapters::payment_metrics::{CallOutcome, ProviderMetrics};
use crate::application::error::{Cause, ErrorChain, because};
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
            .map_err(|error| ProviderError::Unexpected(because("HTTP client", error)))?;
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
            .map_err(|error| ProviderError::Unavailable(because("credentials", error)))
    }

    /// Sends `request`, retrying transient failures (timeouts, failed connections, 5xx,
    /// 429) with exponential backoff and jitter (`backon`), waiting at least what a
    /// `Retry-After` asks; the answer of the last attempt, or `Unavailable` when every
    /// attempt failed transiently or the provider asked for a longer wait than a request can
    /// afford ([`MAX_RETRY_AFTER`]: the caller's 503 then carries its own retry hint).
    pub async fn send<B: Serialize>(
        &self,
        request: &ApiRequest<'_, B>,
    ) -> Result<Response, ProviderError> {
        let url = format!("{}{}", self.base_url, request.path);
        let attempts = AtomicU32::new(0);
        let retries = usize::try_from(self.max_attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.retry_backoff)
            .with_max_delay(self.retry_backoff.saturating_mul(64))
            .with_max_times(retries)
            .with_jitter();
        let sent = (|| self.attempt(request, &url, attempts.fetch_add(1, Ordering::Relaxed) + 1))
            .retry(backoff)
            .when(|failure| matches!(failure, AttemptFailure::Transient { .. }))
            .adjust(retry_delay)
            .notify(|failure, delay| {
                tracing::warn!(
                    max_attempts = self.max_attempts,
                    path = %request.path,
                    failure = %failure,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "Mercado Pago call failed, retrying"
                );
            })
            .await;
        sent.map_err(|failure| match failure {
            AttemptFailure::Transient { failure, .. } => ProviderError::Unavailable(because(
                format!("{} attempts", attempts.load(Ordering::Relaxed)),
                failure,
            )),
            AttemptFailure::Final(error) => error,
        })
    }

    /// One attempt: a span and a count of its outcome.
    async fn attempt<B: Serialize>(
        &self,
        request: &ApiRequest<'_, B>,
        url: &str,
        attempt: u32,
    ) -> Result<Response, AttemptFailure> {
        // Read per attempt: a rotated token reaches the next attempt.
        let credentials = self.credentials().await.map_err(AttemptFailure::Final)?;
        let mut builder = self
            .http
            .request(request.method.clone(), url)
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
            Ok(response) if is_transient(response.status()) => Err(AttemptFailure::Transient {
                failure: format!("HTTP {}", response.status().as_u16()).into(),
                retry_after: retry_after(&response),
            }),
            Ok(response) => Ok(response),
            // reqwest's errors name the URL (never the token, which is a header).
            Err(error) if error.is_timeout() || error.is_connect() || error.is_request() => {
                Err(AttemptFailure::Transient {
                    failure: error.into(),
                    retry_after: None,
                })
            }
            Err(error) => Err(AttemptFailure::Final(ProviderError::Unexpected(
                error.into(),
            ))),
        }
    }
}

/// The longest `Retry-After` honoured within one request: a longer one gives up at once
/// (503 with our own retry hint) instead of holding the caller's request that long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Why one attempt gave no answer to return.
#[derive(Debug)]
enum AttemptFailure {
    /// Worth another attempt, after at least `retry_after` when the provider said so.
    Transient {
        failure: Cause,
        retry_after: Option<Duration>,
    },
    /// Not worth another attempt.
    Final(ProviderError),
}

impl std::fmt::Display for AttemptFailure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttemptFailure::Transient { failure, .. } => {
                write!(formatter, "{}", ErrorChain(failure.as_ref()))
            }
            AttemptFailure::Final(error) => write!(formatter, "{}", ErrorChain(error)),
        }
    }
}

/// The wait before the next attempt: the backoff's, or what the provider's `Retry-After`
/// asked when that is longer; `None` (no further attempt) when the backoff is spent or the
/// provider asked for more than [`MAX_RETRY_AFTER`].
fn retry_delay(failure: &AttemptFailure, planned: Option<Duration>) -> Option<Duration> {
    let planned = planned?;
    match failure {
        AttemptFailure::Transient {
            retry_after: Some(asked),
            ..
        } if *asked > MAX_RETRY_AFTER => None,
        AttemptFailure::Transient {
            retry_after: Some(asked),
            ..
        } => Some(planned.max(*asked)),
        _ => Some(planned),
    }
}

/// A `Retry-After` in seconds (the form Mercado Pago sends); a date form is ignored, the
/// backoff applies.
fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Worth another attempt: the server failed or asked us to slow down.
fn is_transient(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient(retry_after: Option<u64>) -> AttemptFailure {
        AttemptFailure::Transient {
            failure: "HTTP 429".into(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn retry_after_lengthens_the_backoff_and_a_long_one_gives_up() {
        let planned = Some(Duration::from_millis(100));
        assert_eq!(retry_delay(&transient(None), planned), planned);
        assert_eq!(
            retry_delay(&transient(Some(2)), planned),
            Some(Duration::from_secs(2))
        );
        assert_eq!(retry_delay(&transient(Some(0)), planned), planned);
        assert_eq!(retry_delay(&transient(Some(60)), planned), None);
        assert_eq!(
            retry_delay(&transient(Some(2)), None),
            None,
            "backoff spent"
        );
    }

    #[test]
    fn server_errors_and_throttling_are_transient_client_errors_are_not() {
        assert!(is_transient(StatusCode::BAD_GATEWAY));
        assert!(is_transient(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_transient(StatusCode::BAD_REQUEST));
        assert!(!is_transient(StatusCode::NOT_FOUND));
        assert!(!is_transient(StatusCode::CREATED));
    }
}
