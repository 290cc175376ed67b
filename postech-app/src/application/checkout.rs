//! The checkout: validate, price from the locked products, reserve stock, store — once per
//! `Idempotency-Key`.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::adapters::order_metrics::OrderMetrics;
use crate::adapters::postgres::{PgPool, orders as stored_orders};
use crate::application::caller::Caller;
use crate::application::error::{Conflict, Resource, UseCaseError};
use crate::application::orders::OrderRecord;
use crate::domain::ids::{CustomerId, OrderId, ProductId};
use crate::domain::money::Money;
use crate::domain::order::{
    CheckoutRequest, OrderItem, OrderLineRequest, ValidatedLine, validate_order_total,
};
use crate::domain::validation::{FieldError, PathSegment};

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// A checkout as the client sent it.
#[derive(Clone, Debug)]
pub struct PlaceOrder {
    /// The lines, in the client's order.
    pub lines: Vec<OrderLineRequest>,
    /// Free-text notes for the kitchen.
    pub notes: Option<String>,
    /// The `cliente_id` of the body, if any.
    pub customer_in_body: Option<CustomerId>,
    /// The `Idempotency-Key` header, if any.
    pub idempotency_key: Option<String>,
}

/// A validated order ready to be stored: the adapter prices it from the product rows and
/// stores it only if they are unchanged under the stock locks.
#[derive(Clone, Debug)]
pub struct NewOrder {
    /// Id chosen here, so retries after a lost answer can be recognised.
    pub id: OrderId,
    /// Owner, or `None` for an anonymous order.
    pub customer_id: Option<CustomerId>,
    /// Lines in checkout order; product ids are distinct.
    pub lines: Vec<ValidatedLine>,
    /// Notes for the kitchen.
    pub notes: Option<String>,
    /// The idempotency key and the fingerprint of the request made with it.
    pub idempotency: Option<IdempotencyRecord>,
    /// Who placed it, for the status history (`customer`, `kiosk`, `admin:<name>`).
    pub actor: String,
}

/// An idempotency key, the fingerprint of the request that used it and the order it made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The client's key.
    pub key: String,
    /// SHA-256 (hex) of the owner, the lines and the notes.
    pub fingerprint: String,
    /// The order made under the key (meaningless before it is stored).
    pub order_id: OrderId,
}

/// A product row as the pricing sees it (the write checks it unchanged under its lock).
#[derive(Clone, Debug)]
pub struct LockedProduct {
    /// Its id.
    pub id: ProductId,
    /// Its name, snapshotted into the order.
    pub name: String,
    /// Its current price, snapshotted into the order.
    pub price: Money,
    /// Units available.
    pub stock_available: u32,
    /// Whether it can be ordered at all.
    pub active: bool,
}

/// Why the locked products do not allow the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckoutRejection {
    /// Unknown or inactive products, or a total out of range (422).
    Invalid(Vec<FieldError>),
    /// Not enough stock; the product names (409).
    InsufficientStock(Vec<String>),
}

/// What the checkout answers: the order, and whether it was stored by an earlier request
/// with the same idempotency key.
#[derive(Debug)]
pub struct CheckoutOutcome {
    /// The order.
    pub order: OrderRecord,
    /// `true` when this request replayed an earlier one.
    pub replayed: bool,
}

/// The pricing rules the checkout runs on the product rows it read (their lock then checks
/// them unchanged): given the lines and the rows, the priced order, or why it cannot be made.
pub type PriceOrder = dyn Fn(&[ValidatedLine], &[LockedProduct]) -> Result<PricedOrder, CheckoutRejection>
    + Send
    + Sync;

/// The outcome of the checkout transaction.
#[derive(Debug)]
pub enum PlaceOutcome {
    /// Stored: the new order.
    Placed(OrderRecord),
    /// The pricing rules refused the order; nothing was stored.
    Rejected(CheckoutRejection),
    /// The owner does not exist (a foreign key said so); nothing was stored.
    UnknownCustomer,
    /// Another request stored an order under this idempotency key first; nothing was stored.
    IdempotencyKeyTaken,
}

/// The checkout use case.
#[derive(Clone)]
pub struct Checkout {
    pool: PgPool,
    metrics: OrderMetrics,
}

impl Checkout {
    /// The checkout over the database `pool`, counting orders and retries into `metrics`.
    pub fn new(pool: PgPool, metrics: OrderMetrics) -> Self {
        Self { pool, metrics }
    }

    /// Places an order for `caller`.
    #[tracing::instrument(name = "checkout.place", skip_all)]
    pub async fn place(
        &self,
        caller: &Caller,
        request: PlaceOrder,
    ) -> Result<CheckoutOutcome, UseCaseError> {
        let customer_id = owner(caller, request.customer_in_body)?;
        let validated = CheckoutRequest {
            items: request.lines,
            notes: request.notes,
        }
        .validate()
        .map_err(UseCaseError::Invalid)?;
        let order_id = OrderId::new_random();
        let idempotency = match request.idempotency_key {
            Some(key) => Some(IdempotencyRecord {
                fingerprint: fingerprint(customer_id, &validated.items, validated.notes.as_deref()),
                key: checked_key(key)?,
                order_id,
            }),
            None => None,
        };
        if let Some(record) = &idempotency
            && let Some(outcome) = self.replay(record).await?
        {
            return Ok(outcome);
        }
        let new_order = NewOrder {
            id: order_id,
            customer_id,
            lines: validated.items,
            notes: validated.notes,
            idempotency,
            actor: caller.actor(),
        };
        match stored_orders::place(&self.pool, &new_order, &price_order, &self.metrics).await? {
            PlaceOutcome::Placed(order) => {
                self.metrics.order_placed();
                Ok(CheckoutOutcome {
                    order,
                    replayed: false,
                })
            }
            PlaceOutcome::Rejected(CheckoutRejection::Invalid(errors)) => {
                Err(UseCaseError::Invalid(errors))
            }
            PlaceOutcome::Rejected(CheckoutRejection::InsufficientStock(product_names)) => {
                Err(UseCaseError::Conflict(Conflict::InsufficientStock {
                    product_names,
                }))
            }
            PlaceOutcome::UnknownCustomer => Err(UseCaseError::invalid(FieldError::at_field(
                "customer_id",
                "value_error",
                "Cliente inexistente",
            ))),
            // A concurrent request with the same key committed first: answer as its retry.
            PlaceOutcome::IdempotencyKeyTaken => match &new_order.idempotency {
                Some(record) => self
                    .replay(record)
                    .await?
                    .ok_or(UseCaseError::NotFound(Resource::Order)),
                None => Err(UseCaseError::NotFound(Resource::Order)),
            },
        }
    }

    /// The earlier order made under the same key, if any; a different request under a used
    /// key is a conflict.
    async fn replay(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<Option<CheckoutOutcome>, UseCaseError> {
        let Some(earlier) = stored_orders::find_by_idempotency_key(&self.pool, &record.key).await?
        else {
            return Ok(None);
        };
        if earlier.fingerprint != record.fingerprint {
            return Err(UseCaseError::Conflict(Conflict::IdempotencyKeyReused));
        }
        let order = stored_orders::find(&self.pool, earlier.order_id)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Order))?;
        Ok(Some(CheckoutOutcome {
            order,
            replayed: true,
        }))
    }
}

/// Whose order this is: the token's customer; nobody for an anonymous kiosk; staff may order
/// on a customer's behalf.
fn owner(caller: &Caller, in_body: Option<CustomerId>) -> Result<Option<CustomerId>, UseCaseError> {
    match (caller, in_body) {
        (Caller::Customer(id, _), Some(body)) if *id != body => Err(UseCaseError::Forbidden(
            "o cliente_id do pedido não é o do token",
        )),
        (Caller::Customer(id, _), _) => Ok(Some(*id)),
        (Caller::Anonymous, Some(_)) => Err(UseCaseError::Unauthenticated),
        (Caller::Anonymous, None) => Ok(None),
        (Caller::Admin { .. }, body) => Ok(body),
    }
}

fn checked_key(key: String) -> Result<String, UseCaseError> {
    let acceptable = !key.is_empty()
        && key.chars().count() <= MAX_IDEMPOTENCY_KEY_CHARS
        && key.chars().all(|c| c.is_ascii_graphic());
    if acceptable {
        Ok(key)
    } else {
        Err(UseCaseError::invalid(FieldError::at_field(
            "idempotency_key",
            "value_error",
            format!(
                "Idempotency-Key deve ter de 1 a {MAX_IDEMPOTENCY_KEY_CHARS} caracteres ASCII visíveis"
            ),
        )))
    }
}

/// A digest of what makes two checkouts the same request.
fn fingerprint(
    customer: Option<CustomerId>,
    lines: &[ValidatedLine],
    notes: Option<&str>,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(customer.map(|id| id.to_string()).unwrap_or_default());
    for line in lines {
        hasher.update(format!("|{}x{}", line.product_id, line.quantity));
    }
    hasher.update("|notes:");
    hasher.update(notes.unwrap_or_default());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// An order priced from the locked rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedOrder {
    /// Items with the current name and price (the snapshot), in checkout order.
    pub items: Vec<OrderItem>,
    /// Their total.
    pub total: Money,
}

/// The business rules that need the locked rows: every product exists and is active, stock
/// covers every line, and the total is within bounds.
pub fn price_order(
    lines: &[ValidatedLine],
    locked: &[LockedProduct],
) -> Result<PricedOrder, CheckoutRejection> {
    let by_id: HashMap<ProductId, &LockedProduct> =
        locked.iter().map(|product| (product.id, product)).collect();
    let mut unavailable = Vec::new();
    let mut short = Vec::new();
    let mut items = Vec::with_capacity(lines.len());
    for (position, line) in lines.iter().enumerate() {
        match by_id.get(&line.product_id) {
            Some(product) if product.active => {
                if product.stock_available < line.quantity {
                    short.push(product.name.clone());
                }
                items.push(OrderItem {
                    product_id: product.id,
                    product_name: product.name.clone(),
                    unit_price: product.price,
                    quantity: line.quantity,
                });
            }
            _ => unavailable.push(FieldError::new(
                vec![
                    PathSegment::Field("items"),
                    PathSegment::Index(position),
                    PathSegment::Field("product_id"),
                ],
                "value_error",
                "Produto inexistente ou indisponível",
            )),
        }
    }
    if !unavailable.is_empty() {
        return Err(CheckoutRejection::Invalid(unavailable));
    }
    let total = items
        .iter()
        .try_fold(Money::ZERO, |total, item| {
            item.unit_price
                .checked_mul(item.quantity)
                .and_then(|subtotal| total.checked_add(subtotal))
        })
        .ok_or_else(|| {
            CheckoutRejection::Invalid(vec![FieldError::at_field(
                "items",
                "value_error",
                "Valor total fora do limite",
            )])
        })?;
    validate_order_total(total).map_err(|error| CheckoutRejection::Invalid(vec![error]))?;
    if !short.is_empty() {
        return Err(CheckoutRejection::InsufficientStock(short));
    }
    Ok(PricedOrder { items, total })
}
