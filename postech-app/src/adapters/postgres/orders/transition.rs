//! A status change: conditional update, history row and (when cancelling) the stock given
//! back, in one transaction.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::Integer;
use diesel_async::{AsyncConnection, RunQueryDsl};
use postech_database::schema::{order_items, order_status_history, orders, products};
use uuid::Uuid;

use crate::adapters::postgres::codes::{order_status, order_status_code};
use crate::adapters::postgres::{PgPool, connection, unexpected};
use crate::application::error::PortError;
use crate::application::ports::TransitionOutcome;
use crate::domain::ids::OrderId;
use crate::domain::order::OrderStatus;

#[derive(Insertable)]
#[diesel(table_name = order_status_history)]
struct NewHistoryRow<'a> {
    order_id: Uuid,
    from_status: Option<&'a str>,
    to_status: &'a str,
    actor: &'a str,
}

diesel::define_sql_function!(fn least(a: Integer, b: Integer) -> Integer);

/// `products_stock_range_check`'s upper bound.
const MAX_STOCK: i32 = 10_000;

pub(super) async fn transition(
    pool: &PgPool,
    id: OrderId,
    from: OrderStatus,
    to: OrderStatus,
    release_stock: bool,
    actor: &str,
) -> Result<TransitionOutcome, PortError> {
    let mut connection = connection(pool).await?;
    let order_id = id.into_uuid();
    let outcome = connection
        .transaction::<Result<(), String>, DieselError, _>(async |connection| {
            let updated = diesel::update(
                orders::table
                    .find(order_id)
                    .filter(orders::status.eq(order_status_code(from))),
            )
            .set(orders::status.eq(order_status_code(to)))
            .execute(connection)
            .await?;
            if updated == 0 {
                let current = orders::table
                    .find(order_id)
                    .select(orders::status)
                    .first::<String>(connection)
                    .await?;
                return Ok(Err(current));
            }
            diesel::insert_into(order_status_history::table)
                .values(NewHistoryRow {
                    order_id,
                    from_status: Some(order_status_code(from)),
                    to_status: order_status_code(to),
                    actor,
                })
                .execute(connection)
                .await?;
            if release_stock {
                give_back_stock(connection, order_id).await?;
            }
            Ok(Ok(()))
        })
        .await
        .map_err(unexpected)?;
    match outcome {
        Ok(()) => Ok(TransitionOutcome::Done),
        Err(current) => Ok(TransitionOutcome::StatusChanged(order_status(&current)?)),
    }
}

/// Returns the order's reserved units to its products, locking them in id order like the
/// checkout does, so a cancellation and a checkout never deadlock.
pub(in crate::adapters::postgres) async fn give_back_stock(
    connection: &mut diesel_async::AsyncPgConnection,
    order_id: Uuid,
) -> Result<(), DieselError> {
    let lines = order_items::table
        .filter(order_items::order_id.eq(order_id))
        .order(order_items::product_id)
        .select((order_items::product_id, order_items::quantity))
        .load::<(Uuid, i32)>(connection)
        .await?;
    let ids: Vec<Uuid> = lines.iter().map(|(product_id, _)| *product_id).collect();
    products::table
        .filter(products::id.eq_any(&ids))
        .order(products::id)
        .for_update()
        .select(products::id)
        .load::<Uuid>(connection)
        .await?;
    for (product_id, quantity) in lines {
        // Capped at the schema's maximum: staff may have restocked to the cap meanwhile.
        diesel::update(products::table.find(product_id))
            .set(
                products::stock_available
                    .eq(least(products::stock_available + quantity, MAX_STOCK)),
            )
            .execute(connection)
            .await?;
    }
    Ok(())
}
