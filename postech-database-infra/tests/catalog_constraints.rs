//! Each constraint of the menu and customer tables rejects the bad row it exists for (one
//! test each), so a migration that loses one fails here. Orders: `order_constraints.rs`.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic)]

mod common;

use common::{
    LANCHE, assert_rejected_by, exec, insert_customer, insert_product, migrated_database,
};
use uuid::Uuid;

fn product_with(price: &str, stock: &str, name: &str, description: &str) -> String {
    format!(
        "INSERT INTO products (category_id, name, description, price, stock_available) \
         VALUES ('{LANCHE}', '{name}', '{description}', {price}, {stock})"
    )
}

#[test]
fn product_with_negative_price_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = product_with("-1.00", "1", "X-Burger", "Pão, carne e queijo.");
    assert_rejected_by(&mut conn, "products_price_range_check", &sql);
}

#[test]
fn product_with_zero_price_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = product_with("0", "1", "X-Burger", "Pão, carne e queijo.");
    assert_rejected_by(&mut conn, "products_price_range_check", &sql);
}

#[test]
fn product_priced_above_1000_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = product_with("1000.01", "1", "X-Burger", "Pão, carne e queijo.");
    assert_rejected_by(&mut conn, "products_price_range_check", &sql);
}

#[test]
fn product_with_negative_stock_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = product_with("10.00", "-1", "X-Burger", "Pão, carne e queijo.");
    assert_rejected_by(&mut conn, "products_stock_range_check", &sql);
}

#[test]
fn product_with_stock_above_10000_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = product_with("10.00", "10001", "X-Burger", "Pão, carne e queijo.");
    assert_rejected_by(&mut conn, "products_stock_range_check", &sql);
}

#[test]
fn product_with_two_letter_name_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = product_with("10.00", "1", "XB", "Pão, carne e queijo.");
    assert_rejected_by(&mut conn, "products_name_length_check", &sql);
}

#[test]
fn product_with_short_description_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = product_with("10.00", "1", "X-Burger", "Pão.");
    assert_rejected_by(&mut conn, "products_description_length_check", &sql);
}

#[test]
fn product_in_unknown_category_is_rejected() {
    let (_db, mut conn) = migrated_database();
    let sql = format!(
        "INSERT INTO products (category_id, name, description, price) \
         VALUES ('{}', 'X-Burger', 'Pão, carne e queijo.', 10.00)",
        Uuid::new_v4()
    );
    assert_rejected_by(&mut conn, "products_category_id_fkey", &sql);
}

#[test]
fn category_with_products_cannot_be_deleted() {
    let (_db, mut conn) = migrated_database();
    insert_product(&mut conn, "10.00");
    let sql = format!("DELETE FROM categories WHERE id = '{LANCHE}'");
    assert_rejected_by(&mut conn, "products_category_id_fkey", &sql);
}

#[test]
fn formatted_cpf_is_rejected() {
    let (_db, mut conn) = migrated_database();
    assert_rejected_by(
        &mut conn,
        "customers_cpf_digits_check",
        "INSERT INTO customers (cpf) VALUES ('123.456.789')",
    );
}

#[test]
fn cpf_with_ten_digits_is_rejected() {
    let (_db, mut conn) = migrated_database();
    assert_rejected_by(
        &mut conn,
        "customers_cpf_digits_check",
        "INSERT INTO customers (cpf) VALUES ('1234567890')",
    );
}

#[test]
fn duplicate_cpf_is_rejected() {
    let (_db, mut conn) = migrated_database();
    insert_customer(&mut conn, "52998224725");
    assert_rejected_by(
        &mut conn,
        "customers_cpf_key",
        "INSERT INTO customers (cpf) VALUES ('52998224725')",
    );
}

#[test]
fn email_differing_only_in_case_is_rejected() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        "INSERT INTO customers (email) VALUES ('ana@example.com')",
    );
    assert_rejected_by(
        &mut conn,
        "customers_email_lower_key",
        "INSERT INTO customers (email) VALUES ('Ana@Example.COM')",
    );
}

#[test]
fn email_without_at_sign_is_rejected() {
    let (_db, mut conn) = migrated_database();
    assert_rejected_by(
        &mut conn,
        "customers_email_format_check",
        "INSERT INTO customers (email) VALUES ('ana.example.com')",
    );
}

#[test]
fn cognito_username_linked_twice_is_rejected() {
    let (_db, mut conn) = migrated_database();
    exec(
        &mut conn,
        "INSERT INTO customers (cognito_username) VALUES ('52998224725')",
    );
    assert_rejected_by(
        &mut conn,
        "customers_cognito_username_key",
        "INSERT INTO customers (cognito_username) VALUES ('52998224725')",
    );
}
