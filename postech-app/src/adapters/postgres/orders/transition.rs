//! A status change: conditional update, history row, the stock given back when cancelling,
//! and the pending charge withdrawn whenever the order leaves `Recebido` (cancelled, or paid
//! some other way at the counter) — in one transaction.
//!
//! Lock order as in the payments adapter: the payment rows, then the order row, then the
//! product rows in id order, so a cancellation deadlocks neither with a webhook nor with a
//! checkout.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::Integer;
use diesel_async::{AsyncConnection, RunQueryDsl};
use postech_database::schema::{order_items, order_status_history, orders, payments, products};
use uuid::Uuid;

use crate::adapters::postgres::codes::{order_status, order_status_code, payment_status_code};
use crate::adapters::postgres::{PgPool, connection, to_port_error};
use crate::application::error::PortError;
use crate::application::orders::{TransitionOutcome, WithdrawnCharge};
use crate::domain::ids::OrderId;
use crate::domain::order::{OrderStatus, PaymentStatus};

/// A status-history row: every status change writes one, in its own transaction.
#[derive(Insertable)]
#[diesel(table_name = order_status_history)]
pub(in crate::adapters::postgres) struct NewHistoryRow<'a> {
    pub order_id: Uuid,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub actor: &'a str,
}

diesel::define_sql_function!(fn least(a: Integer, b: Integer) -> Integer);

/// `products_stock_range_check`'s upper bound.
const MAX_STOCK: i32 = 10_000;

/// In one transaction: moves the order from `from` to `to` if it is still in `from` and
/// records the change in the history (with `actor`). Moving to `Cancelado` also gives its
/// reserved units back to the products (locked in id order, like the checkout); moving out
/// of `Recebido` or to `Cancelado` cancels its pending payment charges.
#[tracing::instrument(name = "db.orders.transition", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn transition(
    pool: &PgPool,
    id: OrderId,
    from: OrderStatus,
    to: OrderStatus,
    actor: &str,
) -> Result<TransitionOutcome, PortError> {
    let cancelling = to == OrderStatus::Cancelled;
    // Staff moving an order out of `Recebido` (to `Cancelado`, or to `Pago` when the
    // customer paid another way) leaves nothing for its QR code to pay: the order's only
    // way out of `Recebido` that keeps the charge is that charge's approval, and that goes
    // through the webhook, not here.
    let withdraws_charge = cancelling || from == OrderStatus::Received;
    let mut connection = connection(pool).await?;
    let order_id = id.into_uuid();
    let outcome = connection
        .transaction::<Result<Vec<WithdrawnCharge>, String>, DieselError, _>(async |connection| {
            if withdraws_charge {
                lock_pending_payments(connection, order_id).await?;
            }
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
            if cancelling {
                give_back_stock(connection, order_id).await?;
            }
            if !withdraws_charge {
                return Ok(Ok(Vec::new()));
            }
            Ok(Ok(withdraw_pending_charges(connection, order_id).await?))
        })
        .await
        .map_err(to_port_error)?;
    match outcome {
        Ok(withdrawn) => Ok(TransitionOutcome::Done(withdrawn)),
        Err(current) => Ok(TransitionOutcome::StatusChanged(order_status(&current)?)),
    }
}

/// Locks the order's pending payment (at most one) before the order row: the lock order of
/// the webhook, which locks the payment and then the order.
async fn lock_pending_payments(
    connection: &mut diesel_async::AsyncPgConnection,
    order_id: Uuid,
) -> Result<(), DieselError> {
    payments::table
        .filter(payments::order_id.eq(order_id))
        .filter(payments::status.eq(payment_status_code(PaymentStatus::Pending)))
        .for_update()
        .select(payments::id)
        .load::<Uuid>(connection)
        .await?;
    Ok(())
}

/// Cancels the order's pending charges and names them for the provider. The update re-reads
/// (READ COMMITTED), so it also catches a charge that a QR request committed while this
/// transaction waited for the order row.
async fn withdraw_pending_charges(
    connection: &mut diesel_async::AsyncPgConnection,
    order_id: Uuid,
) -> Result<Vec<WithdrawnCharge>, DieselError> {
    let withdrawn = diesel::update(
        payments::table
            .filter(payments::order_id.eq(order_id))
            .filter(payments::status.eq(payment_status_code(PaymentStatus::Pending))),
    )
    .set(payments::status.eq(payment_status_code(PaymentStatus::Cancelled)))
    .returning((payments::provider, payments::provider_payment_id))
    .load::<(String, Option<String>)>(connection)
    .await?;
    Ok(withdrawn
        .into_iter()
        .filter_map(|(provider, provider_payment_id)| {
            provider_payment_id.map(|provider_payment_id| WithdrawnCharge {
                provider,
                provider_payment_id,
            })
        })
        .collect())
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
