//! The status codes stored in the database, in the order of their state machines.
//!
//! The schema's CHECK constraints accept exactly these strings. The HTTP layer maps them to
//! the Portuguese wire names of API-V1.md; keeping English codes in storage keeps accents
//! and wording changes out of the data.

/// `orders.status` and `order_status_history.{from,to}_status`:
/// received (Recebido), paid (Pago), in_preparation (Em preparação), ready (Pronto),
/// finished (Finalizado), cancelled (Cancelado).
pub const ORDER_STATUSES: [&str; 6] = [
    "received",
    "paid",
    "in_preparation",
    "ready",
    "finished",
    "cancelled",
];

/// `payments.status`: pending (pendente), approved (aprovado), rejected (rejeitado),
/// cancelled (cancelado), expired (expirado).
pub const PAYMENT_STATUSES: [&str; 5] = ["pending", "approved", "rejected", "cancelled", "expired"];

/// The order statuses that leave the kitchen list.
pub const CLOSED_ORDER_STATUSES: [&str; 2] = ["finished", "cancelled"];
