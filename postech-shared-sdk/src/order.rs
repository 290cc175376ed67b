//! Orders: their state machine, payment states, checkout rules and the order itself.

mod checkout;
mod status;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerId, OrderId, ProductId};
use crate::money::{Money, MoneyError};

pub use checkout::{
    CheckoutRequest, MAX_NOTES_CHARS, MAX_ORDER_TOTAL, MIN_ORDER_TOTAL, ORDER_LINES,
    OrderLineRequest, QUANTITY_PER_LINE, ValidatedCheckout, ValidatedLine, validate_order_total,
};
pub use status::{OrderStatus, PaymentStatus, TransitionError};

/// A line of an order, with the product's name and price as they were at checkout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The product ordered.
    pub product_id: ProductId,
    /// Its name at checkout.
    pub product_name: String,
    /// Its price at checkout.
    pub unit_price: Money,
    /// Units ordered.
    pub quantity: u32,
}

impl OrderItem {
    /// Unit price times quantity.
    ///
    /// ```
    /// use postech_shared_sdk::ids::ProductId;
    /// use postech_shared_sdk::money::Money;
    /// use postech_shared_sdk::order::OrderItem;
    ///
    /// let item = OrderItem {
    ///     product_id: ProductId::new_random(),
    ///     product_name: "Refrigerante".into(),
    ///     unit_price: Money::from_cents(690),
    ///     quantity: 3,
    /// };
    /// assert_eq!(item.subtotal(), Ok(Money::from_cents(2070)));
    /// ```
    pub fn subtotal(&self) -> Result<Money, MoneyError> {
        self.unit_price
            .checked_mul(self.quantity)
            .ok_or(MoneyError::OutOfRange)
    }
}

/// An order as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// Short number called out at the counter.
    pub number: i64,
    /// The customer, unless anonymous.
    pub customer_id: Option<CustomerId>,
    /// Where the order is in its life.
    pub status: OrderStatus,
    /// State of its payment.
    pub payment_status: PaymentStatus,
    /// The lines, in checkout order.
    pub items: Vec<OrderItem>,
    /// Notes for the kitchen.
    pub notes: Option<String>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
}

impl Order {
    /// Sum of the item subtotals, exact.
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.items.iter().try_fold(Money::ZERO, |total, item| {
            total
                .checked_add(item.subtotal()?)
                .ok_or(MoneyError::OutOfRange)
        })
    }
}
