//! The order and payment states and the order state machine.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where an order is in its life. Wire names keep v1's Portuguese, accents included.
///
/// ```
/// use postech_shared_sdk::order::OrderStatus;
///
/// let status = OrderStatus::from_wire_name("Em preparação").expect("known status");
/// assert_eq!(status, OrderStatus::InPreparation);
/// assert_eq!(status.transition_to(OrderStatus::Ready), Ok(OrderStatus::Ready));
///
/// let refused = OrderStatus::Finished.transition_to(OrderStatus::Received).unwrap_err();
/// assert!(refused.allowed.is_empty());
/// assert_eq!(serde_json::to_string(&OrderStatus::InPreparation)?, r#""Em preparação""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrderStatus {
    /// `Recebido`: created, awaiting payment.
    #[serde(rename = "Recebido")]
    Received,
    /// `Pago`: payment approved, waiting for the kitchen.
    #[serde(rename = "Pago")]
    Paid,
    /// `Em preparação`: the kitchen is working on it.
    #[serde(rename = "Em preparação")]
    InPreparation,
    /// `Pronto`: ready for pick-up.
    #[serde(rename = "Pronto")]
    Ready,
    /// `Finalizado`: picked up. Final.
    #[serde(rename = "Finalizado")]
    Finished,
    /// `Cancelado`: payment rejected or expired, or cancelled by staff. Final.
    #[serde(rename = "Cancelado")]
    Cancelled,
}

impl OrderStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Received,
        OrderStatus::Paid,
        OrderStatus::InPreparation,
        OrderStatus::Ready,
        OrderStatus::Finished,
        OrderStatus::Cancelled,
    ];

    /// The name on the wire and in the database (`Em preparação`).
    pub const fn wire_name(self) -> &'static str {
        match self {
            OrderStatus::Received => "Recebido",
            OrderStatus::Paid => "Pago",
            OrderStatus::InPreparation => "Em preparação",
            OrderStatus::Ready => "Pronto",
            OrderStatus::Finished => "Finalizado",
            OrderStatus::Cancelled => "Cancelado",
        }
    }

    /// The status with exactly this wire name (case and accents matter, as in v1).
    pub fn from_wire_name(name: &str) -> Option<OrderStatus> {
        Self::ALL
            .into_iter()
            .find(|status| status.wire_name() == name)
    }

    /// The statuses this one may move to: `Recebido → Pago | Cancelado`,
    /// `Pago → Em preparação | Cancelado`, `Em preparação → Pronto`, `Pronto → Finalizado`;
    /// none from `Finalizado` or `Cancelado`. Staying in the same status is not a move.
    pub const fn allowed_next(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::Received => &[OrderStatus::Paid, OrderStatus::Cancelled],
            OrderStatus::Paid => &[OrderStatus::InPreparation, OrderStatus::Cancelled],
            OrderStatus::InPreparation => &[OrderStatus::Ready],
            OrderStatus::Ready => &[OrderStatus::Finished],
            OrderStatus::Finished | OrderStatus::Cancelled => &[],
        }
    }

    /// Whether moving to `next` is allowed.
    pub fn can_transition_to(self, next: OrderStatus) -> bool {
        self.allowed_next().contains(&next)
    }

    /// `next` when the move is allowed, else an error naming the allowed moves (the 409 of
    /// the contract).
    pub fn transition_to(self, next: OrderStatus) -> Result<OrderStatus, TransitionError> {
        if self.can_transition_to(next) {
            Ok(next)
        } else {
            Err(TransitionError {
                from: self,
                to: next,
                allowed: self.allowed_next(),
            })
        }
    }

    /// Rank in the kitchen list, lowest first: `Pronto` 0, `Em preparação` 1, `Pago` 2,
    /// `Recebido` 3; `None` for orders that leave the list (`Finalizado`, `Cancelado`).
    pub const fn kitchen_priority(self) -> Option<u8> {
        match self {
            OrderStatus::Ready => Some(0),
            OrderStatus::InPreparation => Some(1),
            OrderStatus::Paid => Some(2),
            OrderStatus::Received => Some(3),
            OrderStatus::Finished | OrderStatus::Cancelled => None,
        }
    }

    /// Whether the order is still in progress (neither `Finalizado` nor `Cancelado`).
    pub const fn is_open(self) -> bool {
        self.kitchen_priority().is_some()
    }
}

/// The wire name.
impl fmt::Display for OrderStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.wire_name())
    }
}

/// A refused status change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot move from {from} to {to} (allowed: {})", list_wire_names(.allowed))]
pub struct TransitionError {
    /// Current status.
    pub from: OrderStatus,
    /// Requested status.
    pub to: OrderStatus,
    /// What `from` may move to (empty for final statuses).
    pub allowed: &'static [OrderStatus],
}

fn list_wire_names(statuses: &[OrderStatus]) -> String {
    if statuses.is_empty() {
        return "none".to_owned();
    }
    statuses
        .iter()
        .map(|status| status.wire_name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// State of the payment of an order (`status_pagamento`).
///
/// ```
/// use postech_shared_sdk::order::PaymentStatus;
///
/// assert_eq!(PaymentStatus::from_wire_name("aprovado"), Some(PaymentStatus::Approved));
/// assert_eq!(serde_json::to_string(&PaymentStatus::Pending)?, r#""pendente""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentStatus {
    /// `pendente`: QR code issued (or not yet), no answer from the provider.
    #[serde(rename = "pendente")]
    Pending,
    /// `aprovado`: paid.
    #[serde(rename = "aprovado")]
    Approved,
    /// `rejeitado`: refused by the provider; the customer may retry.
    #[serde(rename = "rejeitado")]
    Rejected,
    /// `cancelado`: cancelled at the provider.
    #[serde(rename = "cancelado")]
    Cancelled,
    /// `expirado`: the QR code expired unpaid.
    #[serde(rename = "expirado")]
    Expired,
}

impl PaymentStatus {
    /// Every payment status.
    pub const ALL: [PaymentStatus; 5] = [
        PaymentStatus::Pending,
        PaymentStatus::Approved,
        PaymentStatus::Rejected,
        PaymentStatus::Cancelled,
        PaymentStatus::Expired,
    ];

    /// The name on the wire and in the database.
    pub const fn wire_name(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pendente",
            PaymentStatus::Approved => "aprovado",
            PaymentStatus::Rejected => "rejeitado",
            PaymentStatus::Cancelled => "cancelado",
            PaymentStatus::Expired => "expirado",
        }
    }

    /// The status with exactly this wire name.
    pub fn from_wire_name(name: &str) -> Option<PaymentStatus> {
        Self::ALL
            .into_iter()
            .find(|status| status.wire_name() == name)
    }
}

/// The wire name.
impl fmt::Display for PaymentStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.wire_name())
    }
}
