//! Reading orders: each read is *one* statement — the order rows with their owner's name,
//! their latest payment status and their items aggregated as JSON (`json_agg`) — never one
//! query per order (v1's kitchen list was N+1) nor a round of follow-up queries.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use serde::Deserialize;
use uuid::Uuid;

use crate::adapters::postgres::codes::{order_status, payment_status};
use crate::application::error::{PortError, because};
use crate::application::orders::OrderRecord;
use crate::domain::ids::{CustomerId, OrderId, ProductId};
use crate::domain::money::Money;
use crate::domain::order::{Order, OrderItem, PaymentStatus};

/// The columns of an order record, shared by every read. The latest attempt decides the
/// payment status shown; items come in checkout order, their price as integer cents.
macro_rules! order_record_select {
    () => {
        "SELECT orders.id, orders.number, orders.customer_id, orders.status, orders.notes, \
                orders.created_at, customers.name AS customer_name, \
                (SELECT payments.status FROM payments WHERE payments.order_id = orders.id \
                  ORDER BY payments.created_at DESC LIMIT 1) AS payment_status, \
                (SELECT json_agg(json_build_object( \
                           'product_id', order_items.product_id, \
                           'product_name', order_items.product_name, \
                           'unit_price_cents', (order_items.unit_price * 100)::int8, \
                           'quantity', order_items.quantity) \
                         ORDER BY order_items.position) \
                   FROM order_items WHERE order_items.order_id = orders.id)::text AS items \
           FROM orders LEFT JOIN customers ON customers.id = orders.customer_id"
    };
}

/// One order by id.
pub(super) const ORDER_BY_ID_SQL: &str = concat!(order_record_select!(), " WHERE orders.id = $1");

/// Orders by id (`$1`, an array), in no particular order.
pub(super) const ORDERS_BY_IDS_SQL: &str =
    concat!(order_record_select!(), " WHERE orders.id = ANY($1)");

/// A customer's orders, newest first.
pub(super) const CUSTOMER_ORDERS_SQL: &str = concat!(
    order_record_select!(),
    " WHERE orders.customer_id = $1 ORDER BY orders.created_at DESC, orders.number DESC"
);

/// The kitchen list: the open orders in kitchen order, a page at a time (`LIMIT NULL` is the
/// whole list). The predicate is textually `postech_database::kitchen::OPEN_ORDERS_PREDICATE`
/// and the order that of `orders_kitchen_queue_idx`, so the page is one index scan with no
/// sort, and the items and payment of only the page's orders are read.
pub(super) const KITCHEN_QUEUE_SQL: &str = concat!(
    order_record_select!(),
    r#" WHERE "orders"."status" NOT IN ('finished', 'cancelled')"#,
    " ORDER BY orders.kitchen_priority, orders.created_at, orders.number LIMIT $1 OFFSET $2"
);

/// A row of the statements above.
#[derive(diesel::QueryableByName)]
pub(super) struct OrderRecordRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = BigInt)]
    number: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    customer_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    notes: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    customer_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    payment_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    items: Option<String>,
}

/// One element of the `items` JSON array.
#[derive(Deserialize)]
struct ItemJson {
    product_id: Uuid,
    product_name: String,
    unit_price_cents: i64,
    quantity: u32,
}

impl OrderRecordRow {
    fn into_record(self) -> Result<OrderRecord, PortError> {
        let items: Vec<ItemJson> = match self.items.as_deref() {
            None => Vec::new(),
            Some(json) => serde_json::from_str(json).map_err(|error| PortError::Unexpected {
                dependency: "database",
                cause: because(format!("order {} has unreadable items", self.id), error),
            })?,
        };
        let payment_status = match self.payment_status.as_deref() {
            Some(code) => payment_status(code)?,
            None => PaymentStatus::Pending,
        };
        Ok(OrderRecord {
            order: Order {
                id: OrderId::from(self.id),
                number: self.number,
                customer_id: self.customer_id.map(CustomerId::from),
                status: order_status(&self.status)?,
                payment_status,
                items: items
                    .into_iter()
                    .map(|item| OrderItem {
                        product_id: ProductId::from(item.product_id),
                        product_name: item.product_name,
                        unit_price: Money::from_cents(item.unit_price_cents),
                        quantity: item.quantity,
                    })
                    .collect(),
                notes: self.notes,
                created_at: self.created_at,
            },
            customer_name: self.customer_name,
        })
    }
}

/// The records of rows read with one of the statements above, in their order.
pub(super) fn into_records(rows: Vec<OrderRecordRow>) -> Result<Vec<OrderRecord>, PortError> {
    rows.into_iter().map(OrderRecordRow::into_record).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kitchen_statement_uses_the_partial_index_predicate_verbatim() {
        assert!(KITCHEN_QUEUE_SQL.contains(postech_database::kitchen::OPEN_ORDERS_PREDICATE));
    }
}
