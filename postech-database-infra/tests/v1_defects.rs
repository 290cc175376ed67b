//! The defects of the v1 schema, each shown impossible (or harmless) in this one.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::str::FromStr;

use bigdecimal::BigDecimal;
use common::{
    assert_rejected_by, exec, insert_customer, insert_order, insert_product, migrated_database,
    text, texts,
};
use diesel::prelude::*;
use postech_database::schema::{order_items, products};

#[test]
fn cpf_cannot_be_stored_twice_in_two_formats() {
    let (_db, mut conn) = migrated_database();
    insert_customer(&mut conn, "52998224725");
    // v1 stored CPFs as typed: every row below would have been accepted beside the first.
    // The formatted CPF is 14 characters, too long for CHAR(11) before any CHECK runs.
    let error = common::failure(
        &mut conn,
        "INSERT INTO customers (cpf) VALUES ('529.982.247-25')",
    );
    assert!(error.to_string().contains("character(11)"), "{error}");
    assert_rejected_by(
        &mut conn,
        "customers_cpf_digits_check",
        "INSERT INTO customers (cpf) VALUES ('529982247-2')",
    );
    assert_rejected_by(
        &mut conn,
        "customers_cpf_key",
        "INSERT INTO customers (cpf) VALUES ('52998224725')",
    );
}

#[test]
fn money_sums_are_exact() {
    let (_db, mut conn) = migrated_database();
    for price in ["15.90", "20.90", "13.90"] {
        insert_product(&mut conn, price);
    }
    // The same sum in v1's double precision: 50.699999999999996.
    let floating: f64 = [15.9_f64, 20.9, 13.9].iter().sum();
    assert_ne!(floating, 50.7);

    let total: Option<BigDecimal> = products::table
        .select(diesel::dsl::sum(products::price))
        .get_result(&mut conn)
        .expect("sum loads");
    assert_eq!(total, Some(BigDecimal::from_str("50.70").expect("decimal")));
    assert_eq!(
        text(&mut conn, "SELECT sum(price)::text AS value FROM products"),
        "50.70"
    );
}

#[test]
fn ordered_product_cannot_be_deleted_only_deactivated() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "15.90");
    let order = insert_order(&mut conn, "finished", "15.90");
    exec(
        &mut conn,
        &format!(
            "INSERT INTO order_items (order_id, product_id, position, product_name, unit_price, quantity) \
             VALUES ('{order}', '{product}', 1, 'X-Burger', 15.90, 1)"
        ),
    );
    assert_rejected_by(
        &mut conn,
        "order_items_product_id_fkey",
        &format!("DELETE FROM products WHERE id = '{product}'"),
    );
    exec(
        &mut conn,
        &format!("UPDATE products SET active = false WHERE id = '{product}'"),
    );
    assert_eq!(
        text(
            &mut conn,
            &format!(
                "SELECT p.active::text AS value FROM order_items i JOIN products p ON p.id = i.product_id \
                 WHERE i.order_id = '{order}'"
            )
        ),
        "false",
        "the order still reaches its (deactivated) product"
    );
}

#[test]
fn order_items_keep_their_price_snapshot_after_a_price_change() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "15.90");
    let order = insert_order(&mut conn, "received", "31.80");
    exec(
        &mut conn,
        &format!(
            "INSERT INTO order_items (order_id, product_id, position, product_name, unit_price, quantity) \
             SELECT '{order}', id, 1, name, price, 2 FROM products WHERE id = '{product}'"
        ),
    );
    exec(
        &mut conn,
        &format!(
            "UPDATE products SET price = 19.90, name = 'X-Burger Duplo' WHERE id = '{product}'"
        ),
    );
    let (unit_price, line_total): (BigDecimal, BigDecimal) = order_items::table
        .select((order_items::unit_price, order_items::line_total))
        .first(&mut conn)
        .expect("item loads");
    assert_eq!(unit_price, BigDecimal::from_str("15.90").expect("decimal"));
    assert_eq!(line_total, BigDecimal::from_str("31.80").expect("decimal"));
    let name = text(&mut conn, "SELECT product_name AS value FROM order_items");
    assert!(
        name.starts_with("X-Burger ") && !name.contains("Duplo"),
        "{name}"
    );
}

#[test]
fn a_failed_payment_does_not_block_a_new_attempt() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    for finished in ["rejected", "expired", "cancelled"] {
        exec(
            &mut conn,
            &format!(
                "INSERT INTO payments (order_id, provider, status, amount) VALUES ('{order}', 'mercadopago', 'pending', 10.00); \
                 UPDATE payments SET status = '{finished}' WHERE order_id = '{order}' AND status = 'pending'"
            ),
        );
    }
    exec(
        &mut conn,
        &format!(
            "INSERT INTO payments (order_id, provider, status, amount) VALUES ('{order}', 'mercadopago', 'pending', 10.00); \
             UPDATE payments SET status = 'approved', confirmed_at = now() WHERE order_id = '{order}' AND status = 'pending'"
        ),
    );
    assert_eq!(
        texts(
            &mut conn,
            &format!(
                "SELECT status AS value FROM payments WHERE order_id = '{order}' ORDER BY status"
            )
        ),
        ["approved", "cancelled", "expired", "rejected"]
    );
}

#[test]
fn an_order_with_a_pending_payment_can_still_change_and_be_cancelled() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    let order = insert_order(&mut conn, "received", "10.00");
    exec(
        &mut conn,
        &format!(
            "INSERT INTO order_items (order_id, product_id, position, product_name, unit_price, quantity) \
             VALUES ('{order}', '{product}', 1, 'X-Burger', 10.00, 1); \
             INSERT INTO payments (order_id, provider, status, amount) VALUES ('{order}', 'simulated', 'pending', 10.00); \
             UPDATE orders SET notes = 'sem cebola' WHERE id = '{order}'; \
             UPDATE products SET active = false, stock_available = 0 WHERE id = '{product}'; \
             UPDATE orders SET status = 'cancelled' WHERE id = '{order}'; \
             UPDATE payments SET status = 'cancelled' WHERE order_id = '{order}'"
        ),
    );
    assert_eq!(
        text(
            &mut conn,
            &format!("SELECT status AS value FROM orders WHERE id = '{order}'")
        ),
        "cancelled"
    );
}

#[test]
fn status_history_cannot_dangle_after_its_order() {
    let (_db, mut conn) = migrated_database();
    let order = insert_order(&mut conn, "received", "10.00");
    exec(
        &mut conn,
        &format!(
            "INSERT INTO order_status_history (order_id, from_status, to_status, actor) \
             VALUES ('{order}', NULL, 'received', 'customer')"
        ),
    );
    assert_rejected_by(
        &mut conn,
        "order_status_history_order_id_fkey",
        &format!("DELETE FROM orders WHERE id = '{order}'"),
    );
}

#[test]
fn every_timestamp_has_a_time_zone() {
    let (_db, mut conn) = migrated_database();
    let naive = texts(
        &mut conn,
        "SELECT table_name || '.' || column_name AS value FROM information_schema.columns \
          WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
            AND data_type = 'timestamp without time zone'",
    );
    assert!(naive.is_empty(), "{naive:?}");
    assert!(
        !texts(
            &mut conn,
            "SELECT column_name::text AS value FROM information_schema.columns \
              WHERE table_schema = 'public' AND data_type = 'timestamp with time zone'"
        )
        .is_empty()
    );
}

#[test]
fn no_money_column_is_floating_point() {
    let (_db, mut conn) = migrated_database();
    let floating = texts(
        &mut conn,
        "SELECT table_name || '.' || column_name AS value FROM information_schema.columns \
          WHERE table_schema = 'public' AND data_type IN ('double precision', 'real')",
    );
    assert!(floating.is_empty(), "{floating:?}");
}

#[test]
fn updating_a_row_moves_its_updated_at() {
    let (_db, mut conn) = migrated_database();
    let product = insert_product(&mut conn, "10.00");
    exec(
        &mut conn,
        &format!("UPDATE products SET updated_at = '2020-01-01Z' WHERE id = '{product}'"),
    );
    // The trigger overrides even an explicit value: updated_at is the database's clock.
    exec(
        &mut conn,
        &format!("UPDATE products SET price = 11.00 WHERE id = '{product}'"),
    );
    let moved = text(
        &mut conn,
        &format!(
            "SELECT (updated_at > '2025-01-01Z')::text AS value FROM products WHERE id = '{product}'"
        ),
    );
    assert_eq!(moved, "true");
}

#[test]
fn order_numbers_come_from_the_sequence_in_order() {
    let (_db, mut conn) = migrated_database();
    let first = insert_order(&mut conn, "received", "10.00");
    let second = insert_order(&mut conn, "received", "10.00");
    let numbers = texts(
        &mut conn,
        &format!(
            "SELECT number::text AS value FROM orders WHERE id IN ('{first}', '{second}') ORDER BY created_at, number"
        ),
    );
    assert_eq!(numbers, ["1", "2"]);
}

#[test]
fn generated_columns_cannot_be_written() {
    let (_db, mut conn) = migrated_database();
    let error = common::failure(
        &mut conn,
        "INSERT INTO orders (total, kitchen_priority) VALUES (10.00, 1)",
    );
    assert!(error.to_string().contains("kitchen_priority"), "{error}");
}
