//! Payments in PostgreSQL: reserving a charge and attaching it around the provider call,
//! applying the provider's account of a payment, expiring unpaid charges and cancelling
//! orders nobody pays — each in one transaction, with the order (and its status history and
//! stock) changed in the same transaction as the payment.
//!
//! Lock order, everywhere: the payment row, then the order row, then the product rows in id
//! order — the same order-then-products order as the checkout and the admin cancellation, so
//! none of them can deadlock with another. A transaction that releases stock does so for one
//! order only: the product locks of two orders, each set in id order, are not in id order
//! together.

mod apply;
mod expire;
mod issue;
mod unpaid;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::RunQueryDsl;
use postech_database::schema::{orders, payments};
use uuid::Uuid;

use super::codes::{order_status, payment_status};
use super::money::SqlMoney;
use super::{PgPool, connection, to_port_error};
use crate::application::error::PortError;
use crate::application::payments::model::{PayableOrder, StoredPayment};
use crate::domain::ids::{OrderId, PaymentId};

pub use apply::apply;
pub use expire::expire_next_due;
pub use issue::{attach_charge, release_reservation, reserve_charge};
pub use unpaid::cancel_next_unpaid_order;

/// Who the status history names for the changes made here: the webhook, and the system's
/// expiry sweep (unpaid charges, and orders nobody is paying).
const WEBHOOK_ACTOR: &str = "payment-webhook";
const EXPIRY_ACTOR: &str = "payment-expiry";

/// A `payments` row.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = payments, check_for_backend(diesel::pg::Pg))]
struct PaymentRow {
    id: Uuid,
    order_id: Uuid,
    provider: String,
    provider_payment_id: Option<String>,
    status: String,
    amount: SqlMoney,
    qr_data: Option<String>,
    qr_code_url: Option<String>,
    qr_code_base64: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    confirmed_at: Option<DateTime<Utc>>,
}

impl PaymentRow {
    fn into_domain(self) -> Result<StoredPayment, PortError> {
        Ok(StoredPayment {
            id: PaymentId::from(self.id),
            order_id: OrderId::from(self.order_id),
            provider: self.provider,
            provider_payment_id: self.provider_payment_id,
            status: payment_status(&self.status)?,
            amount: self.amount.0,
            qr_data: self.qr_data,
            qr_code_url: self.qr_code_url,
            qr_code_base64: self.qr_code_base64,
            expires_at: self.expires_at,
            confirmed_at: self.confirmed_at,
        })
    }
}

/// Why a payment transaction did not commit.
enum Abort {
    Database(DieselError),
    Port(PortError),
}

impl From<DieselError> for Abort {
    fn from(error: DieselError) -> Self {
        Abort::Database(error)
    }
}

impl From<PortError> for Abort {
    fn from(error: PortError) -> Self {
        Abort::Port(error)
    }
}

impl From<Abort> for PortError {
    fn from(abort: Abort) -> Self {
        match abort {
            Abort::Database(error) => to_port_error(error),
            Abort::Port(error) => error,
        }
    }
}

/// The order's status and total, if it exists.
#[tracing::instrument(name = "db.payments.payable_order", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn payable_order(
    pool: &PgPool,
    order: OrderId,
) -> Result<Option<PayableOrder>, PortError> {
    let mut connection = connection(pool).await?;
    let row = orders::table
        .find(order.into_uuid())
        .select((orders::number, orders::status, orders::total))
        .first::<(i64, String, SqlMoney)>(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?;
    row.map(|(number, status, total)| {
        Ok(PayableOrder {
            id: order,
            number,
            status: order_status(&status)?,
            total: total.0,
        })
    })
    .transpose()
}

/// The order's latest payment attempt.
#[tracing::instrument(name = "db.payments.latest_payment", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn latest_payment(
    pool: &PgPool,
    order: OrderId,
) -> Result<Option<StoredPayment>, PortError> {
    let mut connection = connection(pool).await?;
    payments::table
        .filter(payments::order_id.eq(order.into_uuid()))
        .order(payments::created_at.desc())
        .select(PaymentRow::as_select())
        .first(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?
        .map(PaymentRow::into_domain)
        .transpose()
}
