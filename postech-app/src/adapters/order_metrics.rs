//! Prometheus series of orders and of the checkout transaction: orders placed, orders
//! entering each status (stored codes: received, paid, in_preparation, ready, finished,
//! cancelled), checkout transactions PostgreSQL aborted and the checkout retried, and
//! checkouts that gave up after their retries — both by the kind of conflict (deadlock,
//! serialization). Every labelled series exists from the start at zero, so the first event
//! is an increase the alerts see.

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

use crate::adapters::postgres::LockConflict;
use crate::adapters::postgres::order_status_code;
use crate::domain::order::OrderStatus;

/// The order and checkout counters; cheap to clone (the collectors are reference counted).
#[derive(Clone)]
pub struct OrderMetrics {
    created: IntCounter,
    status_changes: IntCounterVec,
    checkout_retries: IntCounterVec,
    checkout_aborted: IntCounterVec,
}

/// Why the series could not be registered (a duplicate name: a programming error).
#[derive(Debug, thiserror::Error)]
#[error("cannot register the order metrics")]
pub struct OrderMetricsError(#[from] prometheus::Error);

impl OrderMetrics {
    /// Creates the series and registers them in `registry` (the one `/metrics` renders).
    pub fn register(registry: &Registry) -> Result<Self, OrderMetricsError> {
        let created = IntCounter::new("orders_created_total", "Orders placed by a checkout.")?;
        let status_changes = IntCounterVec::new(
            Opts::new(
                "orders_status_changes_total",
                "Orders entering a status (its stored code), creation included.",
            ),
            &["status"],
        )?;
        let checkout_retries = IntCounterVec::new(
            Opts::new(
                "checkout_retries_total",
                "Checkout transactions PostgreSQL aborted for a lock conflict and the app ran again, by conflict.",
            ),
            &["reason"],
        )?;
        let checkout_aborted = IntCounterVec::new(
            Opts::new(
                "checkout_aborted_total",
                "Checkouts that failed after their last retry (answered 503), by conflict.",
            ),
            &["reason"],
        )?;
        for status in OrderStatus::ALL {
            status_changes.with_label_values(&[order_status_code(status)]);
        }
        for conflict in LockConflict::ALL {
            checkout_retries.with_label_values(&[conflict.label()]);
            checkout_aborted.with_label_values(&[conflict.label()]);
        }
        registry.register(Box::new(created.clone()))?;
        registry.register(Box::new(status_changes.clone()))?;
        registry.register(Box::new(checkout_retries.clone()))?;
        registry.register(Box::new(checkout_aborted.clone()))?;
        Ok(Self {
            created,
            status_changes,
            checkout_retries,
            checkout_aborted,
        })
    }

    /// A checkout stored a new order (in `Recebido`).
    pub fn order_placed(&self) {
        self.created.inc();
        self.status_changed(OrderStatus::Received);
    }

    /// An order entered `status`.
    pub fn status_changed(&self, status: OrderStatus) {
        self.status_changes
            .with_label_values(&[order_status_code(status)])
            .inc();
    }

    /// The checkout transaction was aborted by `conflict` and is run again.
    pub fn checkout_retried(&self, conflict: LockConflict) {
        self.checkout_retries
            .with_label_values(&[conflict.label()])
            .inc();
    }

    /// The checkout's last attempt was aborted by `conflict`: it fails.
    pub fn checkout_aborted(&self, conflict: LockConflict) {
        self.checkout_aborted
            .with_label_values(&[conflict.label()])
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(registry: &Registry) -> Result<String, Box<dyn std::error::Error>> {
        let mut text = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &registry.gather(),
            &mut text,
        )?;
        Ok(String::from_utf8(text)?)
    }

    #[test]
    fn every_labelled_series_starts_at_zero() -> Result<(), Box<dyn std::error::Error>> {
        let registry = Registry::new();
        OrderMetrics::register(&registry)?;
        let text = rendered(&registry)?;
        for line in [
            r#"orders_status_changes_total{status="in_preparation"} 0"#,
            r#"checkout_retries_total{reason="deadlock"} 0"#,
            r#"checkout_aborted_total{reason="serialization"} 0"#,
            "orders_created_total 0",
        ] {
            assert!(text.contains(line), "{line} missing:\n{text}");
        }
        Ok(())
    }

    #[test]
    fn a_placed_order_counts_as_created_and_received() -> Result<(), Box<dyn std::error::Error>> {
        let registry = Registry::new();
        let metrics = OrderMetrics::register(&registry)?;
        metrics.order_placed();
        metrics.checkout_retried(LockConflict::Deadlock);
        let text = rendered(&registry)?;
        assert!(text.contains("orders_created_total 1"), "{text}");
        assert!(
            text.contains(r#"orders_status_changes_total{status="received"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"checkout_retries_total{reason="deadlock"} 1"#),
            "{text}"
        );
        Ok(())
    }
}
