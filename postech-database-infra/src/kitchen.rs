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

/// The `LISTEN` channel the migration `kitchen_event_log` notifies, once per transaction that
/// writes `order_status_history` (an order created, or its status changed). The payload is
/// always empty: a notification says "read the log again", never what changed.
pub const KITCHEN_EVENTS_CHANNEL: &str = "postech_kitchen";

/// The `LISTEN` channel the migration `menu_notify` notifies, once per transaction that
/// writes `products` (an admin change or a stock change: anything the menu shows). The payload
/// is always empty: a notification says "read the menu again". Here beside the kitchen's
/// channel so that every channel name of the schema is in one place.
pub const MENU_CHANNEL: &str = "postech_menu";

/// The kitchen's event log since a reader's last read: the `order_status_history` rows
/// written by transactions that the snapshot `$1` (a `pg_snapshot` in its text form,
/// `xmin:xmax:xip,...`) did not see — that is, every row committed after that snapshot was
/// taken, **whatever the order of their ids**. Oldest transaction first, then by id; at most
/// `$2` rows (a reader that gets `$2` rows should start over from the whole queue).
///
/// Ids alone cannot be a cursor: an identity value is drawn when a row is inserted, not when
/// its transaction commits, so id 10 can become visible after id 11 has been read. A
/// snapshot can: run this query in the same transaction (REPEATABLE READ) as
/// `SELECT pg_current_snapshot()::text`, and that snapshot is the next cursor — every row it
/// sees was returned now or before, every row it does not see will be returned next time.
///
/// Rows without a `transaction_id` (written before the event log existed) are never
/// returned: no reader holds a snapshot that old. Served by
/// `order_status_history_transaction_idx`: the range starts at the snapshot's `xmin`, so it
/// spans the writes since the oldest transaction that was running when the snapshot was
/// taken.
///
/// Columns: `id BIGINT`, `order_id UUID`, `from_status TEXT NULL`, `to_status TEXT`,
/// `changed_at TIMESTAMPTZ`, `transaction_id TEXT` (the `xid8` as decimal text).
pub const EVENTS_SINCE_SNAPSHOT_SQL: &str = "SELECT id, order_id, from_status, to_status, changed_at, \
            transaction_id::text AS transaction_id \
       FROM order_status_history \
      WHERE transaction_id >= pg_snapshot_xmin($1::text::pg_snapshot) \
        AND NOT pg_visible_in_snapshot(transaction_id, $1::text::pg_snapshot) \
      ORDER BY transaction_id, id \
      LIMIT $2";
