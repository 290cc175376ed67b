//! Issuing a QR code in two short transactions around the provider call, so that no database
//! connection is held while the provider works (up to ~16 s with its retries): with a pool
//! of a few connections, a slow provider would otherwise starve every route and `/ready`.
//!
//! 1. [`reserve_charge`]: under a transaction-scoped advisory lock on the order, the live pending
//!    payment if there is one; else, for a `Recebido` order, a *reservation* — a pending
//!    payment without a charge yet. At most one pending payment per order
//!    (`payments_one_pending_per_order_key`), so a concurrent request finds that reservation
//!    and charges it too: its id is the provider's idempotency key, so both get the same
//!    charge — never a second one.
//! 2. The provider creates the charge (no connection held).
//! 3. [`attach_charge`]: the charge is stored on the reservation, unless staff moved the order or
//!    the expiry ran meanwhile — they withdraw pending payments, reservations included, so
//!    the charge is then cancelled at the provider instead. On a provider failure,
//!    [`release_reservation`] removes the reservation: nothing of the attempt is kept.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use postech_database::schema::{orders, payments};
use uuid::Uuid;

use super::expire::expire_one;
use super::{Abort, PaymentRow};
use crate::adapters::postgres::codes::{order_status, payment_status_code};
use crate::adapters::postgres::money::SqlMoney;
use crate::adapters::postgres::{PgPool, connection, to_port_error};
use crate::application::error::PortError;
use crate::application::payments::model::{
    Attachment, Charge, ChargeRequest, NewPayment, PayableOrder, Reservation,
};
use crate::application::payments::rules::{
    AttachmentStep, ReservationStep, charge_description, is_due, judge_attachment,
    judge_reservation,
};
use crate::domain::ids::{OrderId, PaymentId};
use crate::domain::order::{OrderStatus, PaymentStatus};

/// A reservation: a pending payment whose charge is being created.
#[derive(Insertable)]
#[diesel(table_name = payments)]
struct NewReservationRow<'a> {
    id: Uuid,
    order_id: Uuid,
    provider: &'a str,
    status: &'a str,
    amount: SqlMoney,
    expires_at: DateTime<Utc>,
}

/// In one short transaction, serialised per order: the live pending payment if it has its
/// charge; else, when the order is `Recebido`, a pending payment reserved for the charge to
/// create (a reservation already made is returned as it is). A pending payment past its time
/// is expired on the spot (order cancelled, stock released).
#[tracing::instrument(name = "db.payments.reserve_charge", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn reserve_charge(pool: &PgPool, payment: NewPayment) -> Result<Reservation, PortError> {
    let mut connection = connection(pool).await?;
    let order_id = payment.order_id.into_uuid();
    connection
        .transaction::<Reservation, Abort, _>(async |connection| {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<Text, _>(format!("payment-issue:{order_id}"))
                .execute(connection)
                .await?;
            // Lock order as everywhere: the payment row, then the order row.
            let pending = payments::table
                .filter(payments::order_id.eq(order_id))
                .filter(payments::status.eq(payment_status_code(PaymentStatus::Pending)))
                .for_update()
                .select(PaymentRow::as_select())
                .first(connection)
                .await
                .optional()?
                .map(PaymentRow::into_domain)
                .transpose()?;
            if let Some(due) = pending
                .as_ref()
                .filter(|pending| is_due(pending, payment.now))
            {
                return Ok(Reservation::Expired(expire_one(connection, due).await?));
            }
            // FOR SHARE: staff cannot move the order until this reservation is committed —
            // and then their change withdraws it.
            let order = orders::table
                .find(order_id)
                .for_share()
                .select((orders::number, orders::status, orders::total))
                .first::<(i64, String, SqlMoney)>(connection)
                .await
                .optional()?
                .map(|(number, status, total)| {
                    Ok::<_, PortError>(PayableOrder {
                        id: OrderId::from(order_id),
                        number,
                        status: order_status(&status)?,
                        total: total.0,
                    })
                })
                .transpose()?;
            match (
                judge_reservation(order.as_ref(), pending.as_ref()),
                order,
                pending,
            ) {
                (ReservationStep::OrderNotFound, _, _) | (_, None, _) => {
                    Ok(Reservation::OrderNotFound)
                }
                (ReservationStep::NotPayable(status), _, _) => Ok(Reservation::NotPayable(status)),
                (ReservationStep::Existing, _, Some(pending)) => Ok(Reservation::Existing(pending)),
                (ReservationStep::ChargeReserved, Some(order), Some(reserved)) => {
                    Ok(Reservation::ToCharge(ChargeRequest {
                        payment_id: reserved.id,
                        order_id: payment.order_id,
                        description: charge_description(order.number),
                        amount: reserved.amount,
                        expires_at: reserved.expires_at.unwrap_or(payment.expires_at),
                    }))
                }
                (_, Some(order), _) => {
                    diesel::insert_into(payments::table)
                        .values(NewReservationRow {
                            id: payment.id.into_uuid(),
                            order_id,
                            provider: payment.provider,
                            status: payment_status_code(PaymentStatus::Pending),
                            amount: SqlMoney(order.total),
                            expires_at: payment.expires_at,
                        })
                        .execute(connection)
                        .await?;
                    Ok(Reservation::ToCharge(ChargeRequest {
                        payment_id: payment.id,
                        order_id: payment.order_id,
                        description: charge_description(order.number),
                        amount: order.total,
                        expires_at: payment.expires_at,
                    }))
                }
            }
        })
        .await
        .map_err(PortError::from)
}

/// In one transaction: stores `charge`, created at the provider for the reservation
/// `payment`, on it — unless the reservation was withdrawn, released or given another
/// charge meanwhile.
#[tracing::instrument(name = "db.payments.attach_charge", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn attach_charge(
    pool: &PgPool,
    payment: PaymentId,
    charge: &Charge,
) -> Result<Attachment, PortError> {
    let mut connection = connection(pool).await?;
    connection
        .transaction::<Attachment, Abort, _>(async |connection| {
            let reservation = payments::table
                .find(payment.into_uuid())
                .for_update()
                .select(PaymentRow::as_select())
                .first(connection)
                .await
                .optional()?
                .map(PaymentRow::into_domain)
                .transpose()?;
            let step = judge_attachment(reservation.as_ref(), charge);
            let Some(reservation) = reservation else {
                return Ok(Attachment::Released);
            };
            match step {
                AttachmentStep::Released => Ok(Attachment::Released),
                AttachmentStep::Withdrawn => {
                    let status =
                        current_order_status(connection, reservation.order_id.into_uuid()).await?;
                    Ok(Attachment::Withdrawn(status))
                }
                AttachmentStep::AlreadyAttached => Ok(Attachment::Attached {
                    payment: reservation,
                    created: false,
                }),
                AttachmentStep::Superseded => Ok(Attachment::Superseded(reservation)),
                AttachmentStep::Attach => {
                    let stored = diesel::update(payments::table.find(payment.into_uuid()))
                        .set((
                            payments::provider_payment_id.eq(&charge.provider_payment_id),
                            payments::qr_data.eq(&charge.qr_data),
                            payments::qr_code_url.eq(charge.qr_code_url.as_deref()),
                            payments::qr_code_base64.eq(charge.qr_code_base64.as_deref()),
                        ))
                        .returning(PaymentRow::as_returning())
                        .get_result(connection)
                        .await?;
                    Ok(Attachment::Attached {
                        payment: stored.into_domain()?,
                        created: true,
                    })
                }
            }
        })
        .await
        .map_err(PortError::from)
}

async fn current_order_status(
    connection: &mut AsyncPgConnection,
    order_id: Uuid,
) -> Result<OrderStatus, Abort> {
    let code = orders::table
        .find(order_id)
        .select(orders::status)
        .first::<String>(connection)
        .await?;
    Ok(order_status(&code)?)
}

/// Removes the reservation `payment` when it still has no charge (the provider failed):
/// nothing of the attempt is kept.
#[tracing::instrument(name = "db.payments.release_reservation", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn release_reservation(pool: &PgPool, payment: PaymentId) -> Result<(), PortError> {
    let mut connection = connection(pool).await?;
    diesel::delete(
        payments::table
            .find(payment.into_uuid())
            .filter(payments::status.eq(payment_status_code(PaymentStatus::Pending)))
            .filter(payments::provider_payment_id.is_null()),
    )
    .execute(&mut connection)
    .await
    .map(|_| ())
    .map_err(to_port_error)
}
