//! Orders in PostgreSQL: the checkout transaction ([`place`]), status changes
//! ([`transition`]) and the reads.

mod load;
mod place;
mod transition;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use diesel_async::RunQueryDsl;
use postech_database::schema::{order_status_history, orders};
use uuid::Uuid;

use super::codes::order_status;
use super::{PgPool, connection, to_port_error};
use crate::adapters::postgres::prepared::KeepPrepared;
use crate::application::checkout::IdempotencyRecord;
use crate::application::error::PortError;
use crate::application::orders::{OrderRecord, StatusChange};
use crate::domain::ids::{CustomerId, OrderId};
use load::{
    CUSTOMER_ORDERS_SQL, KITCHEN_QUEUE_SQL, ORDER_BY_ID_SQL, ORDERS_BY_IDS_SQL, OrderRecordRow,
    into_records,
};
pub use place::{WRITE_ORDER_SQL, place};
pub use transition::transition;
pub(super) use transition::{NewHistoryRow, give_back_stock};

/// The order stored under an idempotency key, with the request fingerprint it was made
/// with.
#[tracing::instrument(name = "db.orders.find_by_idempotency_key", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn find_by_idempotency_key(
    pool: &PgPool,
    key: &str,
) -> Result<Option<IdempotencyRecord>, PortError> {
    let mut connection = connection(pool).await?;
    let found = orders::table
        .filter(orders::idempotency_key.eq(key))
        .select((orders::id, orders::request_fingerprint))
        .first::<(Uuid, Option<String>)>(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?;
    Ok(found.map(|(id, fingerprint)| IdempotencyRecord {
        key: key.to_owned(),
        fingerprint: fingerprint.unwrap_or_default(),
        order_id: OrderId::from(id),
    }))
}

/// One order with its items and its owner's name.
#[tracing::instrument(name = "db.orders.find", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn find(pool: &PgPool, id: OrderId) -> Result<Option<OrderRecord>, PortError> {
    let mut connection = connection(pool).await?;
    let rows = diesel::sql_query(ORDER_BY_ID_SQL)
        .bind::<diesel::sql_types::Uuid, _>(id.into_uuid())
        .keep_prepared()
        .load::<OrderRecordRow>(&mut connection)
        .await
        .map_err(to_port_error)?;
    Ok(into_records(rows)?.into_iter().next())
}

/// The orders with these ids, whatever their status, in no particular order (the kitchen
/// event stream's re-read of the orders that changed), in one statement.
pub async fn find_many(pool: &PgPool, ids: &[OrderId]) -> Result<Vec<OrderRecord>, PortError> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.into_uuid()).collect();
    let mut connection = connection(pool).await?;
    let rows = diesel::sql_query(ORDERS_BY_IDS_SQL)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
        .keep_prepared()
        .load::<OrderRecordRow>(&mut connection)
        .await
        .map_err(to_port_error)?;
    into_records(rows)
}

/// A customer's orders, newest first.
#[tracing::instrument(name = "db.orders.list_for_customer", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn list_for_customer(
    pool: &PgPool,
    customer: CustomerId,
) -> Result<Vec<OrderRecord>, PortError> {
    let mut connection = connection(pool).await?;
    let rows = diesel::sql_query(CUSTOMER_ORDERS_SQL)
        .bind::<diesel::sql_types::Uuid, _>(customer.into_uuid())
        .keep_prepared()
        .load::<OrderRecordRow>(&mut connection)
        .await
        .map_err(to_port_error)?;
    into_records(rows)
}

/// A page of the kitchen queue: open orders, `Pronto` first, then `Em preparação`, `Pago`,
/// `Recebido`, oldest first within a status — in one statement, whatever the page size.
#[tracing::instrument(name = "db.orders.kitchen_queue", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn kitchen_queue(
    pool: &PgPool,
    page: KitchenPage,
) -> Result<Vec<OrderRecord>, PortError> {
    let mut connection = connection(pool).await?;
    let rows = diesel::sql_query(KITCHEN_QUEUE_SQL)
        .bind::<Nullable<BigInt>, _>(page.limit.map(i64::from))
        .bind::<BigInt, _>(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .keep_prepared()
        .load::<OrderRecordRow>(&mut connection)
        .await
        .map_err(to_port_error)?;
    into_records(rows)
}

/// Which part of the kitchen queue to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KitchenPage {
    /// At most this many orders; `None` for the whole queue.
    pub limit: Option<u32>,
    /// Orders skipped from the start of the queue.
    pub offset: u64,
}

/// The status changes of an order, oldest first.
#[tracing::instrument(name = "db.orders.history", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn history(pool: &PgPool, id: OrderId) -> Result<Vec<StatusChange>, PortError> {
    let mut connection = connection(pool).await?;
    let rows = order_status_history::table
        .filter(order_status_history::order_id.eq(id.into_uuid()))
        .order((order_status_history::changed_at, order_status_history::id))
        .select((
            order_status_history::to_status,
            order_status_history::changed_at,
        ))
        .load::<(String, chrono::DateTime<chrono::Utc>)>(&mut connection)
        .await
        .map_err(to_port_error)?;
    rows.into_iter()
        .map(|(code, changed_at)| {
            Ok(StatusChange {
                status: order_status(&code)?,
                changed_at,
            })
        })
        .collect()
}
