//! Issuing a QR code: reserve (a short transaction), charge at the provider with no
//! database connection held, attach (another short transaction) — see
//! `adapters/postgres/payments/issue.rs`, the rules in [`super::rules`] and `docs/payments.md`,
//! "QR code".

use chrono::Utc;

use super::model::{Attachment, NewPayment, Reservation, StoredPayment};
use super::provider::ProviderError;
use super::{PaymentError, Payments};
use crate::adapters::postgres::payments as stored_payments;
use crate::application::error::ErrorChain;
use crate::domain::ids::{OrderId, PaymentId};
use crate::domain::order::OrderStatus;

impl Payments {
    /// The order's live pending payment, or a new charge for its total when it has none.
    /// Refused once the order is no longer `Recebido`: an approved order is never charged
    /// twice.
    #[tracing::instrument(name = "payments.issue_qr_code", skip_all)]
    pub async fn issue_qr_code(&self, order: OrderId) -> Result<StoredPayment, PaymentError> {
        let now = Utc::now();
        let reservation = stored_payments::reserve_charge(
            &self.pool,
            NewPayment {
                id: PaymentId::new_random(),
                order_id: order,
                now,
                expires_at: now.checked_add_signed(self.expiry).unwrap_or(now),
                provider: self.provider.name(),
            },
        )
        .await?;
        let request = match reservation {
            Reservation::ToCharge(request) => request,
            Reservation::Existing(payment) => return Ok(payment),
            Reservation::OrderNotFound => return Err(PaymentError::OrderNotFound),
            Reservation::NotPayable(status) => {
                return Err(PaymentError::NotAwaitingPayment(status));
            }
            Reservation::Expired(expired) => {
                self.metrics.payments_expired(1);
                if let Some(id) = &expired.provider_payment_id {
                    self.cancel_at_provider(&expired.provider, id).await;
                }
                return Err(PaymentError::NotAwaitingPayment(OrderStatus::Cancelled));
            }
        };
        let charge = match self.provider.create_charge(&request).await {
            Ok(charge) => charge,
            Err(error) => {
                if let Err(release) =
                    stored_payments::release_reservation(&self.pool, request.payment_id).await
                {
                    // Left pending without a charge: the next request charges it (same
                    // idempotency key), or the expiry closes it.
                    tracing::warn!(payment_id = %request.payment_id, error = %ErrorChain(&release), "could not release a charge reservation");
                }
                return Err(PaymentError::Provider(error));
            }
        };
        // A database failure here leaves the reservation without its charge: the next
        // request creates it again under the same idempotency key, getting this charge back.
        match stored_payments::attach_charge(&self.pool, request.payment_id, &charge).await? {
            Attachment::Attached { payment, created } => {
                if created {
                    self.metrics.charge_created();
                    tracing::info!(payment_id = %payment.id, order_id = %order, provider = %payment.provider, "charge created");
                }
                Ok(payment)
            }
            Attachment::Superseded(payment) => {
                self.cancel_at_provider(self.provider.name(), &charge.provider_payment_id)
                    .await;
                Ok(payment)
            }
            Attachment::Withdrawn(status) => {
                self.cancel_at_provider(self.provider.name(), &charge.provider_payment_id)
                    .await;
                Err(PaymentError::NotAwaitingPayment(status))
            }
            Attachment::Released => {
                self.cancel_at_provider(self.provider.name(), &charge.provider_payment_id)
                    .await;
                Err(PaymentError::Provider(ProviderError::Unavailable(
                    "the charge reservation was released by a concurrent failure".into(),
                )))
            }
        }
    }
}
