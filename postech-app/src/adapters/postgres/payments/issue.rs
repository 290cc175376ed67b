//! Issuing a QR code: at most one pending payment per order, never a charge for an order
//! that is not `Recebido`.
//!
//! The whole decision runs in one transaction under a transaction-scoped advisory lock on
//! the order, held while the provider creates the charge: a second request for the same
//! order waits, then finds the first one's pending payment instead of charging again. The
//! order row itself is not locked during the provider call (only read, then re-read
//! `FOR SHARE` before the insert), so staff and the kitchen are never held up by it. When
//! the provider fails, the transaction rolls back and nothing is stored.

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, RunQueryDsl};
use postech_database::schema::{orders, payments};
use uuid::Uuid;

use super::expire::expire_one;
use super::{Abort, PaymentRow};
use crate::adapters::postgres::codes::{order_status, order_status_code, payment_status_code};
use crate::adapters::postgres::money::SqlMoney;
use crate::adapters::postgres::{PgPool, connection, unexpected};
use crate::application::payments::model::{Charge, ChargeRequest, IssueOutcome};
use crate::application::payments::ports::{CreateCharge, IssueError, NewPayment, ProviderError};
use crate::domain::ids::PaymentId;
use crate::domain::order::{OrderStatus, PaymentStatus};

#[derive(Insertable)]
#[diesel(table_name = payments)]
struct NewPaymentRow<'a> {
    id: Uuid,
    order_id: Uuid,
    provider: &'a str,
    provider_payment_id: &'a str,
    status: &'a str,
    amount: SqlMoney,
    qr_data: &'a str,
    qr_code_url: Option<&'a str>,
    expires_at: chrono::DateTime<chrono::Utc>,
}

/// Why the issuing transaction rolled back.
enum Failure {
    Provider(ProviderError),
    Abort(Abort),
}

impl From<diesel::result::Error> for Failure {
    fn from(error: diesel::result::Error) -> Self {
        Failure::Abort(Abort::Database(error))
    }
}

impl From<crate::application::error::PortError> for Failure {
    fn from(error: crate::application::error::PortError) -> Self {
        Failure::Abort(Abort::Port(error))
    }
}

pub(super) async fn issue(
    pool: &PgPool,
    payment: NewPayment,
    create_charge: &CreateCharge,
) -> Result<IssueOutcome, IssueError> {
    let mut connection = connection(pool).await?;
    let order_id = payment.order_id.into_uuid();
    let received = order_status_code(OrderStatus::Received);
    let outcome = connection
        .transaction::<IssueOutcome, Failure, _>(async |connection| {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<Text, _>(format!("payment-issue:{order_id}"))
                .execute(connection)
                .await?;
            let Some((number, status, total)) = orders::table
                .find(order_id)
                .select((orders::number, orders::status, orders::total))
                .first::<(i64, String, SqlMoney)>(connection)
                .await
                .optional()?
            else {
                return Ok(IssueOutcome::OrderNotFound);
            };
            let pending = payments::table
                .filter(payments::order_id.eq(order_id))
                .filter(payments::status.eq(payment_status_code(PaymentStatus::Pending)))
                .for_update()
                .select(PaymentRow::as_select())
                .first(connection)
                .await
                .optional()?;
            if let Some(pending) = pending {
                let still_payable = pending
                    .expires_at
                    .is_none_or(|expires_at| expires_at > payment.now);
                if !still_payable {
                    return Ok(IssueOutcome::Expired(
                        expire_one(connection, &pending).await?,
                    ));
                }
                if status == received {
                    return Ok(IssueOutcome::Existing(pending.into_domain()?));
                }
            }
            if status != received {
                return Ok(IssueOutcome::NotPayable(order_status(&status)?));
            }
            let request = ChargeRequest {
                payment_id: PaymentId::new_random(),
                order_id: payment.order_id,
                description: format!("Pedido {number}"),
                amount: total.0,
                expires_at: payment.expires_at,
            };
            let charge = create_charge(request.clone())
                .await
                .map_err(Failure::Provider)?;
            // Staff may have cancelled the order while the provider worked.
            let status_now = orders::table
                .find(order_id)
                .for_share()
                .select(orders::status)
                .first::<String>(connection)
                .await?;
            if status_now != received {
                return Ok(IssueOutcome::Orphaned {
                    charge,
                    status: order_status(&status_now)?,
                });
            }
            let row = store(connection, &payment, &request, &charge).await?;
            Ok(IssueOutcome::Created(row.into_domain()?))
        })
        .await;
    match outcome {
        Ok(outcome) => Ok(outcome),
        Err(Failure::Provider(error)) => Err(IssueError::Provider(error)),
        Err(Failure::Abort(Abort::Database(error))) => Err(IssueError::Port(unexpected(error))),
        Err(Failure::Abort(Abort::Port(error))) => Err(IssueError::Port(error)),
    }
}

async fn store(
    connection: &mut diesel_async::AsyncPgConnection,
    payment: &NewPayment,
    request: &ChargeRequest,
    charge: &Charge,
) -> Result<PaymentRow, diesel::result::Error> {
    diesel::insert_into(payments::table)
        .values(NewPaymentRow {
            id: request.payment_id.into_uuid(),
            order_id: request.order_id.into_uuid(),
            provider: payment.provider,
            provider_payment_id: &charge.provider_payment_id,
            status: payment_status_code(PaymentStatus::Pending),
            amount: SqlMoney(request.amount),
            qr_data: &charge.qr_data,
            qr_code_url: charge.qr_code_url.as_deref(),
            expires_at: request.expires_at,
        })
        .returning(PaymentRow::as_returning())
        .get_result(connection)
        .await
}
