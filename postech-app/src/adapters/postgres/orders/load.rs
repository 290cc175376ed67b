//! Reading orders: the order rows, then the items and the latest payment of all of them in
//! two pipelined queries — never one query per order (v1's kitchen list was N+1).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use postech_database::schema::{customers, order_items, orders, payments};
use uuid::Uuid;

use crate::adapters::postgres::codes::{order_status, payment_status};
use crate::adapters::postgres::money::SqlMoney;
use crate::adapters::postgres::unexpected;
use crate::application::error::PortError;
use crate::application::orders::OrderRecord;
use crate::domain::ids::{CustomerId, OrderId, ProductId};
use crate::domain::order::{Order, OrderItem, PaymentStatus};

/// An `orders` row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = orders, check_for_backend(diesel::pg::Pg))]
pub(super) struct OrderRow {
    pub id: Uuid,
    pub number: i64,
    pub customer_id: Option<Uuid>,
    pub status: String,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An `order_items` row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = order_items, check_for_backend(diesel::pg::Pg))]
struct ItemRow {
    order_id: Uuid,
    product_id: Uuid,
    product_name: String,
    unit_price: SqlMoney,
    quantity: i32,
}

/// Completes order rows into records, keeping their order: items, latest payment and owner
/// names of all the rows in one pipelined round of three queries.
pub(super) async fn complete(
    connection: &AsyncPgConnection,
    rows: Vec<OrderRow>,
) -> Result<Vec<OrderRecord>, PortError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut owner_ids: Vec<Uuid> = rows.iter().filter_map(|row| row.customer_id).collect();
    owner_ids.sort_unstable();
    owner_ids.dedup();
    let items_query = order_items::table
        .filter(order_items::order_id.eq_any(&ids))
        .order((order_items::order_id, order_items::position))
        .select(ItemRow::as_select());
    // The latest attempt decides the payment status shown (`DISTINCT ON` keeps the first row
    // per order in `created_at DESC` order).
    let payments_query = payments::table
        .filter(payments::order_id.eq_any(&ids))
        .distinct_on(payments::order_id)
        .order((payments::order_id, payments::created_at.desc()))
        .select((payments::order_id, payments::status));
    let names_query = customers::table
        .filter(customers::id.eq_any(&owner_ids))
        .filter(customers::name.is_not_null())
        .select((customers::id, customers::name));
    let mut items_connection = connection;
    let mut payments_connection = connection;
    let mut names_connection = connection;
    let (item_rows, payment_rows, name_rows) = futures_util::try_join!(
        items_query.load::<ItemRow>(&mut items_connection),
        payments_query.load::<(Uuid, String)>(&mut payments_connection),
        async {
            if owner_ids.is_empty() {
                Ok(Vec::new())
            } else {
                names_query
                    .load::<(Uuid, Option<String>)>(&mut names_connection)
                    .await
            }
        },
    )
    .map_err(unexpected)?;
    let names: HashMap<Uuid, String> = name_rows
        .into_iter()
        .filter_map(|(id, name)| name.map(|name| (id, name)))
        .collect();

    let mut items_by_order: HashMap<Uuid, Vec<OrderItem>> = HashMap::with_capacity(rows.len());
    for item in item_rows {
        items_by_order
            .entry(item.order_id)
            .or_default()
            .push(OrderItem {
                product_id: ProductId::from(item.product_id),
                product_name: item.product_name,
                unit_price: item.unit_price.0,
                quantity: u32::try_from(item.quantity).unwrap_or(0),
            });
    }
    let mut payment_by_order: HashMap<Uuid, PaymentStatus> = HashMap::new();
    for (order_id, code) in payment_rows {
        payment_by_order.insert(order_id, payment_status(&code)?);
    }
    rows.into_iter()
        .map(|row| {
            let customer_name = row.customer_id.and_then(|id| names.get(&id).cloned());
            let items = items_by_order.remove(&row.id).unwrap_or_default();
            let payment = payment_by_order
                .get(&row.id)
                .copied()
                .unwrap_or(PaymentStatus::Pending);
            record(row, customer_name, items, payment)
        })
        .collect()
}

/// One record from its parts.
pub(super) fn record(
    row: OrderRow,
    customer_name: Option<String>,
    items: Vec<OrderItem>,
    payment_status: PaymentStatus,
) -> Result<OrderRecord, PortError> {
    Ok(OrderRecord {
        order: Order {
            id: OrderId::from(row.id),
            number: row.number,
            customer_id: row.customer_id.map(CustomerId::from),
            status: order_status(&row.status)?,
            payment_status,
            items,
            notes: row.notes,
            created_at: row.created_at,
        },
        customer_name,
    })
}
