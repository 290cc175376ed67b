//! Orders nobody is paying: a `Recebido` order with no pending payment — no QR code ever
//! asked for, or its attempts rejected or cancelled (by the payer, by Mercado Pago) — is
//! cancelled with its stock released once the payment expiry time has passed both since it
//! was created and since its last attempt ended. Without this, its reserved units would stay
//! reserved forever: the payment expiry only ever looks at pending payments.
//!
//! Lock order as everywhere: the order row, then its products in id order, one order per
//! transaction. Payment rows are only read: a pending one means the order is not abandoned.

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not, sql};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use postech_database::kitchen::OPEN_ORDERS_PREDICATE;
use postech_database::schema::{order_status_history, orders, payments};
use uuid::Uuid;

use super::{Abort, EXPIRY_ACTOR};
use crate::adapters::postgres::codes::{order_status_code, payment_status_code};
use crate::adapters::postgres::orders::{NewHistoryRow, give_back_stock};
use crate::adapters::postgres::{PgPool, connection};
use crate::application::error::PortError;
use crate::application::payments::model::UnpaidOrderSweep;
use crate::domain::ids::OrderId;
use crate::domain::order::{OrderStatus, PaymentStatus};

#[tracing::instrument(name = "db.payments.cancel_next_unpaid_order", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn cancel_next_unpaid_order(
    pool: &PgPool,
    cutoff: DateTime<Utc>,
) -> Result<UnpaidOrderSweep, PortError> {
    let mut connection = connection(pool).await?;
    let received = order_status_code(OrderStatus::Received);
    connection
        .transaction::<UnpaidOrderSweep, Abort, _>(async |connection| {
            // The open-orders predicate, as a literal, lets PostgreSQL walk the small partial
            // index of the kitchen queue instead of every order ever placed. SKIP LOCKED: an
            // order staff, a QR request or another replica holds is left alone this round.
            let candidate = orders::table
                .filter(sql::<Bool>(OPEN_ORDERS_PREDICATE))
                .filter(orders::status.eq(received))
                .filter(orders::created_at.le(cutoff))
                .filter(not(exists(payments_keeping_it_open(cutoff))))
                .order(orders::created_at)
                .limit(1)
                .for_update()
                .skip_locked()
                .select(orders::id)
                .first::<Uuid>(connection)
                .await
                .optional()?;
            let Some(order_id) = candidate else {
                return Ok(UnpaidOrderSweep::NothingDue);
            };
            // The search ran on a snapshot taken before the lock: a QR request may have
            // committed a pending payment since. Now that the order row is ours (a QR request
            // locks it before storing a payment), a fresh read tells for sure.
            if payment_keeps_it_open(connection, order_id, cutoff).await? {
                return Ok(UnpaidOrderSweep::PaymentStarted);
            }
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
            Ok(UnpaidOrderSweep::Cancelled(OrderId::from(order_id)))
        })
        .await
        .map_err(PortError::from)
}

/// The payments that keep a `Recebido` order alive: a pending one, or one that ended (was
/// rejected or cancelled) after `cutoff` — its payer still has time to try again.
#[diesel::dsl::auto_type]
fn keeps_the_order_open(cutoff: DateTime<Utc>) -> _ {
    let pending: &'static str = payment_status_code(PaymentStatus::Pending);
    payments::status
        .eq(pending)
        .or(payments::updated_at.gt(cutoff))
}

/// [`keeps_the_order_open`] for the order of the enclosing query (a correlated subquery).
#[diesel::dsl::auto_type]
fn payments_keeping_it_open(cutoff: DateTime<Utc>) -> _ {
    let keeps_it_open: keeps_the_order_open = keeps_the_order_open(cutoff);
    payments::table
        .filter(payments::order_id.eq(orders::id))
        .filter(keeps_it_open)
        .select(payments::id)
}

async fn payment_keeps_it_open(
    connection: &mut AsyncPgConnection,
    order_id: Uuid,
    cutoff: DateTime<Utc>,
) -> Result<bool, diesel::result::Error> {
    diesel::select(exists(
        payments::table
            .filter(payments::order_id.eq(order_id))
            .filter(keeps_the_order_open(cutoff)),
    ))
    .get_result(connection)
    .await
}
