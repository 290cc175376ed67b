//! The kitchen list's query, in the one form that the index `orders_kitchen_queue_idx`
//! serves.
//!
//! API-V1.md: every order that is not finished or cancelled, ready first, then in
//! preparation, paid, received; oldest first within a status; one query. The migration
//! `create_orders` stores the status rank in the generated column `kitchen_priority` and
//! indexes `(kitchen_priority, created_at, number) WHERE status NOT IN ('finished',
//! 'cancelled')`, so the list is a single index scan with no sort.
//!
//! PostgreSQL only uses a partial index when it can prove the query's WHERE implies the
//! index predicate, and it cannot prove that through a bind parameter (diesel's
//! `ne_all(...)` would send the statuses as `$1`, and a cached generic plan would fall back
//! to scanning and sorting the table). Hence the predicate is a SQL literal here.

use diesel::dsl::{Asc, Filter, Order, sql};
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::schema::orders;

/// The WHERE clause of the kitchen list, textually the predicate of
/// `orders_kitchen_queue_idx`.
pub const OPEN_ORDERS_PREDICATE: &str = r#""orders"."status" NOT IN ('finished', 'cancelled')"#;

/// The kitchen list as plain SQL, for tools other than diesel (psql, dashboards). Same
/// predicate and order as [`kitchen_queue`].
pub const KITCHEN_QUEUE_SQL: &str = "SELECT id, number, customer_id, status, total, notes, \
     created_at, updated_at FROM orders \
     WHERE status NOT IN ('finished', 'cancelled') \
     ORDER BY kitchen_priority, created_at, number";

/// The type of [`kitchen_queue`]: `orders` filtered to open orders, sorted for the kitchen.
pub type KitchenQueue = Order<
    Filter<orders::table, SqlLiteral<Bool>>,
    (
        Asc<orders::kitchen_priority>,
        Asc<orders::created_at>,
        Asc<orders::number>,
    ),
>;

/// The open orders in kitchen order. Add `.select(...)` (and `.limit(...)` if wanted) and
/// load; fetch the lines of all of them with one more query, e.g.
/// `order_items::table.filter(order_items::order_id.eq_any(ids)).order((order_items::order_id, order_items::position))`.
///
/// ```
/// use diesel::prelude::*;
/// use postech_database::{kitchen::kitchen_queue, schema::orders};
///
/// let query = kitchen_queue().select((orders::id, orders::number, orders::status));
/// let sql = diesel::debug_query::<diesel::pg::Pg, _>(&query).to_string();
/// assert!(sql.contains(r#"WHERE "orders"."status" NOT IN ('finished', 'cancelled')"#));
/// assert!(sql.contains(r#"ORDER BY "orders"."kitchen_priority" ASC"#));
/// ```
pub fn kitchen_queue() -> KitchenQueue {
    orders::table
        .filter(sql::<Bool>(OPEN_ORDERS_PREDICATE))
        .order((
            orders::kitchen_priority.asc(),
            orders::created_at.asc(),
            orders::number.asc(),
        ))
}
