//! The expiry sweep's use case: unpaid charges first, then orders nobody is paying — one
//! order per transaction (see `docs/payments.md`, "Expiry").

use chrono::{DateTime, Utc};

use super::Payments;
use super::model::UnpaidOrderSweep;
use crate::adapters::postgres::payments as stored_payments;
use crate::application::error::PortError;
use crate::domain::order::OrderStatus;

/// What one round of the expiry sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpiryRound {
    /// Pending payments expired (their orders cancelled).
    pub payments_expired: usize,
    /// `Recebido` orders without a live payment, cancelled.
    pub unpaid_orders_cancelled: usize,
}

impl Payments {
    /// One round of the expiry sweep, one order per transaction:
    ///
    /// 1. every pending payment whose time is up is expired with its order (cancelled,
    ///    stock released), and its charge cancelled at the provider so it cannot be paid
    ///    late;
    /// 2. every `Recebido` order nobody is paying — no pending payment, and the expiry time
    ///    passed since it was created and since its last attempt ended (rejected or
    ///    cancelled), whichever is later — is cancelled with its stock released.
    ///
    /// A failure stops the round: what was done before it stays done (and counted), the
    /// rest is found again next round.
    #[tracing::instrument(name = "payments.expire_due", skip_all)]
    pub async fn expire_due(&self) -> Result<ExpiryRound, PortError> {
        let mut round = ExpiryRound::default();
        while let Some(payment) = stored_payments::expire_next_due(&self.pool, Utc::now()).await? {
            self.metrics.payments_expired(1);
            self.orders.status_changed(OrderStatus::Cancelled);
            round.payments_expired += 1;
            tracing::info!(payment_id = %payment.id, order_id = %payment.order_id, "payment expired, order cancelled");
            if let Some(id) = &payment.provider_payment_id {
                self.cancel_at_provider(&payment.provider, id).await;
            }
        }
        loop {
            let cutoff = Utc::now()
                .checked_sub_signed(self.expiry)
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            match stored_payments::cancel_next_unpaid_order(&self.pool, cutoff).await? {
                UnpaidOrderSweep::Cancelled(order_id) => {
                    self.metrics.unpaid_order_cancelled();
                    self.orders.status_changed(OrderStatus::Cancelled);
                    round.unpaid_orders_cancelled += 1;
                    tracing::info!(%order_id, "order cancelled: nobody paid it in time");
                }
                UnpaidOrderSweep::PaymentStarted => {}
                UnpaidOrderSweep::NothingDue => break,
            }
        }
        self.metrics.sweep_completed(Utc::now());
        Ok(round)
    }
}
