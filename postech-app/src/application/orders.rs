//! Use cases of placed orders: reading them, the kitchen queue and the status changes.

use chrono::{DateTime, Utc};

use crate::adapters::order_metrics::OrderMetrics;
use crate::adapters::postgres::{PgPool, ReadPools, orders as stored_orders};
use crate::application::caller::{Caller, PersonalData};
use crate::application::customers::mask_name;
use crate::application::error::{Conflict, Resource, UseCaseError};
use crate::application::payments::Payments;
use crate::domain::ids::OrderId;
use crate::domain::order::{Order, OrderStatus};

/// An order as stored, with its owner's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    /// The order with its items (snapshot prices, checkout order).
    pub order: Order,
    /// The owner's name, if the owner gave one.
    pub customer_name: Option<String>,
}

impl OrderRecord {
    /// The same order with the owner's name hidden unless `caller` may see it (the owner or
    /// staff): order ids are handed to kiosks and screens, names are personal data. An owner
    /// holding a kiosk token (a CPF alone) sees the name masked as `/clientes/me` masks it
    /// (first name only): a CPF identifies, it does not authenticate.
    pub fn as_seen_by(mut self, caller: &Caller) -> Self {
        let is_owner =
            caller.customer_id().is_some() && caller.customer_id() == self.order.customer_id;
        self.customer_name = match caller {
            Caller::Admin { .. } => self.customer_name,
            Caller::Customer(_, PersonalData::Full) if is_owner => self.customer_name,
            Caller::Customer(_, PersonalData::Masked) if is_owner => {
                self.customer_name.as_deref().map(mask_name)
            }
            _ => None,
        };
        self
    }
}

/// One entry of an order's status history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The status entered.
    pub status: OrderStatus,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// An order with its status history (staff view).
#[derive(Clone, Debug)]
pub struct OrderWithHistory {
    /// The order.
    pub record: OrderRecord,
    /// Its status changes, oldest first.
    pub history: Vec<StatusChange>,
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

/// The order use cases that have rules: who sees the owner's name, the state machine, and
/// the charge withdrawn with a status change. Plain reads (a customer's orders, the kitchen
/// list) go from the handler to `adapters::postgres::orders` directly.
#[derive(Clone)]
pub struct Orders {
    pool: PgPool,
    reads: ReadPools,
    payments: Payments,
    metrics: OrderMetrics,
}

impl Orders {
    /// The use cases over the database: status changes and the staff's reads on the writer,
    /// an order by id through `reads` (the replica when it may answer); a cancelled order's
    /// pending charges are cancelled at the provider through `payments`; status changes count
    /// into `metrics`.
    pub fn new(reads: ReadPools, payments: Payments, metrics: OrderMetrics) -> Self {
        Self {
            pool: reads.writer().clone(),
            reads,
            payments,
            metrics,
        }
    }

    /// One order, as `caller` may see it.
    #[tracing::instrument(name = "orders.get", skip_all)]
    pub async fn get(&self, caller: &Caller, id: OrderId) -> Result<OrderRecord, UseCaseError> {
        // On the replica when it may answer; an order it has not replayed yet (the one just
        // placed) is read on the writer, never answered 404.
        let found = self
            .reads
            .read_found(move |pool| async move { stored_orders::find(&pool, id).await })
            .await?;
        Ok(found
            .ok_or(UseCaseError::NotFound(Resource::Order))?
            .as_seen_by(caller))
    }

    /// One order with its status history (staff).
    #[tracing::instrument(name = "orders.with_history", skip_all)]
    pub async fn with_history(&self, id: OrderId) -> Result<OrderWithHistory, UseCaseError> {
        let record = self.find(id).await?;
        let history = stored_orders::history(&self.pool, id).await?;
        Ok(OrderWithHistory { record, history })
    }

    /// Moves an order to `to` when the state machine allows it from its current status.
    /// Cancelling releases the reserved stock; leaving `Recebido` (cancelled, or marked
    /// `Pago` by staff who took the money another way) cancels the pending charge in the same
    /// transaction, then cancels that charge at the provider.
    #[tracing::instrument(name = "orders.change_status", skip_all)]
    pub async fn change_status(
        &self,
        caller: &Caller,
        id: OrderId,
        to: OrderStatus,
    ) -> Result<OrderRecord, UseCaseError> {
        let record = self.find(id).await?;
        let from = record.order.status;
        if let Err(refused) = from.transition_to(to) {
            return Err(not_allowed(refused.from, refused.to));
        }
        match stored_orders::transition(&self.pool, id, from, to, &caller.actor()).await? {
            TransitionOutcome::Done(withdrawn) => {
                self.metrics.status_changed(to);
                if !withdrawn.is_empty() {
                    tracing::info!(order_id = %id, to = to.wire_name(), charges = withdrawn.len(), "pending charge withdrawn with the status change");
                    // In the background: staff do not wait for the provider's retries. A
                    // charge whose cancellation is lost (provider down, shutdown) still
                    // expires at the provider, and a late approval is kept for a refund.
                    let payments = self.payments.clone();
                    tokio::spawn(async move { payments.cancel_charges(&withdrawn).await });
                }
                self.find(id).await
            }
            // Someone else moved it first; report the move from where it is now.
            TransitionOutcome::StatusChanged(current) => Err(not_allowed(current, to)),
        }
    }

    /// Cancels an order while `Recebido` or `Pago`; records are never erased.
    #[tracing::instrument(name = "orders.cancel", skip_all)]
    pub async fn cancel(&self, caller: &Caller, id: OrderId) -> Result<OrderRecord, UseCaseError> {
        self.change_status(caller, id, OrderStatus::Cancelled).await
    }

    async fn find(&self, id: OrderId) -> Result<OrderRecord, UseCaseError> {
        stored_orders::find(&self.pool, id)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Order))
    }
}

fn not_allowed(from: OrderStatus, to: OrderStatus) -> UseCaseError {
    UseCaseError::Conflict(Conflict::StatusTransitionNotAllowed {
        from: from.wire_name(),
        to: to.wire_name(),
        allowed: from
            .allowed_next()
            .iter()
            .map(|status| status.wire_name())
            .collect(),
    })
}
