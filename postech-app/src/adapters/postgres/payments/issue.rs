//! Issuing a QR code in two short transactions around the provider call, so that no database
//! connection is held while the provider works (up to ~16 s with its retries): with a pool
//! of a few connections, a slow provider would otherwise starve every route and `/ready`.
//!
//! 1. [`reserve`]: under a transaction-scoped advisory lock on the order, the live pending
//!    payment if there is one; else, for a `Recebido` order, a *reservation* — a pending
//!    payment without a charge yet. At most one pending payment per order
//!    (`payments_one_pending_per_order_key`), so a concurrent request finds that reservation
//!    and charges it too: its id is the provider's idempotency key, so both get the same
//!    charge — never a second one.
//! 2. The provider creates the charge (no connection held).
//! 3. [`attach`]: the charge is stored on the reservation, unless staff moved the order or
//!    the expiry ran meanwhile — they withdraw pending payments, reservations included, so
//!    the charge is then cancelled at the provider instead. On a provider failure,
//!    [`release`] removes the reservation: nothing of the attempt is kept.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use postech_database::schema::{orders, payments};
use uuid::Uuid;

use super::expire::expire_one;
use super::{Abort, PaymentRow};
use crate::adapters::postgres::codes::{order_status, order_status_code, payment_status_code};
use crate::adapters::postgres::money::SqlMoney;
use crate::adapters::postgres::{PgPool, connection, unexpected};
use crate::application::error::PortError;
use crate::application::payments::model::{Attachment, Charge, ChargeRequest, Reservation};
use crate::application::payments::ports::NewPayment;
use crate::domain::ids::PaymentId;
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

pub(super) async fn reserve(pool: &PgPool, payment: NewPayment) -> Result<Reservation, PortError> {
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
                .optional()?;
            if let Some(pending) = &pending
                && pending
                    .expires_at
                    .is_some_and(|expires_at| expires_at <= payment.now)
            {
                return Ok(Reservation::Expired(expire_one(connection, pending).await?));
            }
            // FOR SHARE: staff cannot move the order until this reservation is committed —
            // and then their change withdraws it.
            let Some((number, status, total)) = orders::table
                .find(order_id)
                .for_share()
                .select((orders::number, orders::status, orders::total))
                .first::<(i64, String, SqlMoney)>(connection)
                .await
                .optional()?
            else {
                return Ok(Reservation::OrderNotFound);
            };
            if status != order_status_code(OrderStatus::Received) {
                return Ok(Reservation::NotPayable(order_status(&status)?));
            }
            match pending {
                Some(pending) if pending.provider_payment_id.is_some() => {
                    Ok(Reservation::Existing(pending.into_domain()?))
                }
                Some(reserved) => Ok(Reservation::ToCharge(ChargeRequest {
                    payment_id: PaymentId::from(reserved.id),
                    order_id: payment.order_id,
                    description: description(number),
                    amount: reserved.amount.0,
                    expires_at: reserved.expires_at.unwrap_or(payment.expires_at),
                })),
                None => {
                    diesel::insert_into(payments::table)
                        .values(NewReservationRow {
                            id: payment.id.into_uuid(),
                            order_id,
                            provider: payment.provider,
                            status: payment_status_code(PaymentStatus::Pending),
                            amount: total,
                            expires_at: payment.expires_at,
                        })
                        .execute(connection)
                        .await?;
                    Ok(Reservation::ToCharge(ChargeRequest {
                        payment_id: payment.id,
                        order_id: payment.order_id,
                        description: description(number),
                        amount: total.0,
                        expires_at: payment.expires_at,
                    }))
                }
            }
        })
        .await
        .map_err(PortError::from)
}

/// What the payer sees as the charge's description.
fn description(order_number: i64) -> String {
    format!("Pedido {order_number}")
}

pub(super) async fn attach(
    pool: &PgPool,
    payment: PaymentId,
    charge: &Charge,
) -> Result<Attachment, PortError> {
    let mut connection = connection(pool).await?;
    connection
        .transaction::<Attachment, Abort, _>(async |connection| {
            let Some(reserved) = payments::table
                .find(payment.into_uuid())
                .for_update()
                .select(PaymentRow::as_select())
                .first(connection)
                .await
                .optional()?
            else {
                return Ok(Attachment::Released);
            };
            if reserved.status != payment_status_code(PaymentStatus::Pending) {
                let status = current_order_status(connection, reserved.order_id).await?;
                return Ok(Attachment::Withdrawn(status));
            }
            match reserved.provider_payment_id.as_deref() {
                Some(id) if id == charge.provider_payment_id => Ok(Attachment::Attached {
                    payment: reserved.into_domain()?,
                    created: false,
                }),
                Some(_) => Ok(Attachment::Superseded(reserved.into_domain()?)),
                None => {
                    let stored = diesel::update(payments::table.find(reserved.id))
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

pub(super) async fn release(pool: &PgPool, payment: PaymentId) -> Result<(), PortError> {
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
    .map_err(unexpected)
}
