//! Mercado Pago as the payment provider: Pix charges through the Payments API
//! (`POST /v1/payments`, `payment_method_id = pix`), payments fetched by id, charges cancelled
//! with `PUT /v1/payments/{id}`, notifications authenticated by their `x-signature`.
//! `docs/payments.md` says why Pix through the Payments API rather than the in-store QR API.

pub mod client;
pub mod signature;
pub mod wire;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret;

use crate::adapters::payment_metrics::ProviderMetrics;
use crate::application::error::because;
use crate::application::payments::model::{Charge, ChargeRequest, ProviderPayment};
use crate::application::payments::notification::Notification;
use crate::application::payments::provider::{PaymentProvider, ProviderError, VerificationError};
use crate::configuration::payments::MercadoPagoSettings;
use client::{ApiClient, ApiRequest};
use wire::{CancelPayment, CreatePixPayment, ErrorBody, Payer, PaymentResource};

/// The name stored in `payments.provider`.
pub const PROVIDER_NAME: &str = "mercadopago";

/// The Mercado Pago adapter.
#[derive(Clone)]
pub struct MercadoPagoProvider {
    api: ApiClient,
    payer_email: String,
    notification_url: Option<String>,
}

impl MercadoPagoProvider {
    /// The adapter for `settings`, counting every HTTP attempt into `metrics`.
    pub fn new(
        settings: &MercadoPagoSettings,
        metrics: ProviderMetrics,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            api: ApiClient::new(
                settings.api_base_url.clone(),
                settings.credentials.clone(),
                settings.request_timeout,
                settings.max_attempts,
                settings.retry_backoff,
                metrics,
            )?,
            payer_email: settings.payer_email.clone(),
            notification_url: settings.notification_url.clone(),
        })
    }
}

#[async_trait]
impl PaymentProvider for MercadoPagoProvider {
    fn name(&self) -> &'static str {
        PROVIDER_NAME
    }

    async fn create_charge(&self, request: &ChargeRequest) -> Result<Charge, ProviderError> {
        let body = CreatePixPayment {
            transaction_amount: request.amount,
            description: &request.description,
            payment_method_id: "pix",
            external_reference: request.order_id.to_string(),
            date_of_expiration: wire::expiration_date(wire::pix_expiration(
                request.expires_at,
                Utc::now(),
            )),
            payer: Payer {
                email: &self.payer_email,
            },
            notification_url: self.notification_url.as_deref(),
        };
        let response = self
            .api
            .send(&ApiRequest {
                operation: "create_payment",
                method: Method::POST,
                path: "/v1/payments".to_owned(),
                body: Some(&body),
                idempotency_key: Some(request.payment_id.to_string()),
            })
            .await?;
        let resource: PaymentResource = read(response).await?;
        let provider_payment_id = resource
            .id_text()
            .ok_or_else(|| ProviderError::Unexpected("payment without an id".into()))?;
        let qr_code_base64 = resource.qr_code_base64();
        match resource.qr_code() {
            (Some(qr_data), qr_code_url) => Ok(Charge {
                provider_payment_id,
                qr_data,
                qr_code_url,
                qr_code_base64,
            }),
            (None, _) => Err(ProviderError::Unexpected(
                "Pix payment without point_of_interaction.transaction_data.qr_code".into(),
            )),
        }
    }

    async fn fetch_payment(
        &self,
        provider_payment_id: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        // The id came from a (verified) notification; it still only goes into the path
        // when it is a plain token, so it can never reshape the URL.
        if !is_plain_id(provider_payment_id) {
            return Err(ProviderError::NotFound);
        }
        let response = self
            .api
            .send::<()>(&ApiRequest {
                operation: "get_payment",
                method: Method::GET,
                path: format!("/v1/payments/{provider_payment_id}"),
                body: None,
                idempotency_key: None,
            })
            .await?;
        let resource: PaymentResource = read(response).await?;
        resource
            .into_provider_payment()
            .ok_or_else(|| ProviderError::Unexpected("payment without an id".into()))
    }

    async fn cancel_charge(&self, provider_payment_id: &str) -> Result<(), ProviderError> {
        if !is_plain_id(provider_payment_id) {
            return Err(ProviderError::NotFound);
        }
        let response = self
            .api
            .send(&ApiRequest {
                operation: "cancel_payment",
                method: Method::PUT,
                path: format!("/v1/payments/{provider_payment_id}"),
                body: Some(&CancelPayment {
                    status: "cancelled",
                }),
                idempotency_key: None,
            })
            .await?;
        read::<serde_json::Value>(response).await.map(|_| ())
    }

    async fn verify_notification(
        &self,
        notification: &Notification,
        now: DateTime<Utc>,
    ) -> Result<(), VerificationError> {
        // Without the secret nothing can be verified, and nothing is known to be forged
        // either: an error the webhook answers with 503, so Mercado Pago retries.
        let credentials = self
            .api
            .credentials()
            .await
            .map_err(VerificationError::SecretUnavailable)?;
        Ok(signature::verify(
            credentials.webhook_secret.expose_secret().as_bytes(),
            notification,
            now,
        )?)
    }
}

/// Digits, letters, `-` and `_`, at most 64 characters.
fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

/// The JSON of a successful answer; 404 is `NotFound`, other 4xx are `Refused` with
/// Mercado Pago's message.
async fn read<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ProviderError> {
    let status = response.status();
    if status.is_success() {
        return response
            .json::<T>()
            .await
            .map_err(|error| ProviderError::Unexpected(because("unreadable answer", error)));
    }
    if status == StatusCode::NOT_FOUND {
        return Err(ProviderError::NotFound);
    }
    let message = response
        .json::<ErrorBody>()
        .await
        .ok()
        .and_then(|body| body.message)
        .unwrap_or_default();
    Err(ProviderError::Refused(
        format!("HTTP {}: {message}", status.as_u16()).into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_reach_a_url() {
        assert!(is_plain_id("5466310457"));
        assert!(is_plain_id("ORD01JQ4S4KY8HWQ6NA5PXB65B3D3"));
        assert!(!is_plain_id(""));
        assert!(!is_plain_id("1/../../v1/users"));
        assert!(!is_plain_id("1?x=y"));
        assert!(!is_plain_id(&"9".repeat(65)));
    }
}
