//! Prometheus series of payments: charges created, payments approved/rejected/cancelled/
//! expired, orders cancelled for want of payment, notifications refused by signature or by our records. Labels are fixed codes
//! (never ids, amounts or tokens).

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

use crate::application::payments::notification::SignatureError;
use crate::domain::order::PaymentStatus;

/// The payment counters; cheap to clone (the collectors are reference counted).
#[derive(Clone)]
pub struct PaymentMetrics {
    created: IntCounter,
    approved: IntCounter,
    rejected: IntCounter,
    cancelled: IntCounter,
    expired: IntCounter,
    unpaid_orders_cancelled: IntCounter,
    signature_failures: IntCounterVec,
    refused: IntCounterVec,
}

/// Why the series could not be registered (a duplicate name: a programming error).
#[derive(Debug, thiserror::Error)]
#[error("cannot register the payment metrics: {0}")]
pub struct PaymentMetricsError(#[from] prometheus::Error);

impl PaymentMetrics {
    /// Creates the series and registers them in `registry` (the one `/metrics` renders).
    pub fn register(registry: &Registry) -> Result<Self, PaymentMetricsError> {
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let counter = IntCounter::new(name, help)?;
            registry.register(Box::new(counter.clone()))?;
            Ok(counter)
        };
        let labelled =
            |name: &str, help: &str, label: &str| -> Result<IntCounterVec, prometheus::Error> {
                let counter = IntCounterVec::new(Opts::new(name, help), &[label])?;
                registry.register(Box::new(counter.clone()))?;
                Ok(counter)
            };
        Ok(Self {
            created: counter(
                "payments_created_total",
                "QR charges created at the provider.",
            )?,
            approved: counter("payments_approved_total", "Payments the provider approved.")?,
            rejected: counter("payments_rejected_total", "Payments the provider rejected.")?,
            cancelled: counter(
                "payments_cancelled_total",
                "Payments the provider cancelled.",
            )?,
            expired: counter("payments_expired_total", "Pending payments expired unpaid.")?,
            unpaid_orders_cancelled: counter(
                "payments_unpaid_orders_cancelled_total",
                "Orders awaiting payment with no live charge, cancelled after the expiry time.",
            )?,
            signature_failures: labelled(
                "payments_webhook_signature_failures_total",
                "Webhook notifications refused for their x-signature, by reason.",
                "reason",
            )?,
            refused: labelled(
                "payments_webhook_refused_total",
                "Verified notifications refused against our records (alerts), by reason.",
                "reason",
            )?,
        })
    }
}

impl PaymentMetrics {
    /// A charge was created at the provider and stored.
    pub fn charge_created(&self) {
        self.created.inc();
    }

    /// A payment reached a final status through the provider's account.
    pub fn payment_settled(&self, status: PaymentStatus) {
        match status {
            PaymentStatus::Approved => self.approved.inc(),
            PaymentStatus::Rejected => self.rejected.inc(),
            PaymentStatus::Cancelled => self.cancelled.inc(),
            PaymentStatus::Expired => self.expired.inc(),
            PaymentStatus::Pending => {}
        }
    }

    /// Payments expired.
    pub fn payments_expired(&self, count: usize) {
        self.expired
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// An order nobody was paying was cancelled.
    pub fn unpaid_order_cancelled(&self) {
        self.unpaid_orders_cancelled.inc();
    }

    /// A notification's signature was refused.
    pub fn signature_refused(&self, reason: SignatureError) {
        self.signature_failures
            .with_label_values(&[reason.label()])
            .inc();
    }

    /// A verified notification was refused after checking it against our records
    /// (`amount_mismatch`, `reference_mismatch`, `approved_for_closed_order`).
    pub fn notification_refused(&self, reason: &'static str) {
        self.refused.with_label_values(&[reason]).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_are_rendered_with_fixed_labels() -> Result<(), Box<dyn std::error::Error>> {
        let registry = Registry::new();
        let metrics = PaymentMetrics::register(&registry)?;
        metrics.charge_created();
        metrics.payment_settled(PaymentStatus::Approved);
        metrics.payments_expired(2);
        metrics.signature_refused(SignatureError::Stale);
        let mut text = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &registry.gather(),
            &mut text,
        )?;
        let text = String::from_utf8(text)?;
        assert!(text.contains("payments_created_total 1"), "{text}");
        assert!(text.contains("payments_approved_total 1"), "{text}");
        assert!(text.contains("payments_expired_total 2"), "{text}");
        assert!(
            text.contains(r#"payments_webhook_signature_failures_total{reason="stale"} 1"#),
            "{text}"
        );
        Ok(())
    }
}
