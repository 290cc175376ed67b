//! The kitchen list: right content and order, and served by its partial index at volume.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use common::{exec, migrated_database, texts};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::Text;
use postech_database::kitchen::{KITCHEN_QUEUE_SQL, kitchen_queue};
use postech_database::schema::orders;

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

fn plan(connection: &mut PgConnection, explain: &str, sql: &str) -> String {
    diesel::sql_query(format!("{explain} {sql}"))
        .load::<PlanLine>(connection)
        .expect("EXPLAIN runs")
        .into_iter()
        .map(|row| row.line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The SQL diesel sends for `kitchen_queue()` (it has no bind parameters).
fn diesel_kitchen_sql() -> String {
    let query = kitchen_queue().select(orders::all_columns);
    let debug = diesel::debug_query::<Pg, _>(&query).to_string();
    let (sql, binds) = debug.split_once(" -- binds: ").expect("debug_query format");
    assert_eq!(
        binds, "[]",
        "the kitchen query must not use bind parameters"
    );
    sql.to_owned()
}

/// 10,000 orders over about a week, as a kitchen sees them: the newest 200 still open (50
/// in each open status), the history before them finished or cancelled.
fn insert_ten_thousand_orders(connection: &mut PgConnection) {
    exec(
        connection,
        "INSERT INTO orders (status, total, created_at) \
         SELECT CASE WHEN g > 9800 \
                     THEN (ARRAY['received', 'paid', 'in_preparation', 'ready'])[1 + g % 4] \
                     WHEN g % 13 = 0 THEN 'cancelled' \
                     ELSE 'finished' END, \
                10.00 + (g % 90), \
                now() - make_interval(mins => 10000 - g) \
           FROM generate_series(1, 10000) AS g; \
         ANALYZE orders;",
    );
}

#[test]
fn kitchen_query_uses_its_index_at_ten_thousand_orders() {
    let (_db, mut conn) = migrated_database();
    insert_ten_thousand_orders(&mut conn);

    for (source, sql) in [
        ("diesel kitchen_queue()", diesel_kitchen_sql()),
        ("KITCHEN_QUEUE_SQL", KITCHEN_QUEUE_SQL.to_owned()),
    ] {
        let explained = plan(&mut conn, "EXPLAIN", &sql);
        println!("EXPLAIN of {source} at 10,000 orders:\n{sql}\n{explained}\n");
        // The whole queue (200 rows): PostgreSQL picks the open rows through the partial
        // index (a bitmap scan) and sorts those 200 rows; closed orders are never read.
        assert!(
            explained.contains("Index Scan on orders_kitchen_queue_idx")
                || explained.contains("Index Scan using orders_kitchen_queue_idx on orders"),
            "{source} does not use the kitchen index:\n{explained}"
        );
        assert!(
            !explained.contains("Seq Scan"),
            "{source} scans the whole table:\n{explained}"
        );
        let analyzed = plan(
            &mut conn,
            "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF)",
            &sql,
        );
        println!("EXPLAIN ANALYZE of {source}:\n{analyzed}\n");
        assert!(analyzed.contains("rows=200 loops=1"), "{analyzed}");
    }
}

#[test]
fn kitchen_page_reads_the_index_in_order_without_sorting() {
    let (_db, mut conn) = migrated_database();
    insert_ten_thousand_orders(&mut conn);
    let page = kitchen_queue().select(orders::all_columns).limit(20);
    let debug = diesel::debug_query::<Pg, _>(&page).to_string();
    let (sql, _) = debug.split_once(" -- binds: ").expect("debug_query format");
    // The LIMIT is a bind parameter; EXPLAIN needs a literal.
    let sql = sql.replace("LIMIT $1", "LIMIT 20");
    let explained = plan(&mut conn, "EXPLAIN", &sql);
    println!("EXPLAIN of kitchen_queue().limit(20) at 10,000 orders:\n{explained}\n");
    assert!(
        explained.contains("Index Scan using orders_kitchen_queue_idx on orders"),
        "{explained}"
    );
    assert!(!explained.contains("Sort"), "{explained}");
}

#[test]
fn kitchen_query_lists_open_orders_ready_first_and_oldest_first() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        "INSERT INTO orders (number, status, total, created_at) VALUES \
           (1, 'received',       10.00, '2026-11-25 12:00Z'), \
           (2, 'paid',           10.00, '2026-11-25 12:01Z'), \
           (3, 'ready',          10.00, '2026-11-25 12:02Z'), \
           (4, 'finished',       10.00, '2026-11-25 11:00Z'), \
           (5, 'in_preparation', 10.00, '2026-11-25 12:03Z'), \
           (6, 'cancelled',      10.00, '2026-11-25 11:00Z'), \
           (7, 'ready',          10.00, '2026-11-25 11:59Z'), \
           (8, 'received',       10.00, '2026-11-25 11:58Z'), \
           (9, 'paid',           10.00, '2026-11-25 12:01Z')",
    );
    let queue: Vec<(i64, String)> = kitchen_queue()
        .select((orders::number, orders::status))
        .load(&mut conn)
        .expect("kitchen queue loads");
    let numbers: Vec<i64> = queue.iter().map(|(number, _)| *number).collect();
    // Ready 7 (older) then 3; in preparation 5; paid 2 and 9 (same time: by number);
    // received 8 (older) then 1. Finished 4 and cancelled 6 are not listed.
    assert_eq!(numbers, [7, 3, 5, 2, 9, 8, 1]);

    let plain: Vec<String> = texts(
        &mut conn,
        &format!("SELECT number::text AS value FROM ({KITCHEN_QUEUE_SQL}) AS queue"),
    );
    assert_eq!(plain, ["7", "3", "5", "2", "9", "8", "1"]);
}

#[test]
fn kitchen_priority_follows_status_changes() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        "INSERT INTO orders (number, status, total) VALUES (1, 'received', 10.00), (2, 'received', 10.00); \
         UPDATE orders SET status = 'ready' WHERE number = 2",
    );
    let numbers: Vec<i64> = kitchen_queue()
        .select(orders::number)
        .load(&mut conn)
        .expect("kitchen queue loads");
    assert_eq!(
        numbers,
        [2, 1],
        "the order that became ready moves to the front"
    );
}
