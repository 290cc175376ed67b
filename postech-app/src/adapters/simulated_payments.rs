//! The simulated payment provider of local runs and demos (chosen when no Mercado Pago
//! credentials are configured).
//!
//! It behaves like Mercado Pago where the app can tell: charges get a numeric payment id and
//! a real-looking Pix BR Code, payments can be fetched by id and cancelled, and settling one
//! (the `simulador` route) produces a notification in Mercado Pago's format, signed with the
//! webhook secret exactly as Mercado Pago signs — which the app then verifies on the same
//! path as a real notification. Its payments live in memory, like a third party's state;
//! settling a payment it forgot (after a restart) re-creates it from the stored payment.

pub mod pix;

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::adapters::mercadopago::signature;
use crate::application::payments::model::{
    Charge, ChargeRequest, ProviderPayment, ProviderStatus, StoredPayment,
};
use crate::application::payments::notification::{Notification, PAYMENT_TOPIC};
use crate::application::payments::provider::{PaymentProvider, ProviderError, VerificationError};
use crate::domain::ids::PaymentId;
use crate::domain::money::Money;
use crate::domain::order::PaymentStatus;
use pix::BrCode;

/// The name stored in `payments.provider`.
pub const PROVIDER_NAME: &str = "simulated";

/// One payment as the simulated provider knows it.
#[derive(Clone, Debug)]
struct SimulatedPayment {
    status: ProviderStatus,
    external_reference: String,
    amount: Money,
}

/// The simulated provider.
pub struct SimulatedPaymentProvider {
    webhook_secret: SecretString,
    payments: Mutex<HashMap<String, SimulatedPayment>>,
}

impl SimulatedPaymentProvider {
    /// A provider signing its notifications with `webhook_secret`.
    pub fn new(webhook_secret: SecretString) -> Self {
        Self {
            webhook_secret,
            payments: Mutex::new(HashMap::new()),
        }
    }

    fn with_payments<T>(
        &self,
        action: impl FnOnce(&mut HashMap<String, SimulatedPayment>) -> T,
    ) -> Result<T, ProviderError> {
        let mut payments = self
            .payments
            .lock()
            .map_err(|_| ProviderError::Unexpected("simulated provider state poisoned".into()))?;
        Ok(action(&mut payments))
    }
}

/// Mercado Pago's payment ids are 10–12 digit numbers; these are 12 digits drawn from our
/// payment id (random), so that charging the same payment again — the idempotency key, as
/// Mercado Pago honours it — gives the same charge.
fn simulated_payment_id(payment: PaymentId) -> String {
    let drawn = payment.into_uuid().as_u128() % 900_000_000_000;
    (100_000_000_000 + drawn).to_string()
}

#[async_trait]
impl PaymentProvider for SimulatedPaymentProvider {
    fn name(&self) -> &'static str {
        PROVIDER_NAME
    }

    async fn create_charge(&self, request: &ChargeRequest) -> Result<Charge, ProviderError> {
        let id = simulated_payment_id(request.payment_id);
        let qr_data = BrCode {
            location: &format!("pix.simulador.postech.invalid/qr/v2/{}", request.payment_id),
            amount: request.amount,
            merchant_name: "POSTECH LANCHES SIMULADO",
            merchant_city: "SAO PAULO",
            reference: &id,
        }
        .payload();
        // A repeat (same idempotency key) leaves the charge as it is.
        self.with_payments(|payments| {
            payments
                .entry(id.clone())
                .or_insert_with(|| SimulatedPayment {
                    status: ProviderStatus::Pending,
                    external_reference: request.order_id.to_string(),
                    amount: request.amount,
                });
        })?;
        // Like Mercado Pago, the simulated provider hands the picture over with the payload.
        let qr_code_base64 = crate::adapters::qr_image::png_base64(&qr_data)
            .map_err(|error| ProviderError::Unexpected(error.into()))?;
        Ok(Charge {
            provider_payment_id: id,
            qr_data,
            // No page shows a simulated QR code.
            qr_code_url: None,
            qr_code_base64: Some(qr_code_base64),
        })
    }

    async fn fetch_payment(
        &self,
        provider_payment_id: &str,
    ) -> Result<ProviderPayment, ProviderError> {
        self.with_payments(|payments| payments.get(provider_payment_id).cloned())?
            .map(|payment| ProviderPayment {
                id: provider_payment_id.to_owned(),
                status: payment.status,
                external_reference: Some(payment.external_reference),
                amount: Some(payment.amount),
            })
            .ok_or(ProviderError::NotFound)
    }

    async fn cancel_charge(&self, provider_payment_id: &str) -> Result<(), ProviderError> {
        self.with_payments(|payments| {
            if let Some(payment) = payments.get_mut(provider_payment_id)
                && payment.status == ProviderStatus::Pending
            {
                payment.status = ProviderStatus::Cancelled;
            }
        })
    }

    async fn verify_notification(
        &self,
        notification: &Notification,
        now: DateTime<Utc>,
    ) -> Result<(), VerificationError> {
        Ok(signature::verify(
            self.webhook_secret.expose_secret().as_bytes(),
            notification,
            now,
        )?)
    }
}

impl SimulatedPaymentProvider {
    /// Settles a stored payment at the simulated provider (approved or rejected) and
    /// returns the notification the provider sends about it, signed with the webhook secret.
    pub async fn settle(
        &self,
        payment: &StoredPayment,
        outcome: PaymentStatus,
        now: DateTime<Utc>,
    ) -> Result<Notification, ProviderError> {
        let id = payment.provider_payment_id.clone().ok_or_else(|| {
            ProviderError::Unexpected("the stored payment has no provider id".into())
        })?;
        let status = match outcome {
            PaymentStatus::Approved => ProviderStatus::Approved,
            PaymentStatus::Rejected => ProviderStatus::Rejected,
            _ => ProviderStatus::Cancelled,
        };
        self.with_payments(|payments| {
            payments.insert(
                id.clone(),
                SimulatedPayment {
                    status,
                    external_reference: payment.order_id.to_string(),
                    amount: payment.amount,
                },
            )
        })?;
        let request_id = Uuid::new_v4().to_string();
        let signature = signature::sign(
            self.webhook_secret.expose_secret().as_bytes(),
            Some(&id),
            Some(&request_id),
            now.timestamp(),
        )
        .map_err(|error| ProviderError::Unexpected(error.into()))?;
        Ok(Notification {
            query_data_id: Some(id.clone()),
            query_type: Some(PAYMENT_TOPIC.to_owned()),
            body_data_id: Some(id),
            body_type: Some(PAYMENT_TOPIC.to_owned()),
            signature: Some(signature),
            request_id: Some(request_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::payments::notification::SignatureError;
    use crate::domain::ids::OrderId;

    fn request() -> ChargeRequest {
        ChargeRequest {
            payment_id: PaymentId::new_random(),
            order_id: OrderId::new_random(),
            description: "Pedido 7".to_owned(),
            amount: Money::from_cents(2590),
            expires_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn charging_the_same_payment_again_gives_the_same_charge() -> Result<(), ProviderError> {
        // As Mercado Pago honours X-Idempotency-Key: two requests charging one reservation
        // must not make two charges.
        let provider = SimulatedPaymentProvider::new(SecretString::from("s"));
        let request = request();
        let first = provider.create_charge(&request).await?;
        provider.cancel_charge(&first.provider_payment_id).await?;
        let again = provider.create_charge(&request).await?;
        assert_eq!(again, first);
        let kept = provider.fetch_payment(&first.provider_payment_id).await?;
        assert_eq!(
            kept.status,
            ProviderStatus::Cancelled,
            "the repeat changed nothing"
        );
        let other = provider.create_charge(&self::request()).await?;
        assert_ne!(other.provider_payment_id, first.provider_payment_id);
        Ok(())
    }

    #[tokio::test]
    async fn a_charge_can_be_fetched_cancelled_and_is_a_br_code() -> Result<(), ProviderError> {
        let provider = SimulatedPaymentProvider::new(SecretString::from("s"));
        let request = request();
        let charge = provider.create_charge(&request).await?;
        assert_eq!(charge.provider_payment_id.len(), 12);
        assert!(charge.qr_data.starts_with("000201"), "{}", charge.qr_data);
        assert!(charge.qr_data.contains("540525.90"), "{}", charge.qr_data);
        let fetched = provider.fetch_payment(&charge.provider_payment_id).await?;
        assert_eq!(fetched.status, ProviderStatus::Pending);
        assert_eq!(
            fetched.external_reference,
            Some(request.order_id.to_string())
        );
        provider.cancel_charge(&charge.provider_payment_id).await?;
        let cancelled = provider.fetch_payment(&charge.provider_payment_id).await?;
        assert_eq!(cancelled.status, ProviderStatus::Cancelled);
        assert!(matches!(
            provider.fetch_payment("404").await,
            Err(ProviderError::NotFound)
        ));
        Ok(())
    }

    #[tokio::test]
    async fn a_settlement_notification_verifies_with_the_same_secret_only()
    -> Result<(), ProviderError> {
        let provider = SimulatedPaymentProvider::new(SecretString::from("secret-a"));
        let other = SimulatedPaymentProvider::new(SecretString::from("secret-b"));
        let payment = StoredPayment {
            id: PaymentId::new_random(),
            order_id: OrderId::new_random(),
            provider: PROVIDER_NAME.to_owned(),
            provider_payment_id: Some("123456789012".to_owned()),
            status: PaymentStatus::Pending,
            amount: Money::from_cents(1000),
            qr_data: None,
            qr_code_url: None,
            qr_code_base64: None,
            expires_at: None,
            confirmed_at: None,
        };
        let now = Utc::now();
        let notification = provider
            .settle(&payment, PaymentStatus::Approved, now)
            .await?;
        assert!(matches!(
            provider.verify_notification(&notification, now).await,
            Ok(())
        ));
        assert!(matches!(
            other.verify_notification(&notification, now).await,
            Err(VerificationError::Signature(SignatureError::Mismatch))
        ));
        let fetched = provider.fetch_payment("123456789012").await?;
        assert_eq!(fetched.status, ProviderStatus::Approved);
        Ok(())
    }
}
