//! Expiry: a pending payment past `expires_at` becomes `expired`, and its order, if still
//! `Recebido`, becomes `Cancelado` with its reserved stock given back. The state is the
//! database's (`expires_at`), so a restart loses nothing: the next sweep finds what is due.
//! The stock goes back exactly as when staff cancel (the order adapter's `give_back_stock`).

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::Bool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use postech_database::schema::{order_status_history, orders, payments};

use super::{Abort, EXPIRY_ACTOR, PaymentRow};
use crate::adapters::postgres::codes::{order_status_code, payment_status_code};
use crate::adapters::postgres::orders::{NewHistoryRow, give_back_stock};
use crate::adapters::postgres::{PgPool, connection};
use crate::application::error::PortError;
use crate::application::payments::model::{ExpiredPayment, StoredPayment};
use crate::domain::order::{OrderStatus, PaymentStatus};

/// Textually the predicate of the partial index `payments_one_pending_per_order_key`.
const PENDING_PREDICATE: &str = r#""payments"."status" = 'pending'"#;

/// Expires the pending payment that fell due first (if any), with its order, in one
/// transaction of its own.
///
/// One order per transaction is what keeps the sweep from deadlocking with checkouts: an
/// order's products are locked in id order, as the checkout locks them, but two orders'
/// products taken one order after the other are not in id order overall (the first order's
/// higher id, then the second's lower one) — a checkout holding the lower and waiting for the
/// higher would close the cycle. Taken alone, each order's locks are in global id order.
#[tracing::instrument(name = "db.payments.expire_next_due", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn expire_next_due(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> Result<Option<ExpiredPayment>, PortError> {
    let mut connection = connection(pool).await?;
    connection
        .transaction::<Option<ExpiredPayment>, Abort, _>(async |connection| {
            // The literal predicate lets PostgreSQL use the partial index
            // `payments_one_pending_per_order_key` (WHERE status = 'pending'): the sweep reads
            // the few pending rows, never the payment history. A bound parameter would hide
            // the implication from cached generic plans (see `postech_database::kitchen`).
            // SKIP LOCKED: rows another replica (or a webhook) holds are left to it.
            let due = payments::table
                .filter(sql::<Bool>(PENDING_PREDICATE))
                .filter(payments::expires_at.le(now))
                .order(payments::expires_at)
                .limit(1)
                .for_update()
                .skip_locked()
                .select(PaymentRow::as_select())
                .first(connection)
                .await
                .optional()?;
            match due {
                Some(row) => Ok(Some(expire_one(connection, &row.into_domain()?).await?)),
                None => Ok(None),
            }
        })
        .await
        .map_err(PortError::from)
}

/// Expires one locked pending payment and cancels its order if it is still `Recebido`.
pub(super) async fn expire_one(
    connection: &mut AsyncPgConnection,
    payment: &StoredPayment,
) -> Result<ExpiredPayment, DieselError> {
    let (payment_id, order_id) = (payment.id.into_uuid(), payment.order_id.into_uuid());
    diesel::update(
        payments::table
            .find(payment_id)
            .filter(payments::status.eq(payment_status_code(PaymentStatus::Pending))),
    )
    .set(payments::status.eq(payment_status_code(PaymentStatus::Expired)))
    .execute(connection)
    .await?;
    let order_status = orders::table
        .find(order_id)
        .for_update()
        .select(orders::status)
        .first::<String>(connection)
        .await?;
    let received = order_status_code(OrderStatus::Received);
    if order_status == received {
        let cancelled = order_status_code(OrderStatus::Cancelled);
        diesel::update(orders::table.find(order_id))
            .set(orders::status.eq(cancelled))
            .execute(connection)
            .await?;
        diesel::insert_into(order_status_history::table)
            .values(NewHistoryRow {
                order_id,
                from_status: Some(received),
                to_status: cancelled,
                actor: EXPIRY_ACTOR,
            })
            .execute(connection)
            .await?;
        give_back_stock(connection, order_id).await?;
    }
    Ok(ExpiredPayment {
        id: payment.id,
        order_id: payment.order_id,
        provider: payment.provider.clone(),
        provider_payment_id: payment.provider_payment_id.clone(),
    })
}
