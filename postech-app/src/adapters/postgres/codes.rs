//! The English status codes stored in the database (`postech_database::codes`) ⇄ the domain.
//!
//! Kept over `diesel-derive-enum`: it maps PostgreSQL `ENUM` types, these columns are `TEXT`
//! with `CHECK`s from the schema crate's code list.

use crate::application::error::PortError;
use crate::domain::order::{OrderStatus, PaymentStatus};

/// The stored code of an order status.
pub const fn order_status_code(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Received => "received",
        OrderStatus::Paid => "paid",
        OrderStatus::InPreparation => "in_preparation",
        OrderStatus::Ready => "ready",
        OrderStatus::Finished => "finished",
        OrderStatus::Cancelled => "cancelled",
    }
}

/// The order status of a stored code.
pub fn order_status(code: &str) -> Result<OrderStatus, PortError> {
    OrderStatus::ALL
        .into_iter()
        .find(|status| order_status_code(*status) == code)
        .ok_or_else(|| unknown("order status", code))
}

/// The stored code of a payment status.
pub const fn payment_status_code(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Pending => "pending",
        PaymentStatus::Approved => "approved",
        PaymentStatus::Rejected => "rejected",
        PaymentStatus::Cancelled => "cancelled",
        PaymentStatus::Expired => "expired",
    }
}

/// The payment status of a stored code.
pub fn payment_status(code: &str) -> Result<PaymentStatus, PortError> {
    PaymentStatus::ALL
        .into_iter()
        .find(|status| payment_status_code(*status) == code)
        .ok_or_else(|| unknown("payment status", code))
}

fn unknown(what: &str, code: &str) -> PortError {
    PortError::Unexpected {
        dependency: "database",
        cause: format!("unknown {what} code {code:?}").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_ones_the_schema_accepts() {
        let orders: Vec<&str> = OrderStatus::ALL
            .into_iter()
            .map(order_status_code)
            .collect();
        assert_eq!(orders, postech_database::codes::ORDER_STATUSES);
        let payments: Vec<&str> = PaymentStatus::ALL
            .into_iter()
            .map(payment_status_code)
            .collect();
        assert_eq!(payments, postech_database::codes::PAYMENT_STATUSES);
    }
}
