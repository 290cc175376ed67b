//! The checkout transaction.
//!
//! Hot-row design: every fast-food order touches the same few stock rows, so throughput is
//! bounded by how long those row locks are held. The rows are locked with one
//! `SELECT … ORDER BY id FOR UPDATE` (a deterministic order: two checkouts naming the same
//! products in opposite orders cannot deadlock); the use case prices the order from the
//! locked rows; then *one* statement ([`WRITE_ORDER_SQL`]: data-modifying CTEs) reserves the
//! stock and inserts the order, its items and its first history row, and the transaction
//! commits. Two round trips with the locks held, whatever the number of lines, and one
//! statement text, so it stays a cached prepared statement. `bench/checkout.pgbench` runs the
//! same transaction; `tests/api/repositories.rs` runs it against a freshly migrated schema.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use postech_database::schema::products;
use uuid::Uuid;

use crate::adapters::order_metrics::OrderMetrics;
use crate::adapters::postgres::money::SqlMoney;
use crate::adapters::postgres::{
    PgPool, connection, lock_conflict, to_port_error, violated_constraint,
};
use crate::application::checkout::{
    CheckoutRejection, LockedProduct, NewOrder, PlaceOutcome, PriceOrder,
};
use crate::application::error::PortError;
use crate::application::orders::OrderRecord;
use crate::domain::ids::ProductId;
use crate::domain::money::Money;
use crate::domain::order::{Order, OrderItem, OrderStatus, PaymentStatus};

#[derive(Queryable, Selectable)]
#[diesel(table_name = products, check_for_backend(diesel::pg::Pg))]
struct LockedRow {
    id: Uuid,
    name: String,
    price: SqlMoney,
    stock_available: i32,
    active: bool,
}

/// How the transaction ended when it did not commit.
enum Abort {
    Rejected(CheckoutRejection),
    Database(DieselError),
}

impl From<DieselError> for Abort {
    fn from(error: DieselError) -> Self {
        Abort::Database(error)
    }
}

struct Stored {
    number: i64,
    created_at: DateTime<Utc>,
    customer_name: Option<String>,
    items: Vec<OrderItem>,
}

/// Attempts of the checkout transaction when PostgreSQL aborts it to break a lock conflict.
const ATTEMPTS: u32 = 3;

/// In one transaction: locks the ordered products in id order, runs `price` on them,
/// reserves stock, stores the order with its priced items, its first status-history entry
/// and its idempotency key. A transaction PostgreSQL aborts to break a lock conflict is run
/// again, up to [`ATTEMPTS`] times; `metrics` counts the retries and a last attempt's abort.
#[tracing::instrument(name = "db.orders.place", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn place(
    pool: &PgPool,
    order: &NewOrder,
    price: &PriceOrder,
    metrics: &OrderMetrics,
) -> Result<PlaceOutcome, PortError> {
    let mut connection = connection(pool).await?;
    let mut attempt = 1;
    let outcome = loop {
        let outcome = connection
            .transaction::<Stored, Abort, _>(async |connection| {
                let locked = lock_products(connection, order).await?;
                let priced = price(&order.lines, &locked).map_err(Abort::Rejected)?;
                write(connection, order, priced.items, priced.total).await
            })
            .await;
        // The whole transaction rolled back, so running it again is safe: a deadlock or
        // serialization failure is another transaction's timing, not the customer's fault.
        let conflict = match &outcome {
            Err(Abort::Database(error)) => lock_conflict(error),
            _ => None,
        };
        match (conflict, outcome) {
            (Some(conflict), Err(Abort::Database(error))) if attempt < ATTEMPTS => {
                metrics.checkout_retried(conflict);
                tracing::warn!(attempt, %error, reason = conflict.label(), "checkout aborted by a lock conflict; retrying");
                attempt += 1;
            }
            (Some(conflict), outcome) => {
                metrics.checkout_aborted(conflict);
                break outcome;
            }
            (None, outcome) => break outcome,
        }
    };
    match outcome {
        Ok(stored) => Ok(PlaceOutcome::Placed(OrderRecord {
            order: Order {
                id: order.id,
                number: stored.number,
                customer_id: order.customer_id,
                status: OrderStatus::Received,
                payment_status: PaymentStatus::Pending,
                items: stored.items,
                notes: order.notes.clone(),
                created_at: stored.created_at,
            },
            customer_name: stored.customer_name,
        })),
        Err(Abort::Rejected(rejection)) => Ok(PlaceOutcome::Rejected(rejection)),
        Err(Abort::Database(error)) => match violated_constraint(&error) {
            Some("orders_idempotency_key_key") => Ok(PlaceOutcome::IdempotencyKeyTaken),
            Some("orders_customer_id_fkey") => Ok(PlaceOutcome::UnknownCustomer),
            _ => Err(to_port_error(error)),
        },
    }
}

/// Locks the ordered products in id order and reads what pricing needs.
#[tracing::instrument(name = "db.orders.lock_products", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
async fn lock_products(
    connection: &mut AsyncPgConnection,
    order: &NewOrder,
) -> Result<Vec<LockedProduct>, DieselError> {
    let ids: Vec<Uuid> = order
        .lines
        .iter()
        .map(|line| line.product_id.into_uuid())
        .collect();
    let rows = products::table
        .filter(products::id.eq_any(&ids))
        .order(products::id)
        .for_update()
        .select(LockedRow::as_select())
        .load(connection)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| LockedProduct {
            id: ProductId::from(row.id),
            name: row.name,
            price: row.price.0,
            stock_available: u32::try_from(row.stock_available).unwrap_or(0),
            active: row.active,
        })
        .collect())
}

/// Reserves stock and stores order, items and the creation history row in one statement.
/// Foreign keys from the items and the history to the new order hold: PostgreSQL checks
/// them at the end of the statement, after every CTE ran.
pub const WRITE_ORDER_SQL: &str = "\
WITH line AS (
    SELECT product_id, quantity, product_name, unit_price, position::int2 AS position
      FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::numeric[])
           WITH ORDINALITY AS line(product_id, quantity, product_name, unit_price, position)
), stock AS (
    UPDATE products AS p SET stock_available = p.stock_available - line.quantity
      FROM line WHERE p.id = line.product_id
), new_order AS (
    INSERT INTO orders (id, customer_id, status, total, notes, idempotency_key, request_fingerprint)
    VALUES ($5, $6, 'received', $7, $8, $9, $10)
    RETURNING number, created_at
), items AS (
    INSERT INTO order_items (order_id, product_id, position, product_name, unit_price, quantity)
    SELECT $5, product_id, position, product_name, unit_price, quantity FROM line
), history AS (
    INSERT INTO order_status_history (order_id, from_status, to_status, actor)
    VALUES ($5, NULL, 'received', $11)
)
SELECT new_order.number, new_order.created_at,
       (SELECT name FROM customers WHERE id = $6) AS customer_name
  FROM new_order";

#[derive(QueryableByName)]
struct Written {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    number: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    customer_name: Option<String>,
}

#[tracing::instrument(name = "db.orders.write_order", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
async fn write(
    connection: &mut AsyncPgConnection,
    order: &NewOrder,
    items: Vec<OrderItem>,
    total: Money,
) -> Result<Stored, Abort> {
    use diesel::sql_types::{Array, Int4, Nullable, Numeric, Text};
    let product_ids: Vec<Uuid> = items
        .iter()
        .map(|item| item.product_id.into_uuid())
        .collect();
    // Bounded by the checkout rules (≤ 50 per line).
    let quantities: Vec<i32> = items
        .iter()
        .map(|item| i32::try_from(item.quantity).unwrap_or(i32::MAX))
        .collect();
    let names: Vec<&str> = items
        .iter()
        .map(|item| item.product_name.as_str())
        .collect();
    let prices: Vec<SqlMoney> = items.iter().map(|item| SqlMoney(item.unit_price)).collect();
    let idempotency = order.idempotency.as_ref();
    let written = diesel::sql_query(WRITE_ORDER_SQL)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&product_ids)
        .bind::<Array<Int4>, _>(&quantities)
        .bind::<Array<Text>, _>(&names)
        .bind::<Array<Numeric>, _>(&prices)
        .bind::<diesel::sql_types::Uuid, _>(order.id.into_uuid())
        .bind::<Nullable<diesel::sql_types::Uuid>, _>(order.customer_id.map(|id| id.into_uuid()))
        .bind::<Numeric, _>(SqlMoney(total))
        .bind::<Nullable<Text>, _>(order.notes.as_deref())
        .bind::<Nullable<Text>, _>(idempotency.map(|record| record.key.as_str()))
        .bind::<Nullable<Text>, _>(idempotency.map(|record| record.fingerprint.as_str()))
        .bind::<Text, _>(order.actor.as_str())
        .get_result::<Written>(connection)
        .await?;
    Ok(Stored {
        number: written.number,
        created_at: written.created_at,
        customer_name: written.customer_name,
        items,
    })
}
