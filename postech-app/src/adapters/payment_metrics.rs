//! Prometheus series of payments: charges created, payments approved/rejected/cancelled/
//! expired, orders cancelled for want of payment, notifications refused by signature or by
//! our records, the last completed expiry sweep, and every call to Mercado Pago by operation
//! and outcome ([`ProviderMetrics`]). Labels are fixed codes (never ids, amounts or tokens),
//! and every labelled series exists from the start at zero, so the first event is an increase
//! the alerts see.

use chrono::{DateTime, Utc};
use prometheus::{Gauge, IntCounter, IntCounterVec, Opts, Registry};

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
    notifications: IntCounterVec,
    sweep_last_success: Gauge,
}

/// How the webhook answered a notification (the `outcome` label of
/// `payments_webhook_notifications_total`): `applied` (a payment moved), `unchanged` (a
/// repeat, or not final yet), `ignored` (acknowledged without effect: another topic, a
/// payment that is not ours, a refusal against our records), `deferred` (503: the charge is
/// not attached to its order yet), `retry` (503: the provider, its secret or the database
/// failed), `signature_refused` (401).
pub const NOTIFICATION_OUTCOMES: [&str; 6] = [
    "applied",
    "unchanged",
    "ignored",
    "deferred",
    "retry",
    "signature_refused",
];

/// Why a verified notification can be refused against our records (the `reason` label).
pub const REFUSAL_REASONS: [&str; 3] = [
    "reference_mismatch",
    "amount_mismatch",
    "approved_for_closed_order",
];

/// Why the series could not be registered (a duplicate name: a programming error).
#[derive(Debug, thiserror::Error)]
#[error("cannot register the payment metrics")]
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
            notifications: labelled(
                "payments_webhook_notifications_total",
                "Webhook notifications by how they were answered.",
                "outcome",
            )?,
            sweep_last_success: {
                let gauge = Gauge::new(
                    "payment_expiry_sweep_last_success_timestamp_seconds",
                    "Unix time of the last completed expiry sweep of this process (0: none yet).",
                )?;
                registry.register(Box::new(gauge.clone()))?;
                gauge
            },
        }
        .with_zeroed_reasons())
    }

    fn with_zeroed_reasons(self) -> Self {
        for reason in SignatureError::ALL {
            self.signature_failures.with_label_values(&[reason.label()]);
        }
        for reason in REFUSAL_REASONS {
            self.refused.with_label_values(&[reason]);
        }
        for outcome in NOTIFICATION_OUTCOMES {
            self.notifications.with_label_values(&[outcome]);
        }
        self
    }

    /// An expiry sweep round completed at `at`.
    pub fn sweep_completed(&self, at: DateTime<Utc>) {
        // f64 holds Unix seconds exactly for the next few hundred million years.
        #[allow(clippy::cast_precision_loss)]
        self.sweep_last_success
            .set(at.timestamp_millis() as f64 / 1000.0);
    }
}

/// Calls to Mercado Pago, one per HTTP attempt, by operation (create_payment, get_payment,
/// cancel_payment) and outcome (ok, timeout, http_5xx, http_429, http_4xx, transport).
#[derive(Clone)]
pub struct ProviderMetrics {
    requests: IntCounterVec,
}

/// How one attempt of a call to the provider ended (the `outcome` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// A 2xx or 3xx answer.
    Ok,
    /// No answer within the request timeout.
    Timeout,
    /// A 5xx answer.
    Http5xx,
    /// 429 Too Many Requests.
    Http429,
    /// Any other 4xx answer.
    Http4xx,
    /// No answer: connection refused or reset, DNS, TLS.
    Transport,
}

impl CallOutcome {
    const ALL: [CallOutcome; 6] = [
        CallOutcome::Ok,
        CallOutcome::Timeout,
        CallOutcome::Http5xx,
        CallOutcome::Http429,
        CallOutcome::Http4xx,
        CallOutcome::Transport,
    ];

    /// The outcome of an answer with `status`.
    pub fn of_status(status: u16) -> Self {
        match status {
            429 => CallOutcome::Http429,
            500..=599 => CallOutcome::Http5xx,
            400..=499 => CallOutcome::Http4xx,
            _ => CallOutcome::Ok,
        }
    }

    /// The metric label.
    pub const fn label(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Timeout => "timeout",
            CallOutcome::Http5xx => "http_5xx",
            CallOutcome::Http429 => "http_429",
            CallOutcome::Http4xx => "http_4xx",
            CallOutcome::Transport => "transport",
        }
    }
}

/// The provider operations (the `operation` label).
pub const PROVIDER_OPERATIONS: [&str; 3] = ["create_payment", "get_payment", "cancel_payment"];

impl ProviderMetrics {
    /// Creates the series (every operation and outcome at zero) in `registry`. Registered
    /// whatever the provider, so the series exist with the simulated one too.
    pub fn register(registry: &Registry) -> Result<Self, PaymentMetricsError> {
        let requests = IntCounterVec::new(
            Opts::new(
                "payment_provider_requests_total",
                "HTTP attempts to Mercado Pago, by operation and outcome.",
            ),
            &["operation", "outcome"],
        )?;
        for operation in PROVIDER_OPERATIONS {
            for outcome in CallOutcome::ALL {
                requests.with_label_values(&[operation, outcome.label()]);
            }
        }
        registry.register(Box::new(requests.clone()))?;
        Ok(Self { requests })
    }

    /// One attempt of `operation` ended with `outcome`.
    pub fn observe(&self, operation: &'static str, outcome: CallOutcome) {
        self.requests
            .with_label_values(&[operation, outcome.label()])
            .inc();
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

    /// The webhook answered a notification so (one of [`NOTIFICATION_OUTCOMES`]).
    pub fn notification_answered(&self, outcome: &'static str) {
        self.notifications.with_label_values(&[outcome]).inc();
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
        assert!(
            text.contains(r#"payments_webhook_signature_failures_total{reason="mismatch"} 0"#),
            "the other reasons exist at zero:\n{text}"
        );
        assert!(
            text.contains(r#"payments_webhook_refused_total{reason="amount_mismatch"} 0"#),
            "{text}"
        );
        assert!(
            text.contains("payment_expiry_sweep_last_success_timestamp_seconds 0"),
            "{text}"
        );
        Ok(())
    }

    #[test]
    fn provider_calls_are_counted_by_operation_and_outcome()
    -> Result<(), Box<dyn std::error::Error>> {
        let registry = Registry::new();
        let metrics = ProviderMetrics::register(&registry)?;
        metrics.observe("create_payment", CallOutcome::of_status(503));
        let mut text = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &registry.gather(),
            &mut text,
        )?;
        let text = String::from_utf8(text)?;
        assert!(
            text.contains(r#"payment_provider_requests_total{operation="create_payment",outcome="http_5xx"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"payment_provider_requests_total{operation="cancel_payment",outcome="transport"} 0"#),
            "{text}"
        );
        Ok(())
    }
}
