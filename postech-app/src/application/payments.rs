//! Payment use cases: the QR code of an order, its stored status, the provider's signed
//! notifications, the expiry of unpaid charges and the local simulator.
//!
//! The provider is behind [`provider::PaymentProvider`] (Mercado Pago, or the simulated one
//! of local runs); nothing here knows which. A notification is only a hint: after its
//! signature is verified, the payment is fetched from the provider and only that answer is
//! applied. The rules that need rows read under locks are in [`rules`], called by the
//! PostgreSQL adapter inside its transactions.

mod expiry;
mod issue;
pub mod model;
pub mod notification;
pub mod provider;
pub mod rules;

pub use expiry::ExpiryRound;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::adapters::order_metrics::OrderMetrics;
use crate::adapters::payment_metrics::PaymentMetrics;
use crate::adapters::postgres::{PgPool, payments as stored_payments};
use crate::adapters::simulated_payments::SimulatedPaymentProvider;
use crate::application::error::{ErrorChain, PortError, because};
use crate::application::orders::WithdrawnCharge;
use crate::domain::ids::OrderId;
use crate::domain::money::Money;
use crate::domain::order::{OrderStatus, PaymentStatus};
use model::ApplyOutcome;
use notification::{Notification, SignatureError};
use provider::{PaymentProvider, ProviderError, VerificationError};

/// What a payment use case can answer besides success (the HTTP layer maps each variant).
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// No such order (404).
    #[error("order not found")]
    OrderNotFound,
    /// The order is not awaiting payment (409): paid, cancelled, or further along.
    #[error("order is {0:?}, not awaiting payment")]
    NotAwaitingPayment(OrderStatus),
    /// The simulator was asked to settle an order without a pending payment (409).
    #[error("no pending payment for this order")]
    NoPendingPayment,
    /// The simulator is off because the real provider is configured (404).
    #[error("the payment simulator is disabled")]
    SimulatorDisabled,
    /// A notification's signature is missing, wrong or stale (401).
    #[error(transparent)]
    Signature(SignatureError),
    /// The provider failed or could not be asked (503, so a notification is delivered again).
    #[error(transparent)]
    Provider(ProviderError),
    /// The database failed; nothing was written.
    #[error(transparent)]
    Port(#[from] PortError),
    /// A notification about a charge still being attached to its order (503, so the
    /// provider delivers it again; see [`ApplyOutcome::ChargeNotAttachedYet`]).
    #[error("the notified charge is not attached to its order yet")]
    ChargeNotAttachedYet,
}

/// What a verified notification did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The payment reached this status (and, when approved, its order is `Pago`).
    Applied(PaymentStatus),
    /// Nothing changed: a repeat, or the payment is still undecided.
    Unchanged,
    /// Acknowledged without effect, for the reason given (a metric-friendly code).
    Ignored(&'static str),
}

/// The stored payment state of an order (`GET …/status`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentView {
    /// The order.
    pub order_id: OrderId,
    /// The latest attempt's status; `pendente` before any attempt.
    pub status: PaymentStatus,
    /// The amount charged (the order total before any attempt).
    pub amount: Money,
    /// When the payment was approved.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The QR code page of the latest attempt.
    pub qr_code_url: Option<String>,
}

/// The payment use cases.
#[derive(Clone)]
pub struct Payments {
    pool: PgPool,
    provider: Arc<dyn PaymentProvider>,
    simulator: Option<Arc<SimulatedPaymentProvider>>,
    metrics: PaymentMetrics,
    orders: OrderMetrics,
    expiry: TimeDelta,
}

impl Payments {
    /// The use cases over the database `pool`; `simulator` is `Some` only with the simulated
    /// provider, and pending charges expire `expiry` after their creation. Payments count
    /// into `metrics`, the orders they pay or cancel into `orders`.
    pub fn new(
        pool: PgPool,
        provider: Arc<dyn PaymentProvider>,
        simulator: Option<Arc<SimulatedPaymentProvider>>,
        metrics: PaymentMetrics,
        orders: OrderMetrics,
        expiry: Duration,
    ) -> Self {
        Self {
            pool,
            provider,
            simulator,
            metrics,
            orders,
            expiry: TimeDelta::from_std(expiry).unwrap_or(TimeDelta::MAX),
        }
    }

    /// The provider's stored name (`mercadopago` or `simulated`).
    pub fn provider_name(&self) -> &'static str {
        self.provider.name()
    }

    /// Whether the simulator route is on (only with the simulated provider).
    pub fn simulator_enabled(&self) -> bool {
        self.simulator.is_some()
    }

    /// The stored payment state of an order.
    #[tracing::instrument(name = "payments.status", skip_all)]
    pub async fn status(&self, order: OrderId) -> Result<PaymentView, PaymentError> {
        let payable = stored_payments::payable_order(&self.pool, order)
            .await?
            .ok_or(PaymentError::OrderNotFound)?;
        Ok(
            match stored_payments::latest_payment(&self.pool, order).await? {
                Some(payment) => PaymentView {
                    order_id: order,
                    status: payment.status,
                    amount: payment.amount,
                    confirmed_at: payment.confirmed_at,
                    qr_code_url: payment.qr_code_url,
                },
                None => PaymentView {
                    order_id: order,
                    status: PaymentStatus::Pending,
                    amount: payable.total,
                    confirmed_at: None,
                    qr_code_url: None,
                },
            },
        )
    }

    /// A provider notification: verify its signature, fetch the payment it names from the
    /// provider, apply that answer. Anything but a bad signature or an unreachable
    /// provider/database is acknowledged (retrying would not change the answer).
    /// Every answer is counted by outcome (`payments_webhook_notifications_total`).
    #[tracing::instrument(name = "payments.receive_notification", skip_all)]
    pub async fn receive_notification(
        &self,
        notification: &Notification,
    ) -> Result<WebhookOutcome, PaymentError> {
        let answer = self.answer_notification(notification).await;
        self.metrics.notification_answered(match &answer {
            Ok(WebhookOutcome::Applied(_)) => "applied",
            Ok(WebhookOutcome::Unchanged) => "unchanged",
            Ok(WebhookOutcome::Ignored(_)) => "ignored",
            Err(PaymentError::ChargeNotAttachedYet) => "deferred",
            Err(PaymentError::Signature(_)) => "signature_refused",
            Err(_) => "retry",
        });
        answer
    }

    async fn answer_notification(
        &self,
        notification: &Notification,
    ) -> Result<WebhookOutcome, PaymentError> {
        let now = Utc::now();
        match self.provider.verify_notification(notification, now).await {
            Ok(()) => {}
            Err(VerificationError::Signature(reason)) => {
                self.metrics.signature_refused(reason);
                tracing::warn!(reason = reason.label(), "webhook signature refused");
                return Err(PaymentError::Signature(reason));
            }
            // Not a signature failure: not counted as one, and answered 503 so that the
            // provider delivers the notification again once the secret can be read.
            Err(VerificationError::SecretUnavailable(error)) => {
                return Err(PaymentError::Provider(error));
            }
        }
        if !notification.is_about_a_payment() {
            return Ok(WebhookOutcome::Ignored("not_a_payment"));
        }
        let Some(resource_id) = notification.resource_id() else {
            return Ok(WebhookOutcome::Ignored("no_resource_id"));
        };
        let report = match self.provider.fetch_payment(resource_id).await {
            Ok(report) => report,
            Err(ProviderError::NotFound) => {
                tracing::info!(
                    provider_payment_id = resource_id,
                    "notification for a payment the provider does not know"
                );
                return Ok(WebhookOutcome::Ignored("unknown_payment"));
            }
            Err(error) => return Err(PaymentError::Provider(error)),
        };
        let outcome =
            stored_payments::apply(&self.pool, self.provider.name(), &report, now).await?;
        if outcome == ApplyOutcome::ChargeNotAttachedYet {
            tracing::info!(
                provider_payment_id = %report.id,
                "notification for a charge not attached yet: asked to deliver it again"
            );
            return Err(PaymentError::ChargeNotAttachedYet);
        }
        Ok(self.count_and_log(&report.id, outcome))
    }

    /// Settles the order's pending payment at the simulated provider and delivers the
    /// signed notification it sends through [`Payments::receive_notification`] — the very
    /// path a real notification takes.
    #[tracing::instrument(name = "payments.simulate", skip_all)]
    pub async fn simulate(
        &self,
        order: OrderId,
        outcome: PaymentStatus,
    ) -> Result<PaymentView, PaymentError> {
        let simulator = self
            .simulator
            .as_ref()
            .ok_or(PaymentError::SimulatorDisabled)?;
        stored_payments::payable_order(&self.pool, order)
            .await?
            .ok_or(PaymentError::OrderNotFound)?;
        let payment = stored_payments::latest_payment(&self.pool, order)
            .await?
            .filter(|payment| payment.status == PaymentStatus::Pending)
            .ok_or(PaymentError::NoPendingPayment)?;
        let notification = simulator
            .settle(&payment, outcome, Utc::now())
            .await
            .map_err(PaymentError::Provider)?;
        match self.receive_notification(&notification).await {
            Ok(_) => self.status(order).await,
            // The simulator signed it with the very secret the verification uses.
            Err(PaymentError::Signature(reason)) => {
                Err(PaymentError::Port(PortError::Unexpected {
                    dependency: "payment simulator",
                    cause: because("the simulator's own notification was refused", reason),
                }))
            }
            Err(other) => Err(other),
        }
    }

    /// Counts and logs what applying a provider report did, and says how to acknowledge it.
    fn count_and_log(&self, provider_payment_id: &str, outcome: ApplyOutcome) -> WebhookOutcome {
        match outcome {
            ApplyOutcome::Applied(status) => {
                self.metrics.payment_settled(status);
                // An approval moves the order Recebido → Pago in the same transaction.
                if status == PaymentStatus::Approved {
                    self.orders.status_changed(OrderStatus::Paid);
                }
                tracing::info!(
                    provider_payment_id,
                    status = status.wire_name(),
                    "payment settled"
                );
                WebhookOutcome::Applied(status)
            }
            ApplyOutcome::Unchanged => WebhookOutcome::Unchanged,
            // Answered before counting (receive_notification); never reaches here.
            ApplyOutcome::UnknownPayment | ApplyOutcome::ChargeNotAttachedYet => {
                tracing::info!(
                    provider_payment_id,
                    "notification for a payment we did not create"
                );
                WebhookOutcome::Ignored("unknown_payment")
            }
            ApplyOutcome::ReferenceMismatch => {
                self.metrics.notification_refused("reference_mismatch");
                tracing::error!(
                    alert = true,
                    provider_payment_id,
                    "ALERT: the provider's payment names another order than ours; refused"
                );
                WebhookOutcome::Ignored("reference_mismatch")
            }
            ApplyOutcome::AmountMismatch { expected, reported } => {
                self.metrics.notification_refused("amount_mismatch");
                tracing::error!(
                    alert = true,
                    provider_payment_id,
                    expected = %expected,
                    reported = %reported.map_or_else(|| "none".to_owned(), |amount| amount.to_string()),
                    "ALERT: the provider's amount differs from the order total; refused"
                );
                WebhookOutcome::Ignored("amount_mismatch")
            }
            ApplyOutcome::ApprovedForClosedOrder(status) => {
                self.metrics.payment_settled(PaymentStatus::Approved);
                self.metrics
                    .notification_refused("approved_for_closed_order");
                tracing::error!(
                    alert = true,
                    provider_payment_id,
                    order_status = status.wire_name(),
                    "ALERT: payment approved for an order that is no longer awaiting payment; refund it"
                );
                WebhookOutcome::Applied(PaymentStatus::Approved)
            }
        }
    }

    /// Best effort: a charge that cannot be cancelled now also expires at the provider.
    async fn cancel_at_provider(&self, provider: &str, provider_payment_id: &str) {
        if provider != self.provider.name() {
            return;
        }
        if let Err(error) = self.provider.cancel_charge(provider_payment_id).await {
            tracing::warn!(provider_payment_id, error = %ErrorChain(&error), "could not cancel the charge at the provider");
        }
    }

    /// Staff cancelled an order that was awaiting payment: its charges must not be payable.
    #[tracing::instrument(name = "payments.cancel_charges", skip_all)]
    pub async fn cancel_charges(&self, charges: &[WithdrawnCharge]) {
        for charge in charges {
            self.cancel_at_provider(&charge.provider, &charge.provider_payment_id)
                .await;
        }
    }
}
