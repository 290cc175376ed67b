//! Applying the provider's account of a payment. The payment row is locked first
//! (`FOR UPDATE`), so concurrent notifications of one payment queue up: the first moves it,
//! the others find it already moved and change nothing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use postech_database::schema::{order_status_history, orders, payments};
use uuid::Uuid;

use super::expire::NewHistoryRow;
use super::{Abort, PaymentRow, WEBHOOK_ACTOR};
use crate::adapters::postgres::codes::{order_status, order_status_code, payment_status_code};
use crate::adapters::postgres::{PgPool, connection};
use crate::application::error::PortError;
use crate::application::payments::model::{ApplyOutcome, ProviderPayment, ProviderStatus};
use crate::domain::order::{OrderStatus, PaymentStatus};

pub(super) async fn apply(
    pool: &PgPool,
    provider: &str,
    report: &ProviderPayment,
    now: DateTime<Utc>,
) -> Result<ApplyOutcome, PortError> {
    let mut connection = connection(pool).await?;
    connection
        .transaction::<ApplyOutcome, Abort, _>(async |connection| {
            let Some(row) = payments::table
                .filter(payments::provider.eq(provider))
                .filter(payments::provider_payment_id.eq(&report.id))
                .for_update()
                .select(PaymentRow::as_select())
                .first(connection)
                .await
                .optional()?
            else {
                return Ok(ApplyOutcome::UnknownPayment);
            };
            let names_our_order = report
                .external_reference
                .as_deref()
                .and_then(|reference| Uuid::parse_str(reference.trim()).ok())
                == Some(row.order_id);
            if !names_our_order {
                return Ok(ApplyOutcome::ReferenceMismatch);
            }
            if report.amount != Some(row.amount.0) {
                return Ok(ApplyOutcome::AmountMismatch {
                    expected: row.amount.0,
                    reported: report.amount,
                });
            }
            let target = match report.status {
                ProviderStatus::Approved => PaymentStatus::Approved,
                ProviderStatus::Rejected => PaymentStatus::Rejected,
                ProviderStatus::Cancelled => PaymentStatus::Cancelled,
                ProviderStatus::Pending | ProviderStatus::Other(_) => {
                    return Ok(ApplyOutcome::Unchanged);
                }
            };
            if target == PaymentStatus::Approved {
                approve(connection, &row, now).await
            } else if row.status == payment_status_code(PaymentStatus::Pending) {
                // Refused or cancelled: the order stays `Recebido`, so the customer can ask
                // for a new QR code and pay again.
                diesel::update(payments::table.find(row.id))
                    .set(payments::status.eq(payment_status_code(target)))
                    .execute(connection)
                    .await?;
                Ok(ApplyOutcome::Applied(target))
            } else {
                Ok(ApplyOutcome::Unchanged)
            }
        })
        .await
        .map_err(PortError::from)
}

/// An approval: the payment becomes `approved` whatever it was (the provider has the money),
/// and the order `Recebido → Pago` with history. An order no longer `Recebido` is reported
/// for a refund instead.
async fn approve(
    connection: &mut AsyncPgConnection,
    row: &PaymentRow,
    now: DateTime<Utc>,
) -> Result<ApplyOutcome, Abort> {
    let approved = payment_status_code(PaymentStatus::Approved);
    if row.status == approved {
        return Ok(ApplyOutcome::Unchanged);
    }
    let order_code = orders::table
        .find(row.order_id)
        .for_update()
        .select(orders::status)
        .first::<String>(connection)
        .await?;
    let current = order_status(&order_code)?;
    // `payments_one_approved_per_order_key` allows one approved payment per order; a
    // second approval (a late payment of an older attempt) must not abort the transaction.
    let other_approved = diesel::select(diesel::dsl::exists(
        payments::table
            .filter(payments::order_id.eq(row.order_id))
            .filter(payments::status.eq(approved))
            .filter(payments::id.ne(row.id)),
    ))
    .get_result::<bool>(connection)
    .await?;
    if other_approved {
        return Ok(ApplyOutcome::ApprovedForClosedOrder(current));
    }
    diesel::update(payments::table.find(row.id))
        .set((
            payments::status.eq(approved),
            payments::confirmed_at.eq(Some(now)),
        ))
        .execute(connection)
        .await?;
    if current != OrderStatus::Received {
        return Ok(ApplyOutcome::ApprovedForClosedOrder(current));
    }
    let received = order_status_code(OrderStatus::Received);
    let paid = order_status_code(OrderStatus::Paid);
    diesel::update(orders::table.find(row.order_id))
        .set(orders::status.eq(paid))
        .execute(connection)
        .await?;
    diesel::insert_into(order_status_history::table)
        .values(NewHistoryRow {
            order_id: row.order_id,
            from_status: Some(received),
            to_status: paid,
            actor: WEBHOOK_ACTOR,
        })
        .execute(connection)
        .await?;
    Ok(ApplyOutcome::Applied(PaymentStatus::Approved))
}
