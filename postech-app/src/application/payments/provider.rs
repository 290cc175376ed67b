//! The one port of the app: the payment provider, with two implementations — Mercado Pago
//! (`adapters::mercadopago`) and the simulated provider of local runs
//! (`adapters::simulated_payments`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::application::error::Cause;
use crate::application::payments::model::{Charge, ChargeRequest, ProviderPayment};
use crate::application::payments::notification::{Notification, SignatureError};

/// Why the provider could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// It did not answer in time, or answered 5xx/429 on every attempt: try again later.
    #[error("payment provider unavailable")]
    Unavailable(#[source] Cause),
    /// It does not know this payment.
    #[error("payment unknown to the provider")]
    NotFound,
    /// It refused the request (4xx): a configuration or state problem, not worth retrying.
    #[error("payment provider refused the request")]
    Refused(#[source] Cause),
    /// It answered something this client cannot read.
    #[error("unexpected answer from the payment provider")]
    Unexpected(#[source] Cause),
}

/// Why a notification could not be authenticated.
#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    /// The signature is missing, malformed, wrong or stale: the notification is refused.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The webhook secret could not be loaded (Secrets Manager unreachable): nothing is known
    /// about the signature yet, so the provider must retry later — this is no forgery.
    #[error("webhook secret unavailable")]
    SecretUnavailable(#[source] ProviderError),
}

/// A payment provider: creates QR charges, answers for its payments, authenticates its
/// notifications.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// The stored name of the provider (`payments.provider`): `mercadopago` or `simulated`.
    fn name(&self) -> &'static str;

    /// Creates a QR charge. Safe to retry: the payment id is the idempotency key.
    async fn create_charge(&self, request: &ChargeRequest) -> Result<Charge, ProviderError>;

    /// The provider's current account of one of its payments.
    async fn fetch_payment(
        &self,
        provider_payment_id: &str,
    ) -> Result<ProviderPayment, ProviderError>;

    /// Cancels a charge that must not be paid any more (expired, or orphaned).
    async fn cancel_charge(&self, provider_payment_id: &str) -> Result<(), ProviderError>;

    /// Checks that a notification was signed with the webhook secret, recently.
    async fn verify_notification(
        &self,
        notification: &Notification,
        now: DateTime<Utc>,
    ) -> Result<(), VerificationError>;
}
