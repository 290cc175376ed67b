//! The checkout's SQL.
//!
//! Hot-row design: every fast-food order touches the same few stock rows, so throughput is
//! bounded by how long those row locks are held. A checkout is two statements and no
//! transaction block: a plain read of the ordered products (no lock), which the use case
//! prices; then *one* statement ([`WRITE_ORDER_SQL`]: data-modifying CTEs) that locks the
//! rows with `SELECT … ORDER BY id FOR UPDATE` (a deterministic order: two checkouts naming
//! the same products in opposite orders cannot deadlock), checks that each still has the name,
//! price and active flag that were priced, and only then reserves the stock and inserts the
//! order, its items and its first history row. It commits on its own, so the locks are held
//! for one statement's execution and no network round trip. The rules stay in the use case:
//! the statement only compares with what the rules saw. When a row changed in between, the
//! statement writes nothing and returns the locked rows, which are priced again; stock too
//! short makes its decrement violate `products_stock_range_check`, and then (or after
//! [`OPTIMISTIC_ATTEMPTS`] changed rows) the checkout runs the locking transaction
//! ([`place_locked`]: lock, price under the lock, write, commit), whose rejection names the
//! short products. `bench/checkout.pgbench` runs the same two statements;
//! `tests/api/kitchen_queries.rs` counts them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use postech_database::schema::products;
use uuid::Uuid;

use crate::adapters::order_metrics::OrderMetrics;
use crate::adapters::postgres::money::SqlMoney;
use crate::adapters::postgres::prepared::KeepPrepared;
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

/// Times the rows are priced again because they changed between the read and the write,
/// before the locking transaction takes over.
const OPTIMISTIC_ATTEMPTS: u32 = 3;

/// Reads the ordered products, runs `price` on them, then in one statement locks them in id
/// order and — if they are still as priced — reserves stock and stores the order with its
/// priced items, its first status-history entry and its idempotency key (see the module
/// documentation). `metrics` counts the locking transaction's retries and aborts.
#[tracing::instrument(name = "db.orders.place", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn place(
    pool: &PgPool,
    order: &NewOrder,
    price: &PriceOrder,
    metrics: &OrderMetrics,
) -> Result<PlaceOutcome, PortError> {
    let mut connection = connection(pool).await?;
    let mut current = read_products(&mut connection, order)
        .await
        .map_err(to_port_error)?;
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let priced = match price(&order.lines, &current) {
            Ok(priced) => priced,
            Err(rejection) => return Ok(PlaceOutcome::Rejected(rejection)),
        };
        match write(&mut connection, order, priced.items, priced.total).await {
            Ok(Written::Stored(stored)) => return outcome(order, Ok(stored)),
            Ok(Written::Changed(locked)) => current = locked,
            // Too little stock: the locking transaction names the short products.
            Err(Abort::Database(error))
                if violated_constraint(&error) == Some("products_stock_range_check") =>
            {
                break;
            }
            // PostgreSQL aborted the statement to break a deadlock with a writer that locks
            // in another order: nothing was written, so it is run again.
            Err(Abort::Database(error)) if let Some(conflict) = lock_conflict(&error) => {
                metrics.checkout_retried(conflict);
                tracing::warn!(%error, reason = conflict.label(), "checkout aborted by a lock conflict; retrying");
            }
            Err(abort) => return outcome(order, Err(abort)),
        }
    }
    place_locked(&mut connection, order, price, metrics).await
}

/// In one transaction: locks the ordered products in id order, runs `price` on them, then
/// writes as [`place`] does (the rows cannot have changed under the lock). A transaction
/// PostgreSQL aborts to break a lock conflict is run again, up to [`ATTEMPTS`] times;
/// `metrics` counts the retries and a last attempt's abort.
async fn place_locked(
    connection: &mut AsyncPgConnection,
    order: &NewOrder,
    price: &PriceOrder,
    metrics: &OrderMetrics,
) -> Result<PlaceOutcome, PortError> {
    let mut attempt = 1;
    let ended = loop {
        let ended = connection
            .transaction::<Stored, Abort, _>(async |connection| {
                let locked = lock_products(connection, order).await?;
                let priced = price(&order.lines, &locked).map_err(Abort::Rejected)?;
                match write(connection, order, priced.items, priced.total).await? {
                    Written::Stored(stored) => Ok(stored),
                    // Under the lock nothing can have changed since the pricing.
                    Written::Changed(_) => Err(Abort::Database(DieselError::RollbackTransaction)),
                }
            })
            .await;
        // The whole transaction rolled back, so running it again is safe: a deadlock or
        // serialization failure is another transaction's timing, not the customer's fault.
        let conflict = match &ended {
            Err(Abort::Database(error)) => lock_conflict(error),
            _ => None,
        };
        match (conflict, ended) {
            (Some(conflict), Err(Abort::Database(error))) if attempt < ATTEMPTS => {
                metrics.checkout_retried(conflict);
                tracing::warn!(attempt, %error, reason = conflict.label(), "checkout aborted by a lock conflict; retrying");
                attempt += 1;
            }
            (Some(conflict), ended) => {
                metrics.checkout_aborted(conflict);
                break ended;
            }
            (None, ended) => break ended,
        }
    };
    outcome(order, ended)
}

/// The checkout's answer from how its write ended.
fn outcome(order: &NewOrder, ended: Result<Stored, Abort>) -> Result<PlaceOutcome, PortError> {
    match ended {
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

/// Reads what pricing needs of the ordered products, without locking them.
#[tracing::instrument(name = "db.orders.read_products", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
async fn read_products(
    connection: &mut AsyncPgConnection,
    order: &NewOrder,
) -> Result<Vec<LockedProduct>, DieselError> {
    let rows = products::table
        .filter(products::id.eq_any(product_ids(order)))
        .select(LockedRow::as_select())
        .load(connection)
        .await?;
    Ok(rows.into_iter().map(LockedRow::into_product).collect())
}

/// Locks the ordered products in id order and reads what pricing needs.
#[tracing::instrument(name = "db.orders.lock_products", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
async fn lock_products(
    connection: &mut AsyncPgConnection,
    order: &NewOrder,
) -> Result<Vec<LockedProduct>, DieselError> {
    let rows = products::table
        .filter(products::id.eq_any(product_ids(order)))
        .order(products::id)
        .for_update()
        .select(LockedRow::as_select())
        .load(connection)
        .await?;
    Ok(rows.into_iter().map(LockedRow::into_product).collect())
}

fn product_ids(order: &NewOrder) -> Vec<Uuid> {
    order
        .lines
        .iter()
        .map(|line| line.product_id.into_uuid())
        .collect()
}

impl LockedRow {
    fn into_product(self) -> LockedProduct {
        LockedProduct {
            id: ProductId::from(self.id),
            name: self.name,
            price: self.price.0,
            stock_available: u32::try_from(self.stock_available).unwrap_or(0),
            active: self.active,
        }
    }
}

/// Locks the ordered products in id order; if each is still active with the name and price
/// that were priced (`$3`, `$4`), reserves stock and stores order, items and the creation
/// history row; returns the locked rows, with the new order's number when it was stored.
/// The guard is a one-time filter over the whole `locked` set, so every row is locked (in id
/// order) before any is updated. Foreign keys from the items and the history to the new
/// order hold: PostgreSQL checks them at the end of the statement, after every CTE ran.
pub const WRITE_ORDER_SQL: &str = "\
WITH line AS (
    SELECT product_id, quantity, product_name, unit_price, position::int2 AS position
      FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::numeric[])
           WITH ORDINALITY AS line(product_id, quantity, product_name, unit_price, position)
), locked AS (
    SELECT id, name, price, stock_available, active FROM products
     WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
), unchanged AS (
    SELECT count(*) = cardinality($1::uuid[])
           AND coalesce(bool_and(locked.active AND locked.name = line.product_name
                                 AND locked.price = line.unit_price), false) AS ok
      FROM line JOIN locked ON locked.id = line.product_id
), stock AS (
    UPDATE products AS p SET stock_available = p.stock_available - line.quantity
      FROM line WHERE p.id = line.product_id AND (SELECT ok FROM unchanged)
), new_order AS (
    INSERT INTO orders (id, customer_id, status, total, notes, idempotency_key, request_fingerprint)
    SELECT $5, $6, 'received', $7, $8, $9, $10 WHERE (SELECT ok FROM unchanged)
    RETURNING number, created_at
), items AS (
    INSERT INTO order_items (order_id, product_id, position, product_name, unit_price, quantity)
    SELECT $5, product_id, position, product_name, unit_price, quantity FROM line
     WHERE (SELECT ok FROM unchanged)
), history AS (
    INSERT INTO order_status_history (order_id, from_status, to_status, actor)
    SELECT $5, NULL, 'received', $11 WHERE (SELECT ok FROM unchanged)
)
SELECT locked.id, locked.name, locked.price, locked.stock_available, locked.active,
       new_order.number, new_order.created_at,
       (SELECT name FROM customers WHERE id = $6) AS customer_name
  FROM locked LEFT JOIN new_order ON true";

/// What the write statement did.
enum Written {
    /// The order is stored.
    Stored(Stored),
    /// A product changed since it was priced (or is gone): nothing was written; the rows as
    /// they are now, to price again.
    Changed(Vec<LockedProduct>),
}

/// A row of [`WRITE_ORDER_SQL`]: a locked product, and the new order when it was stored.
#[derive(QueryableByName)]
struct WrittenRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    price: SqlMoney,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    stock_available: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    active: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    number: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    customer_name: Option<String>,
}

#[tracing::instrument(name = "db.orders.write_order", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
async fn write(
    connection: &mut AsyncPgConnection,
    order: &NewOrder,
    items: Vec<OrderItem>,
    total: Money,
) -> Result<Written, Abort> {
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
    let rows = diesel::sql_query(WRITE_ORDER_SQL)
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
        .keep_prepared()
        .load::<WrittenRow>(connection)
        .await?;
    if let Some(first) = rows.as_slice().first()
        && let (Some(number), Some(created_at)) = (first.number, first.created_at)
    {
        return Ok(Written::Stored(Stored {
            number,
            created_at,
            customer_name: first.customer_name.clone(),
            items,
        }));
    }
    Ok(Written::Changed(
        rows.into_iter()
            .map(|row| {
                LockedRow {
                    id: row.id,
                    name: row.name,
                    price: row.price,
                    stock_available: row.stock_available,
                    active: row.active,
                }
                .into_product()
            })
            .collect(),
    ))
}
