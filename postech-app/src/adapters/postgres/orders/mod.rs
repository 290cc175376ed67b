//! Orders in PostgreSQL.

mod load;
mod place;
pub(super) mod transition;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use postech_database::kitchen::kitchen_queue;
use postech_database::schema::{order_status_history, orders};
use uuid::Uuid;

use super::codes::order_status;
use super::{PgPool, connection, unexpected};
use crate::application::checkout::{IdempotencyRecord, NewOrder};
use crate::application::error::PortError;
use crate::application::orders::{OrderRecord, StatusChange};
use crate::application::ports::{OrderRepository, PlaceOutcome, PriceOrder, TransitionOutcome};
use crate::domain::ids::{CustomerId, OrderId};
use crate::domain::order::OrderStatus;
use load::{OrderRow, complete};

/// [`OrderRepository`] over PostgreSQL.
#[derive(Clone)]
pub struct PgOrderRepository {
    pool: PgPool,
}

impl PgOrderRepository {
    /// The repository over `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The orders with these ids, whatever their status, in no particular order (the
    /// kitchen event stream's re-read of the orders that changed).
    pub async fn find_many(&self, ids: &[OrderId]) -> Result<Vec<OrderRecord>, PortError> {
        let ids: Vec<Uuid> = ids.iter().map(|id| id.into_uuid()).collect();
        let connection = connection(&self.pool).await?;
        let mut shared = &*connection;
        let rows = orders::table
            .filter(orders::id.eq_any(&ids))
            .select(OrderRow::as_select())
            .load(&mut shared)
            .await
            .map_err(unexpected)?;
        complete(&connection, rows).await
    }
}

#[async_trait]
impl OrderRepository for PgOrderRepository {
    async fn place(&self, order: &NewOrder, price: &PriceOrder) -> Result<PlaceOutcome, PortError> {
        place::place(&self.pool, order, price).await
    }

    async fn find_by_idempotency_key(
        &self,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, PortError> {
        let mut connection = connection(&self.pool).await?;
        let found = orders::table
            .filter(orders::idempotency_key.eq(key))
            .select((orders::id, orders::request_fingerprint))
            .first::<(Uuid, Option<String>)>(&mut connection)
            .await
            .optional()
            .map_err(unexpected)?;
        Ok(found.map(|(id, fingerprint)| IdempotencyRecord {
            key: key.to_owned(),
            fingerprint: fingerprint.unwrap_or_default(),
            order_id: OrderId::from(id),
        }))
    }

    async fn find(&self, id: OrderId) -> Result<Option<OrderRecord>, PortError> {
        let connection = connection(&self.pool).await?;
        let mut shared = &*connection;
        let rows = orders::table
            .filter(orders::id.eq(id.into_uuid()))
            .select(OrderRow::as_select())
            .load(&mut shared)
            .await
            .map_err(unexpected)?;
        Ok(complete(&connection, rows).await?.into_iter().next())
    }

    async fn list_for_customer(&self, customer: CustomerId) -> Result<Vec<OrderRecord>, PortError> {
        let connection = connection(&self.pool).await?;
        let mut shared = &*connection;
        let rows = orders::table
            .filter(orders::customer_id.eq(customer.into_uuid()))
            .order((orders::created_at.desc(), orders::number.desc()))
            .select(OrderRow::as_select())
            .load(&mut shared)
            .await
            .map_err(unexpected)?;
        complete(&connection, rows).await
    }

    async fn kitchen_queue(&self) -> Result<Vec<OrderRecord>, PortError> {
        let connection = connection(&self.pool).await?;
        let mut shared = &*connection;
        // The schema crate's query: its literal predicate matches the partial index
        // `orders_kitchen_queue_idx`, so the queue is one index scan with no sort.
        let rows = kitchen_queue()
            .select(OrderRow::as_select())
            .load(&mut shared)
            .await
            .map_err(unexpected)?;
        complete(&connection, rows).await
    }

    async fn history(&self, id: OrderId) -> Result<Vec<StatusChange>, PortError> {
        let mut connection = connection(&self.pool).await?;
        let rows = order_status_history::table
            .filter(order_status_history::order_id.eq(id.into_uuid()))
            .order((order_status_history::changed_at, order_status_history::id))
            .select((
                order_status_history::to_status,
                order_status_history::changed_at,
            ))
            .load::<(String, chrono::DateTime<chrono::Utc>)>(&mut connection)
            .await
            .map_err(unexpected)?;
        rows.into_iter()
            .map(|(code, changed_at)| {
                Ok(StatusChange {
                    status: order_status(&code)?,
                    changed_at,
                })
            })
            .collect()
    }

    async fn transition(
        &self,
        id: OrderId,
        from: OrderStatus,
        to: OrderStatus,
        actor: &str,
    ) -> Result<TransitionOutcome, PortError> {
        transition::transition(&self.pool, id, from, to, actor).await
    }
}
