//! Each constraint of the order, line, history and payment tables rejects the bad row it
//! exists for (one test each). Menu and customers: `catalog_constraints.rs`.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use common::{
    assert_rejected_by, exec, insert_customer, insert_order, insert_product, migrated_database,
};
use uuid::Uuid;

#[test]
fn order_with_unknown_status_is_rejected() {
    let (_db, mut conn) = migrated_database();
    assert_rejected_by(
        &mut conn,
        "orders_status_check",
        "INSERT INTO orders (status, total) VALUES ('Recebido', 10.00)",
    );
}

#[test]
fn order_total_below_5_is_rejected() {
    let (_db, mut conn) = migrated_database();
    assert_rejected_by(
        &mut conn,
        "orders_total_range_check",
        "INSERT INTO orders (total) VALUES (4.99)",
    );
}

#[test]
fn order_total_above_1000_is_rejected() {
    let (_db, mut conn) = migrated_database();
    assert_rejected_by(
        &mut conn,
        "orders_total_range_check",
        "INSERT INTO orders (total) VALUES (1000.01)",
    );
}

#[test]
fn order_notes_longer_than_500_characters_are_rejected() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        &format!(
            "INSERT INTO orders (total, notes) VALUES (10.00, '{}')",
            "ç".repeat(500)
        ),
    );
    let sql = format!(
        "INSERT INTO orders (total, notes) VALUES (10.00, '{}')",
        "ç".repeat(501)
    );
    assert_rejected_by(&mut conn, "orders_notes_length_check", &sql);
}

#[test]
fn reused_idempotency_key_is_rejected() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        "INSERT INTO orders (total, idempotency_key, request_fingerprint) VALUES (10.00, 'k-1', 'f-1')",
    );
    assert_rejected_by(
        &mut conn,
        "orders_idempotency_key_key",
        "INSERT INTO orders (total, idempotency_key, request_fingerprint) VALUES (10.00, 'k-1', 'f-2')",
    );
}

#[test]
fn idempotency_key_without_fingerprint_is_rejected() {
    let (_db, mut conn) = migrated_database();
    assert_rejected_by(
        &mut conn,
        "orders_idempotency_pair_check",
        "INSERT INTO orders (total, idempotency_key) VALUES (10.00, 'k-1')",
    );
}

#[test]
fn order_of_unknown_customer_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = format!(
        "INSERT INTO orders (customer_id, total) VALUES ('{}', 10.00)",
        Uuid::new_v4()
    );
    assert_rejected_by(&mut conn, "orders_customer_id_fkey", &sql);
}

#[test]
fn duplicate_order_number_is_rejected() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        "INSERT INTO orders (number, total) VALUES (42, 10.00)",
    );
    assert_rejected_by(
        &mut conn,
        "orders_number_key",
        "INSERT INTO orders (number, total) VALUES (42, 10.00)",
    );
}

#[test]
fn customer_with_orders_cannot_be_deleted() {
    let (_db, mut conn) = migrated_database();
    let customer = insert_customer(&mut conn, "52998224725");
    exec(
        &mut conn,
        &format!("INSERT INTO orders (customer_id, total) VALUES ('{customer}', 10.00)"),
    );
    let sql = format!("DELETE FROM customers WHERE id = '{customer}'");
    assert_rejected_by(&mut conn, "orders_customer_id_fkey", &sql);
}

fn item(order: Uuid, product: Uuid, position: &str, price: &str, quantity: &str) -> String {
    format!(
        "INSERT INTO order_items (order_id, product_id, position, product_name, unit_price, quantity) \
         VALUES ('{order}', '{product}', {position}, 'X-Burger', {price}, {quantity})"
    )
}

#[test]
fn order_item_with_quantity_zero_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = item(order, product, "1", "10.00", "0");
    assert_rejected_by(&mut conn, "order_items_quantity_range_check", &sql);
}

#[test]
fn order_item_with_quantity_51_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = item(order, product, "1", "10.00", "51");
    assert_rejected_by(&mut conn, "order_items_quantity_range_check", &sql);
}

#[test]
fn same_product_twice_in_one_order_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    let order = insert_order(&mut conn, "received", "20.00");
    exec(&mut conn, &item(order, product, "1", "10.00", "1"));
    let sql = item(order, product, "2", "10.00", "1");
    assert_rejected_by(&mut conn, "order_items_order_product_key", &sql);
}

#[test]
fn two_items_in_the_same_position_are_rejected() {
    let (_db, mut conn) = migrated_database();
    let first = insert_product(&mut conn, "10.00");
    let second = insert_product(&mut conn, "10.00");
    let order = insert_order(&mut conn, "received", "20.00");
    exec(&mut conn, &item(order, first, "1", "10.00", "1"));
    let sql = item(order, second, "1", "10.00", "1");
    assert_rejected_by(&mut conn, "order_items_order_position_key", &sql);
}

#[test]
fn order_item_position_zero_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = item(order, product, "0", "10.00", "1");
    assert_rejected_by(&mut conn, "order_items_position_check", &sql);
}

#[test]
fn order_item_with_zero_unit_price_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = item(order, product, "1", "0.00", "1");
    assert_rejected_by(&mut conn, "order_items_unit_price_range_check", &sql);
}

#[test]
fn order_item_of_unknown_order_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    let sql = item(Uuid::new_v4(), product, "1", "10.00", "1");
    assert_rejected_by(&mut conn, "order_items_order_id_fkey", &sql);
}

#[test]
fn order_with_items_cannot_be_deleted() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    let order = insert_order(&mut conn, "received", "10.00");
    exec(&mut conn, &item(order, product, "1", "10.00", "1"));
    let sql = format!("DELETE FROM orders WHERE id = '{order}'");
    assert_rejected_by(&mut conn, "order_items_order_id_fkey", &sql);
}

fn history(order: Uuid, from: &str, to: &str) -> String {
    format!(
        "INSERT INTO order_status_history (order_id, from_status, to_status, actor) \
         VALUES ('{order}', {from}, '{to}', 'admin:maria')"
    )
}

#[test]
fn history_with_unknown_status_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = history(order, "'received'", "Pago");
    assert_rejected_by(&mut conn, "order_status_history_to_status_check", &sql);
}

#[test]
fn history_skipping_a_state_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = history(order, "'received'", "ready");
    assert_rejected_by(&mut conn, "order_status_history_transition_check", &sql);
}

#[test]
fn history_leaving_a_finished_order_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "finished", "10.00");
    let sql = history(order, "'finished'", "cancelled");
    assert_rejected_by(&mut conn, "order_status_history_transition_check", &sql);
}

#[test]
fn history_creating_an_order_in_a_later_state_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "paid", "10.00");
    let sql = history(order, "NULL", "paid");
    assert_rejected_by(&mut conn, "order_status_history_transition_check", &sql);
}

#[test]
fn history_accepts_every_move_of_the_state_machine() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    for (from, to) in [
        ("NULL", "received"),
        ("'received'", "paid"),
        ("'paid'", "in_preparation"),
        ("'in_preparation'", "ready"),
        ("'ready'", "finished"),
        ("'received'", "cancelled"),
        ("'paid'", "cancelled"),
    ] {
        exec(&mut conn, &history(order, from, to));
    }
}

fn payment(order: Uuid, status: &str, confirmed_at: &str, provider_payment_id: &str) -> String {
    format!(
        "INSERT INTO payments (order_id, provider, provider_payment_id, status, amount, confirmed_at) \
         VALUES ('{order}', 'mercadopago', {provider_payment_id}, '{status}', 10.00, {confirmed_at})"
    )
}

#[test]
fn second_pending_payment_of_an_order_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    exec(&mut conn, &payment(order, "pending", "NULL", "NULL"));
    let sql = payment(order, "pending", "NULL", "NULL");
    assert_rejected_by(&mut conn, "payments_one_pending_per_order_key", &sql);
}

#[test]
fn second_approved_payment_of_an_order_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "paid", "10.00");
    exec(&mut conn, &payment(order, "approved", "now()", "'mp-1'"));
    let sql = payment(order, "approved", "now()", "'mp-2'");
    assert_rejected_by(&mut conn, "payments_one_approved_per_order_key", &sql);
}

#[test]
fn payment_with_unknown_status_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = payment(order, "aprovado", "NULL", "NULL");
    assert_rejected_by(&mut conn, "payments_status_check", &sql);
}

#[test]
fn approved_payment_without_confirmation_time_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = payment(order, "approved", "NULL", "'mp-1'");
    assert_rejected_by(&mut conn, "payments_confirmed_at_check", &sql);
}

#[test]
fn same_provider_payment_id_twice_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let first = insert_order(&mut conn, "received", "10.00");
    let second = insert_order(&mut conn, "received", "10.00");
    exec(&mut conn, &payment(first, "rejected", "NULL", "'mp-1'"));
    let sql = payment(second, "rejected", "NULL", "'mp-1'");
    assert_rejected_by(&mut conn, "payments_provider_payment_id_key", &sql);
}

#[test]
fn payment_with_negative_amount_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = format!(
        "INSERT INTO payments (order_id, provider, amount) VALUES ('{order}', 'mercadopago', -10.00)"
    );
    assert_rejected_by(&mut conn, "payments_amount_range_check", &sql);
}

#[test]
fn payment_with_malformed_provider_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    let sql = format!(
        "INSERT INTO payments (order_id, provider, amount) VALUES ('{order}', 'Mercado Pago', 10.00)"
    );
    assert_rejected_by(&mut conn, "payments_provider_check", &sql);
}

#[test]
fn payment_of_unknown_order_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = payment(Uuid::new_v4(), "pending", "NULL", "NULL");
    assert_rejected_by(&mut conn, "payments_order_id_fkey", &sql);
}
