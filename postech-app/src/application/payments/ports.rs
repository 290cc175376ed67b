//! The ports of the payment use cases: the provider (Mercado Pago or the simulated one),
//! the storage, the local simulator and the metrics.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::application::error::PortError;
use crate::application::payments::model::{
    ApplyOutcome, Attachment, Charge, ChargeRequest, ExpiredPayment, PayableOrder, ProviderPayment,
    Reservation, StoredPayment, UnpaidOrderSweep,
};
use crate::application::payments::notification::{Notification, SignatureError};
use crate::domain::ids::{OrderId, PaymentId};
use crate::domain::order::PaymentStatus;

/// Why the provider could not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// It did not answer in time, or answered 5xx/429 on every attempt: try again later.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// It does not know this payment.
    #[error("payment unknown to the provider")]
    NotFound,
    /// It refused the request (4xx): a configuration or state problem, not worth retrying.
    #[error("payment provider refused the request: {0}")]
    Refused(String),
    /// It answered something this client cannot read.
    #[error("unexpected answer from the payment provider: {0}")]
    Unexpected(String),
}

/// Why a notification could not be authenticated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    /// The signature is missing, malformed, wrong or stale: the notification is refused.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The webhook secret could not be loaded (Secrets Manager unreachable): nothing is known
    /// about the signature yet, so the provider must retry later — this is no forgery.
    #[error("webhook secret unavailable: {0}")]
    SecretUnavailable(ProviderError),
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

/// The details of a new pending payment, decided by the use case.
#[derive(Clone, Debug)]
pub struct NewPayment {
    /// Its id, should a reservation be made: the charge's idempotency key.
    pub id: PaymentId,
    /// The order to charge.
    pub order_id: OrderId,
    /// Now, as the use case sees it.
    pub now: DateTime<Utc>,
    /// When the charge will expire.
    pub expires_at: DateTime<Utc>,
    /// The provider's stored name.
    pub provider: &'static str,
}

/// Payments' storage.
#[async_trait]
pub trait PaymentRepository: Send + Sync {
    /// The order's status and total, if it exists.
    async fn payable_order(&self, order: OrderId) -> Result<Option<PayableOrder>, PortError>;

    /// The order's latest payment attempt.
    async fn latest_payment(&self, order: OrderId) -> Result<Option<StoredPayment>, PortError>;

    /// In one short transaction, serialised per order: the live pending payment if it has
    /// its charge; else, when the order is `Recebido`, a pending payment reserved for the
    /// charge to create (a reservation already made is returned as it is). A pending payment
    /// past its time is expired on the spot (order cancelled, stock released).
    async fn reserve_charge(&self, payment: NewPayment) -> Result<Reservation, PortError>;

    /// In one transaction: stores `charge`, created at the provider for the reservation
    /// `payment`, on it — unless the reservation was withdrawn, released or given another
    /// charge meanwhile.
    async fn attach_charge(
        &self,
        payment: PaymentId,
        charge: &Charge,
    ) -> Result<Attachment, PortError>;

    /// Removes the reservation `payment` when it still has no charge (the provider failed):
    /// nothing of the attempt is kept.
    async fn release_reservation(&self, payment: PaymentId) -> Result<(), PortError>;

    /// In one transaction: applies the provider's account of one of its payments — checked
    /// against the stored order and amount — to the payment and, on approval, to its order
    /// (`Recebido → Pago`, with history). Serialised per payment, so duplicate and
    /// concurrent notifications apply once.
    async fn apply(
        &self,
        provider: &str,
        report: &ProviderPayment,
        now: DateTime<Utc>,
    ) -> Result<ApplyOutcome, PortError>;

    /// In one transaction of its own: expires the pending payment whose time ran out first,
    /// with its order (`Recebido → Cancelado`, history, stock released); `None` when nothing
    /// is due. Rows another process holds are skipped, so several replicas may sweep at once.
    async fn expire_next_due(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<ExpiredPayment>, PortError>;

    /// In one transaction of its own: cancels (history, stock released) the oldest
    /// `Recebido` order with no pending payment that was created at or before `cutoff` and
    /// whose payment attempts, if any, all ended at or before `cutoff` — an order nobody is
    /// paying. Orders another process holds are skipped.
    async fn cancel_next_unpaid_order(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<UnpaidOrderSweep, PortError>;
}

/// The simulated provider's control panel (local runs and demos only).
#[async_trait]
pub trait PaymentSimulator: Send + Sync {
    /// Settles a stored payment at the simulated provider (approved or rejected) and
    /// returns the notification the provider sends about it, signed with the webhook secret.
    async fn settle(
        &self,
        payment: &StoredPayment,
        outcome: PaymentStatus,
        now: DateTime<Utc>,
    ) -> Result<Notification, ProviderError>;
}

/// Counts what happens to payments (Prometheus in production, nothing in unit tests).
pub trait PaymentObserver: Send + Sync {
    /// A charge was created at the provider and stored.
    fn charge_created(&self);
    /// A payment reached a final status through the provider's account.
    fn payment_settled(&self, status: PaymentStatus);
    /// Payments expired.
    fn payments_expired(&self, count: usize);
    /// An order nobody was paying was cancelled.
    fn unpaid_order_cancelled(&self);
    /// A notification's signature was refused.
    fn signature_refused(&self, reason: SignatureError);
    /// A verified notification was refused after checking it against our records
    /// (`amount_mismatch`, `reference_mismatch`, `approved_for_closed_order`).
    fn notification_refused(&self, reason: &'static str);
}
