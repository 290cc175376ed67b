//! Applying the provider's account of a payment. The payment row is locked first
//! (`FOR UPDATE`), so concurrent notifications of one payment queue up: the first moves it,
//! the others find it already moved and change nothing. What the report means is decided by
//! `application::payments::rules`; this file reads under the locks and writes the answer.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use postech_database::schema::{order_status_history, orders, payments};

use super::{Abort, PaymentRow, WEBHOOK_ACTOR};
use crate::adapters::postgres::codes::{order_status, order_status_code, payment_status_code};
use crate::adapters::postgres::orders::NewHistoryRow;
use crate::adapters::postgres::{PgPool, connection};
use crate::application::error::PortError;
use crate::application::payments::model::{ApplyOutcome, ProviderPayment, StoredPayment};
use crate::application::payments::rules::{Approval, ReportVerdict, judge_approval, judge_report};
use crate::domain::order::{OrderStatus, PaymentStatus};

/// In one transaction: applies the provider's account of one of its payments — checked
/// against the stored order and amount — to the payment and, on approval, to its order
/// (`Recebido → Pago`, with history). Serialised per payment, so duplicate and concurrent
/// notifications apply once.
#[tracing::instrument(name = "db.payments.apply", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn apply(
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
                return Ok(
                    if charge_in_the_making(connection, provider, report).await? {
                        ApplyOutcome::ChargeNotAttachedYet
                    } else {
                        ApplyOutcome::UnknownPayment
                    },
                );
            };
            let payment = row.into_domain()?;
            match judge_report(&payment, report) {
                ReportVerdict::Answer(outcome) => Ok(outcome),
                ReportVerdict::SetStatus(target) => {
                    diesel::update(payments::table.find(payment.id.into_uuid()))
                        .set(payments::status.eq(payment_status_code(target)))
                        .execute(connection)
                        .await?;
                    Ok(ApplyOutcome::Applied(target))
                }
                ReportVerdict::Approve => approve(connection, &payment, now).await,
            }
        })
        .await
        .map_err(PortError::from)
}

/// Whether the order the report names (its external reference) has a pending payment at
/// this provider whose charge is not attached yet: a QR code request between creating the
/// charge and storing it.
async fn charge_in_the_making(
    connection: &mut AsyncPgConnection,
    provider: &str,
    report: &ProviderPayment,
) -> Result<bool, Abort> {
    let Some(order_id) = report
        .external_reference
        .as_deref()
        .and_then(|reference| uuid::Uuid::parse_str(reference).ok())
    else {
        return Ok(false);
    };
    Ok(diesel::select(diesel::dsl::exists(
        payments::table
            .filter(payments::order_id.eq(order_id))
            .filter(payments::provider.eq(provider))
            .filter(payments::status.eq(payment_status_code(PaymentStatus::Pending)))
            .filter(payments::provider_payment_id.is_null()),
    ))
    .get_result::<bool>(connection)
    .await?)
}

/// An approval, under the order row's lock (payment, then order: the lock order of every
/// payment path).
async fn approve(
    connection: &mut AsyncPgConnection,
    payment: &StoredPayment,
    now: DateTime<Utc>,
) -> Result<ApplyOutcome, Abort> {
    let order_id = payment.order_id.into_uuid();
    let approved = payment_status_code(PaymentStatus::Approved);
    let order_code = orders::table
        .find(order_id)
        .for_update()
        .select(orders::status)
        .first::<String>(connection)
        .await?;
    let current = order_status(&order_code)?;
    // `payments_one_approved_per_order_key` allows one approved payment per order: a late
    // payment of an older attempt must be found here, not abort the transaction.
    let another_approved = diesel::select(diesel::dsl::exists(
        payments::table
            .filter(payments::order_id.eq(order_id))
            .filter(payments::status.eq(approved))
            .filter(payments::id.ne(payment.id.into_uuid())),
    ))
    .get_result::<bool>(connection)
    .await?;
    let approval = judge_approval(current, another_approved);
    if let Approval::RefundOnly(status) = approval {
        return Ok(ApplyOutcome::ApprovedForClosedOrder(status));
    }
    diesel::update(payments::table.find(payment.id.into_uuid()))
        .set((
            payments::status.eq(approved),
            payments::confirmed_at.eq(Some(now)),
        ))
        .execute(connection)
        .await?;
    if let Approval::RecordForRefund(status) = approval {
        return Ok(ApplyOutcome::ApprovedForClosedOrder(status));
    }
    let received = order_status_code(OrderStatus::Received);
    let paid = order_status_code(OrderStatus::Paid);
    diesel::update(orders::table.find(order_id))
        .set(orders::status.eq(paid))
        .execute(connection)
        .await?;
    diesel::insert_into(order_status_history::table)
        .values(NewHistoryRow {
            order_id,
            from_status: Some(received),
            to_status: paid,
            actor: WEBHOOK_ACTOR,
        })
        .execute(connection)
        .await?;
    Ok(ApplyOutcome::Applied(PaymentStatus::Approved))
}
