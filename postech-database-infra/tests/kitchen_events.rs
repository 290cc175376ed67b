//! The kitchen's event log (migration `kitchen_event_log`): each history row names the
//! transaction that wrote it, the snapshot query returns rows committed out of id order,
//! and every committed write notifies the kitchen channel once.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use common::{exec, insert_order, migrated_database, text, texts};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use postech_database::kitchen::{EVENTS_SINCE_SNAPSHOT_SQL, KITCHEN_EVENTS_CHANNEL, MENU_CHANNEL};
use postech_database::test_support::TestDatabase;

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn snapshot(connection: &mut PgConnection) -> String {
    text(connection, "SELECT pg_current_snapshot()::text AS value")
}

/// The ids the event query returns since `cursor`.
fn events_since(connection: &mut PgConnection, cursor: &str) -> Vec<i64> {
    diesel::sql_query(EVENTS_SINCE_SNAPSHOT_SQL)
        .bind::<Text, _>(cursor)
        .bind::<BigInt, _>(100)
        .load::<EventRow>(connection)
        .expect("event query")
        .into_iter()
        .map(|row| row.id)
        .collect()
}

fn record_creation(connection: &mut PgConnection, order: uuid::Uuid) -> i64 {
    text(
        connection,
        &format!(
            "INSERT INTO order_status_history (order_id, to_status, actor) \
             VALUES ('{order}', 'received', 'test') RETURNING id::text AS value"
        ),
    )
    .parse()
    .expect("id")
}

fn connect(database: &TestDatabase) -> PgConnection {
    database.connect().expect("connection")
}

#[test]
fn a_history_row_records_the_transaction_that_wrote_it_whatever_the_writer_says() {
    let (_database, mut connection) = migrated_database();
    let order = insert_order(&mut connection, "received", "10.00");
    exec(&mut connection, "BEGIN");
    let writer = text(
        &mut connection,
        "SELECT pg_current_xact_id()::text AS value",
    );
    exec(
        &mut connection,
        &format!(
            "INSERT INTO order_status_history (order_id, to_status, actor, transaction_id) \
             VALUES ('{order}', 'received', 'test', '3'::xid8)"
        ),
    );
    exec(&mut connection, "COMMIT");
    assert_eq!(
        texts(
            &mut connection,
            "SELECT transaction_id::text AS value FROM order_status_history"
        ),
        [writer]
    );
}

#[test]
fn a_row_committed_after_a_higher_id_was_read_is_returned_by_the_next_read() {
    let (database, mut reader) = migrated_database();
    let mut slow_writer = connect(&database);
    let mut fast_writer = connect(&database);
    let first_order = insert_order(&mut reader, "received", "10.00");
    let second_order = insert_order(&mut reader, "received", "12.00");
    let start = snapshot(&mut reader);

    exec(&mut slow_writer, "BEGIN");
    let lower_id = record_creation(&mut slow_writer, first_order);
    let higher_id = record_creation(&mut fast_writer, second_order);
    assert!(lower_id < higher_id);

    exec(&mut reader, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    let after_fast = snapshot(&mut reader);
    assert_eq!(events_since(&mut reader, &start), [higher_id]);
    exec(&mut reader, "COMMIT");

    exec(&mut slow_writer, "COMMIT");
    exec(&mut reader, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    let after_slow = snapshot(&mut reader);
    assert_eq!(
        events_since(&mut reader, &after_fast),
        [lower_id],
        "the row with the lower id, committed last, is not lost"
    );
    exec(&mut reader, "COMMIT");
    assert!(events_since(&mut reader, &after_slow).is_empty());
}

#[test]
fn rows_older_than_the_event_log_are_never_returned() {
    let (_database, mut connection) = migrated_database();
    let order = insert_order(&mut connection, "received", "10.00");
    let before = snapshot(&mut connection);
    record_creation(&mut connection, order);
    exec(
        &mut connection,
        "UPDATE order_status_history SET transaction_id = NULL",
    );
    assert!(events_since(&mut connection, &before).is_empty());
}

#[test]
fn every_committed_history_write_notifies_the_kitchen_channel_once_and_a_rollback_never() {
    let (database, mut writer) = migrated_database();
    let mut listener = connect(&database);
    exec(&mut listener, &format!("LISTEN {KITCHEN_EVENTS_CHANNEL}"));
    let orders: Vec<_> = (0..3)
        .map(|_| insert_order(&mut writer, "received", "10.00"))
        .collect();

    exec(&mut writer, "BEGIN");
    for order in &orders {
        record_creation(&mut writer, *order);
    }
    exec(&mut writer, "COMMIT");
    exec(&mut writer, "BEGIN");
    record_creation(&mut writer, orders[0]);
    exec(&mut writer, "ROLLBACK");
    // A round trip on the listening connection reads what the server has sent it.
    exec(&mut listener, "SELECT 1");

    let received: Vec<_> = listener
        .notifications_iter()
        .map(|notification| notification.expect("notification"))
        .collect();
    assert_eq!(received.len(), 1, "one per committed transaction");
    assert_eq!(received[0].channel, KITCHEN_EVENTS_CHANNEL);
    assert_eq!(received[0].payload, "");
}

/// The menu channel (migration `menu_notify`): every committed write of `products` — an admin
/// change or a stock change — notifies it once per transaction; a rollback never.
#[test]
fn every_committed_product_write_notifies_the_menu_channel_once_and_a_rollback_never() {
    let (database, mut writer) = migrated_database();
    let mut listener = connect(&database);
    exec(&mut listener, &format!("LISTEN {MENU_CHANNEL}"));
    let product = "00000000-0000-4000-8000-00000000a001";
    exec(
        &mut writer,
        &format!(
            "INSERT INTO products (id, category_id, name, description, price, stock_available) \
             VALUES ('{product}', 'fcab78d9-c377-41f4-bf34-03d1a8bdbd89', 'X-Burguer', \
                     'Hambúrguer de teste', 15.90, 10)"
        ),
    );
    exec(
        &mut writer,
        &format!(
            "BEGIN; \
             UPDATE products SET stock_available = stock_available - 1 WHERE id = '{product}'; \
             UPDATE products SET price = 16.90 WHERE id = '{product}'; \
             COMMIT"
        ),
    );
    exec(
        &mut writer,
        &format!("BEGIN; UPDATE products SET active = false WHERE id = '{product}'; ROLLBACK"),
    );
    exec(&mut listener, "SELECT 1");

    let received: Vec<_> = listener
        .notifications_iter()
        .map(|notification| notification.expect("notification"))
        .collect();
    assert_eq!(
        received.len(),
        2,
        "the insert, then the two-statement transaction"
    );
    for notification in &received {
        assert_eq!(notification.channel, MENU_CHANNEL);
        assert_eq!(notification.payload, "");
    }
}
