//! The ports: what the use cases need from the outside world, as traits. Adapters implement
//! them (`adapters::postgres`, `adapters::cognito`); tests and `startup` pick the
//! implementations. Payments (the next issue) will add a `PaymentProvider` port here and an
//! `adapters::mercadopago` beside the others; nothing in the use cases below depends on it.

use async_trait::async_trait;
use futures_util::future::BoxFuture;

use crate::application::checkout::{
    CheckoutRejection, IdempotencyRecord, LockedProduct, NewOrder, PricedOrder,
};
use crate::application::error::PortError;
use crate::application::orders::{OrderRecord, StatusChange};
use crate::domain::catalog::{Category, Product};
use crate::domain::cognito::NewCustomerIdentity;
use crate::domain::cpf::Cpf;
use crate::domain::customer::Customer;
use crate::domain::ids::{CustomerId, OrderId, ProductId};
use crate::domain::order::{OrderStatus, ValidatedLine};

/// The menu's storage.
#[async_trait]
pub trait ProductRepository: Send + Sync {
    /// Products in name order; `only_active` hides deactivated ones.
    async fn list(
        &self,
        category: Option<Category>,
        only_active: bool,
    ) -> Result<Vec<Product>, PortError>;
    /// One product, active or not.
    async fn find(&self, id: ProductId) -> Result<Option<Product>, PortError>;
    /// Stores a new product.
    async fn insert(&self, product: &Product) -> Result<(), PortError>;
    /// Replaces a product's fields; `false` when there is no such product.
    async fn update(&self, product: &Product) -> Result<bool, PortError>;
    /// Marks a product inactive; `false` when there is no such product.
    async fn deactivate(&self, id: ProductId) -> Result<bool, PortError>;
}

/// Why a customer could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The CPF or the email is already taken (a unique constraint said so).
    #[error("customer already registered")]
    AlreadyRegistered,
    /// The confirmation (the identity provider) failed; nothing was stored.
    #[error("confirmation failed: {0}")]
    ConfirmationFailed(IdentityError),
    /// The confirmation succeeded but the commit then failed: the caller must undo the
    /// confirmation.
    #[error("commit failed after confirmation: {0}")]
    CommitFailedAfterConfirmation(PortError),
    /// The database failed before the confirmation ran.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Customers' storage.
#[async_trait]
pub trait CustomerRepository: Send + Sync {
    /// Inserts `customer` inside a transaction, then awaits `confirmation` (if any) and commits
    /// only when it succeeds: the row exists only if the confirmation did. The confirmation is
    /// never polled when the insert fails (e.g. a duplicate CPF), so it has no side effect then.
    async fn insert_confirmed(
        &self,
        customer: &Customer,
        confirmation: Option<BoxFuture<'_, Result<(), IdentityError>>>,
    ) -> Result<(), RegistrationError>;
    /// One customer by id.
    async fn find_by_id(&self, id: CustomerId) -> Result<Option<Customer>, PortError>;
    /// One customer by CPF.
    async fn find_by_cpf(&self, cpf: &Cpf) -> Result<Option<Customer>, PortError>;
    /// A page of customers in registration order, and the total count.
    async fn list(&self, limit: u32, offset: u64) -> Result<(Vec<Customer>, u64), PortError>;
}

/// The pricing rules the use case runs under the stock locks: given the lines and the locked
/// product rows, the priced order, or why it cannot be made.
pub type PriceOrder = dyn Fn(&[ValidatedLine], &[LockedProduct]) -> Result<PricedOrder, CheckoutRejection>
    + Send
    + Sync;

/// The outcome of storing an order.
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

/// A payment charge withdrawn with its cancelled order: `cancelado` in our records, and to be
/// cancelled at the provider too, so that nobody pays for an order the kitchen will not make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawnCharge {
    /// The provider's stored name (`mercadopago` or `simulated`).
    pub provider: String,
    /// The provider's id of the charge.
    pub provider_payment_id: String,
}

/// The outcome of a conditional status change.
#[derive(Debug, PartialEq, Eq)]
pub enum TransitionOutcome {
    /// Changed, history recorded; when the order left `Recebido` (or was cancelled), these
    /// pending charges of the order were cancelled in the same transaction.
    Done(Vec<WithdrawnCharge>),
    /// The order was no longer in the expected status: this is its status now.
    StatusChanged(OrderStatus),
}

/// Orders' storage.
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// In one transaction: locks the ordered products in id order, runs `price` on them,
    /// reserves stock, stores the order with its priced items, its first status-history entry
    /// and its idempotency key.
    async fn place(&self, order: &NewOrder, price: &PriceOrder) -> Result<PlaceOutcome, PortError>;
    /// The order stored under an idempotency key, with the request fingerprint it was made
    /// with.
    async fn find_by_idempotency_key(
        &self,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, PortError>;
    /// One order with its items and its owner's name.
    async fn find(&self, id: OrderId) -> Result<Option<OrderRecord>, PortError>;
    /// A customer's orders, newest first.
    async fn list_for_customer(&self, customer: CustomerId) -> Result<Vec<OrderRecord>, PortError>;
    /// The kitchen queue: open orders by status priority, oldest first, without a query per
    /// order.
    async fn kitchen_queue(&self) -> Result<Vec<OrderRecord>, PortError>;
    /// The status changes of an order, oldest first.
    async fn history(&self, id: OrderId) -> Result<Vec<StatusChange>, PortError>;
    /// In one transaction: moves the order from `from` to `to` if it is still in `from` and
    /// records the change in the history (with `actor`). Moving to `Cancelado` also gives its
    /// reserved units back to the products (locked in id order, like the checkout); moving
    /// out of `Recebido` or to `Cancelado` cancels its pending payment charges.
    async fn transition(
        &self,
        id: OrderId,
        from: OrderStatus,
        to: OrderStatus,
        actor: &str,
    ) -> Result<TransitionOutcome, PortError>;
}

/// Cancels charges at the payment provider (best effort: a charge that cannot be cancelled
/// still expires there).
#[async_trait]
pub trait ChargeCancellation: Send + Sync {
    /// Asks the provider to cancel each charge.
    async fn cancel_charges(&self, charges: &[WithdrawnCharge]);
}

/// Why the identity provider refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The CPF already has an identity belonging to another customer.
    #[error("identity already registered")]
    AlreadyRegistered,
    /// The provider did not answer or failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Customer identities (Cognito): the login side of a customer.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Creates the identity of a customer (username = CPF digits).
    async fn register_customer(&self, identity: &NewCustomerIdentity) -> Result<(), IdentityError>;
    /// Removes a customer's identity (compensation of a failed registration).
    async fn delete_customer(&self, cpf: &Cpf) -> Result<(), IdentityError>;
}

/// Whether the database answers (readiness).
#[async_trait]
pub trait HealthProbe: Send + Sync {
    /// `Ok` when a trivial query succeeds.
    async fn check(&self) -> Result<(), PortError>;
}
