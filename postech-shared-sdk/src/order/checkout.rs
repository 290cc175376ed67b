//! The checkout rules that need no database: shape of the item list, quantities, notes,
//! and the bounds of the total once prices are known.

use std::collections::HashSet;
use std::ops::RangeInclusive;

use crate::ids::ProductId;
use crate::money::Money;
use crate::validation::{FieldError, PathSegment, check_storable_text};

/// How many lines an order may have.
pub const ORDER_LINES: RangeInclusive<usize> = 1..=20;
/// How many units of one product a line may ask for.
pub const QUANTITY_PER_LINE: RangeInclusive<i64> = 1..=50;
/// Longest order note, in characters, after trimming.
pub const MAX_NOTES_CHARS: usize = 500;
/// Smallest order total.
pub const MIN_ORDER_TOTAL: Money = Money::from_cents(500);
/// Largest order total.
pub const MAX_ORDER_TOTAL: Money = Money::from_cents(100_000);

/// One requested line: a product and how many. The quantity is as submitted (possibly zero
/// or negative) so the rule can report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderLineRequest {
    /// The product wanted.
    pub product_id: ProductId,
    /// How many units, as submitted.
    pub quantity: i64,
}

/// A checkout as submitted (`{itens, observacoes}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// The lines, in the order the customer chose them.
    pub items: Vec<OrderLineRequest>,
    /// Free text for the kitchen, if any.
    pub notes: Option<String>,
}

/// A line that passed the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatedLine {
    /// The product wanted (existence and availability are checked against the database).
    pub product_id: ProductId,
    /// Units, within [`QUANTITY_PER_LINE`].
    pub quantity: u32,
}

/// A checkout that passed the rules that need no database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedCheckout {
    /// The lines, order kept, no product twice.
    pub items: Vec<ValidatedLine>,
    /// Trimmed, non-blank notes within [`MAX_NOTES_CHARS`].
    pub notes: Option<String>,
}

impl CheckoutRequest {
    /// Checks 1–20 lines, quantities 1–50, no product twice and notes of at most 500
    /// characters without a NUL ([`check_storable_text`]), reporting every broken rule.
    /// Paths: `items`, `items.<i>.quantity`, `items.<i>.product_id` (on the repeated
    /// occurrence), `notes`.
    ///
    /// ```
    /// use postech_shared_sdk::ids::ProductId;
    /// use postech_shared_sdk::order::{CheckoutRequest, OrderLineRequest};
    ///
    /// let burger = ProductId::new_random();
    /// let request = CheckoutRequest {
    ///     items: vec![
    ///         OrderLineRequest { product_id: burger, quantity: 2 },
    ///         OrderLineRequest { product_id: burger, quantity: 51 },
    ///     ],
    ///     notes: Some("  sem cebola ".into()),
    /// };
    /// let errors = request.validate().unwrap_err();
    /// let paths: Vec<String> = errors.iter().map(|error| error.to_string()).collect();
    /// assert_eq!(paths.len(), 2);
    /// assert!(paths[0].starts_with("items.1.quantity:"));
    /// assert!(paths[1].starts_with("items.1.product_id:"));
    /// ```
    pub fn validate(self) -> Result<ValidatedCheckout, Vec<FieldError>> {
        let mut errors = Vec::new();

        if self.items.len() < *ORDER_LINES.start() {
            errors.push(FieldError::at_field(
                "items",
                "too_short",
                "O pedido deve ter pelo menos 1 item",
            ));
        } else if self.items.len() > *ORDER_LINES.end() {
            errors.push(FieldError::at_field(
                "items",
                "too_long",
                format!("O pedido deve ter no máximo {} itens", ORDER_LINES.end()),
            ));
        }

        let mut seen = HashSet::new();
        let mut items = Vec::with_capacity(self.items.len());
        for (position, line) in self.items.iter().enumerate() {
            let line_field = |field| {
                vec![
                    PathSegment::Field("items"),
                    PathSegment::Index(position),
                    PathSegment::Field(field),
                ]
            };
            if line.quantity < *QUANTITY_PER_LINE.start() {
                errors.push(FieldError::new(
                    line_field("quantity"),
                    "greater_than_equal",
                    "A quantidade deve ser pelo menos 1",
                ));
            } else if line.quantity > *QUANTITY_PER_LINE.end() {
                errors.push(FieldError::new(
                    line_field("quantity"),
                    "less_than_equal",
                    format!(
                        "A quantidade deve ser no máximo {}",
                        QUANTITY_PER_LINE.end()
                    ),
                ));
            }
            if !seen.insert(line.product_id) {
                errors.push(FieldError::new(
                    line_field("product_id"),
                    "value_error",
                    "Produto repetido no pedido; ajuste a quantidade do item",
                ));
            }
            if let Ok(quantity) = u32::try_from(line.quantity) {
                items.push(ValidatedLine {
                    product_id: line.product_id,
                    quantity,
                });
            }
        }

        let notes = self
            .notes
            .map(|notes| notes.trim().to_owned())
            .filter(|notes| !notes.is_empty());
        if let Some(Err(error)) = notes
            .as_ref()
            .map(|notes| check_storable_text("notes", "As observações", notes))
        {
            errors.push(error);
        }
        if notes
            .as_ref()
            .is_some_and(|notes| notes.chars().count() > MAX_NOTES_CHARS)
        {
            errors.push(FieldError::at_field(
                "notes",
                "string_too_long",
                format!("As observações devem ter no máximo {MAX_NOTES_CHARS} caracteres"),
            ));
        }

        if errors.is_empty() {
            Ok(ValidatedCheckout { items, notes })
        } else {
            Err(errors)
        }
    }
}

/// Checks that an order total, computed from the current prices, is within
/// [`MIN_ORDER_TOTAL`]..=[`MAX_ORDER_TOTAL`]. The error is reported on `items`.
///
/// ```
/// use postech_shared_sdk::money::Money;
/// use postech_shared_sdk::order::validate_order_total;
///
/// assert!(validate_order_total(Money::from_cents(500)).is_ok());
/// assert!(validate_order_total(Money::from_cents(499)).is_err());
/// assert!(validate_order_total(Money::from_cents(100_001)).is_err());
/// ```
pub fn validate_order_total(total: Money) -> Result<(), FieldError> {
    if total < MIN_ORDER_TOTAL {
        Err(FieldError::at_field(
            "items",
            "value_error",
            format!("O valor total do pedido deve ser de pelo menos {MIN_ORDER_TOTAL}"),
        ))
    } else if total > MAX_ORDER_TOTAL {
        Err(FieldError::at_field(
            "items",
            "value_error",
            format!("O valor total do pedido deve ser de no máximo {MAX_ORDER_TOTAL}"),
        ))
    } else {
        Ok(())
    }
}
