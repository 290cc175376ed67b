//! The dirty fixture (`tests/fixtures/v1/dirty-rows.sql`) imported, then every row checked.

use std::collections::BTreeSet;

use diesel::connection::SimpleConnection;
use postech_database::test_support::TestDatabase;
use serde_json::Value;

use crate::common::{text, texts};
use crate::fixture::{
    Pool, SCHEMA_OTHER_HEAD, counters, dirty_v1, fingerprint, import, import_ok, v1_database,
};

/// A customer postech already had before the switch-over, with Helena's CPF.
const PILOT_HELENA: &str = "b1000000-0000-4000-8000-000000000001";
/// Another, holding João's e-mail.
const PILOT_JOAO_EMAIL: &str = "b1000000-0000-4000-8000-000000000002";

const ORDER_PREFIX: &str = "0d000000-0000-4000-8000-000000000";

fn order(suffix: &str) -> String {
    format!("{ORDER_PREFIX}{suffix}")
}

/// A migrated postech database holding the two pilot customers.
fn postech_with_pilot_customers() -> TestDatabase {
    let postech = TestDatabase::create_migrated().expect("postech database");
    let mut connection = postech.connect().expect("connection");
    connection
        .batch_execute(&format!(
            "INSERT INTO customers (id, name, email, cpf, cognito_username) VALUES \
               ('{PILOT_HELENA}', 'Helena (postech)', NULL, '45317828791', '45317828791'), \
               ('{PILOT_JOAO_EMAIL}', 'Outro João', 'joao@example.com', NULL, NULL)"
        ))
        .expect("pilot customers");
    postech
}

struct Imported {
    v1: TestDatabase,
    postech: TestDatabase,
    pool: Pool,
    report: Value,
}

fn import_dirty_fixture() -> Imported {
    let v1 = dirty_v1();
    let postech = postech_with_pilot_customers();
    let pool = Pool::new();
    let report = import_ok(&v1, &postech, Some(&pool), &["--batch-size", "4"]);
    Imported {
        v1,
        postech,
        pool,
        report,
    }
}

/// (entity, v1 key, outcome, rules) of every listed row of the report.
fn listed(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["rejects"]
        .as_array()
        .expect("rejects")
        .iter()
        .chain(report["notes"].as_array().expect("notes"))
        .map(|row| {
            let rules: Vec<&str> = row["rules"]
                .as_array()
                .expect("rules")
                .iter()
                .map(|rule| rule.as_str().expect("code"))
                .collect();
            (
                row["entity"].as_str().expect("entity").to_owned(),
                row["v1_key"].as_str().expect("key").to_owned(),
                row["outcome"].as_str().expect("outcome").to_owned(),
                rules.join(","),
            )
        })
        .collect()
}

fn expected_listed_rows() -> BTreeSet<(String, String, String, String)> {
    let a = |n: &str| format!("a0000000-0000-4000-8000-0000000000{n}");
    let c = |n: &str| format!("c0000000-0000-4000-8000-0000000000{n}");
    let p = |n: &str| format!("ba000000-0000-4000-8000-0000000000{n}");
    let line = |o: &str, product: &str| format!("{}/{}", order(o), a(product));
    let rows: Vec<(&str, String, &str, &str)> = vec![
        (
            "category",
            "6b2e43a7-8764-48ec-8f7a-65134c8c1b9e".into(),
            "superseded",
            "category_name_differs",
        ),
        (
            "category",
            "ca000000-0000-4000-8000-000000000001".into(),
            "rejected",
            "unknown_category",
        ),
        (
            "category",
            "ca000000-0000-4000-8000-000000000002".into(),
            "merged",
            "category_mapped_by_name",
        ),
        (
            "product",
            a("02"),
            "repaired",
            "price_rounded,blank_text_nulled",
        ),
        (
            "product",
            a("03"),
            "flagged",
            "price_rounded,description_completed,stock_clamped",
        ),
        ("product", a("04"), "flagged", "stock_clamped"),
        ("product", a("05"), "rejected", "price_not_positive"),
        ("product", a("06"), "rejected", "price_above_limit"),
        ("product", a("07"), "rejected", "price_not_positive"),
        ("product", a("08"), "rejected", "name_too_short"),
        ("product", a("09"), "rejected", "category_refused"),
        ("product", a("0a"), "repaired", "category_remapped"),
        ("product", a("0b"), "repaired", "price_rounded"),
        ("product", a("0c"), "flagged", "name_truncated"),
        ("product", a("0d"), "rejected", "price_not_finite"),
        (
            "customer",
            c("02"),
            "repaired",
            "cpf_reformatted,blank_text_nulled",
        ),
        (
            "customer",
            c("03"),
            "flagged",
            "cpf_invalid_dropped,email_normalized",
        ),
        (
            "customer",
            c("04"),
            "merged",
            "cpf_reformatted,merged_duplicate_cpf",
        ),
        ("customer", c("05"), "flagged", "cpf_invalid_dropped"),
        (
            "customer",
            c("06"),
            "flagged",
            "cpf_reformatted,email_normalized,email_duplicate_dropped",
        ),
        ("customer", c("08"), "repaired", "cpf_zero_padded"),
        (
            "customer",
            c("09"),
            "flagged",
            "email_invalid_dropped,blank_text_nulled",
        ),
        (
            "customer",
            c("0a"),
            "merged",
            "cpf_reformatted,merged_into_postech_customer",
        ),
        ("customer", c("0b"), "repaired", "blank_text_nulled"),
        ("customer", c("0c"), "flagged", "email_taken_in_postech"),
        ("order", order("020"), "repaired", "customer_merged"),
        ("order", order("030"), "flagged", "status_unknown_cancelled"),
        ("order", order("040"), "flagged", "unpaid_at_switch_over"),
        (
            "order",
            order("050"),
            "flagged",
            "paid_per_approved_payment",
        ),
        ("order", order("060"), "flagged", "status_unknown_cancelled"),
        ("order", order("070"), "repaired", "status_normalized"),
        ("order", order("080"), "rejected", "no_importable_lines"),
        ("order", order("090"), "flagged", "lines_refused"),
        ("order", order("0a0"), "flagged", "lines_refused"),
        ("order", order("0b0"), "flagged", "lines_refused"),
        ("order", order("0c0"), "rejected", "total_above_limit"),
        ("order", order("0d0"), "flagged", "customer_missing"),
        ("order", order("0e0"), "flagged", "created_at_assumed"),
        ("order", order("100"), "flagged", "notes_truncated"),
        ("order", order("110"), "flagged", "lines_refused"),
        ("order", order("120"), "flagged", "created_at_assumed"),
        ("order", order("130"), "repaired", "customer_merged"),
        ("order", order("140"), "rejected", "no_importable_lines"),
        ("order_item", line("015", "01"), "rejected", "order_missing"),
        (
            "order_item",
            line("080", "ff"),
            "rejected",
            "product_deleted,order_refused",
        ),
        (
            "order_item",
            line("090", "ff"),
            "rejected",
            "product_deleted",
        ),
        (
            "order_item",
            line("0a0", "01"),
            "rejected",
            "quantity_not_positive",
        ),
        (
            "order_item",
            line("0b0", "01"),
            "rejected",
            "quantity_above_limit",
        ),
        ("order_item", line("0c0", "0e"), "rejected", "order_refused"),
        (
            "order_item",
            line("110", "05"),
            "rejected",
            "product_refused",
        ),
        ("order_item", line("9ff", "01"), "rejected", "order_missing"),
        (
            "payment",
            p("02"),
            "flagged",
            "status_normalized,amount_rounded,confirmed_at_assumed",
        ),
        ("payment", p("08"), "rejected", "order_refused"),
        ("payment", p("f2"), "rejected", "second_approval"),
        (
            "payment",
            p("f3"),
            "flagged",
            "pending_expired,amount_from_order_total",
        ),
        ("payment", p("f4"), "rejected", "payment_status_unknown"),
        ("payment", p("f5"), "rejected", "amount_negative"),
        (
            "payment",
            p("f6"),
            "flagged",
            "confirmed_at_dropped,provider_id_duplicate",
        ),
        (
            "payment",
            p("f7"),
            "flagged",
            "external_reference_mismatch,blank_text_nulled",
        ),
        ("payment", p("f8"), "rejected", "amount_not_finite"),
        (
            "payment",
            p("f9"),
            "rejected",
            "amount_above_limit,created_at_assumed",
        ),
        ("payment", p("ee"), "rejected", "order_missing"),
        (
            "queue_entry",
            order("020"),
            "superseded",
            "queue_status_differs",
        ),
        (
            "queue_entry",
            order("070"),
            "superseded",
            "queue_status_differs",
        ),
        ("queue_entry", order("080"), "rejected", "order_refused"),
        ("queue_entry", order("085"), "rejected", "order_missing"),
    ];
    rows.into_iter()
        .map(|(entity, key, outcome, rules)| {
            (entity.to_owned(), key, outcome.to_owned(), rules.to_owned())
        })
        .collect()
}

#[test]
fn every_dirty_row_gets_its_stated_rule_and_nothing_else_is_listed() {
    let imported = import_dirty_fixture();
    let listed = listed(&imported.report);
    let expected = expected_listed_rows();
    let missing: Vec<_> = expected.difference(&listed).collect();
    let unexpected: Vec<_> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "expected but not listed: {missing:#?}\nlisted but not expected: {unexpected:#?}"
    );
}

#[test]
fn the_rejects_report_gives_each_refused_row_its_reason() {
    let imported = import_dirty_fixture();
    let rejects = imported.report["rejects"].as_array().expect("rejects");
    assert_eq!(rejects.len(), 27);
    for reject in rejects {
        assert_eq!(reject["outcome"], "rejected", "{reject}");
        for code in reject["rules"].as_array().expect("rules") {
            let reason = imported.report["rules"][code.as_str().expect("code")]
                .as_str()
                .unwrap_or_default();
            assert!(reason.len() > 20, "{code} has its sentence: {reason:?}");
        }
    }
    let second_approval = rejects
        .iter()
        .find(|reject| reject["v1_key"] == "ba000000-0000-4000-8000-0000000000f2")
        .expect("the second approval is refused");
    assert_eq!(
        imported.report["rules"]["second_approval"],
        "A second approved payment of one order (by confirmation time): refused; check it for a refund."
    );
    assert_eq!(second_approval["entity"], "payment");
    let unknown_status = rejects
        .iter()
        .find(|reject| reject["v1_key"] == "ba000000-0000-4000-8000-0000000000f4")
        .expect("the unknown payment status is refused");
    assert_eq!(
        unknown_status["details"],
        serde_json::json!(["v1 status \"estornado\""])
    );
}

#[test]
fn the_report_accounts_for_every_v1_row_of_every_table() {
    let imported = import_dirty_fixture();
    let mut v1 = imported.v1.connect().expect("v1 connection");
    let expected = expected_listed_rows();
    for (table, entity) in [
        ("tb_categorias", "category"),
        ("tb_produtos", "product"),
        ("tb_clientes", "customer"),
        ("tb_pedidos", "order"),
        ("tb_itens_pedido", "order_item"),
        ("tb_pagamentos", "payment"),
        ("tb_fila_pedidos", "queue_entry"),
    ] {
        let rows: u64 = text(
            &mut v1,
            &format!("SELECT count(*)::text AS value FROM {table}"),
        )
        .parse()
        .expect("count");
        let counted = counters(&imported.report, table);
        assert_eq!(counted["v1_rows"], rows, "{table}");
        let outcomes: u64 = [
            "clean",
            "repaired",
            "flagged",
            "merged",
            "superseded",
            "rejected",
        ]
        .iter()
        .map(|outcome| counted[*outcome])
        .sum();
        assert_eq!(outcomes, rows, "{table}: {counted:?}");
        let listed = expected.iter().filter(|row| row.0 == entity).count() as u64;
        let unlisted = if matches!(entity, "category" | "queue_entry") {
            counted["superseded"]
                - expected
                    .iter()
                    .filter(|row| row.0 == entity && row.2 == "superseded")
                    .count() as u64
        } else {
            counted["clean"]
        };
        assert_eq!(
            listed + unlisted,
            rows,
            "{table}: every unlisted row is clean"
        );
    }
}

#[test]
fn imported_catalog_rows_hold_the_repaired_values() {
    let imported = import_dirty_fixture();
    let mut postech = imported.postech.connect().expect("postech connection");
    assert_eq!(
        texts(
            &mut postech,
            "SELECT format('%s|%s|%s|%s|%s|%s|%s', right(id::text, 2), category_id, \
                    left(name, 20), description, price, coalesce(image_url, '-'), \
                    stock_available || ' ' || active) AS value \
               FROM products ORDER BY id"
        ),
        [
            "01|fcab78d9-c377-41f4-bf34-03d1a8bdbd89|X-Burger|Pão, carne e queijo.|15.90|-|100 true",
            "02|e8b1d3d4-738b-4207-9b2b-2c087858d7a7|Batata frita|Porção média de batata.|9.90|-|50 true",
            "03|6b2e43a7-8764-48ec-8f7a-65134c8c1b9e|Refrigerante|Refrigerante — Lata|0.30|https://img.example/refri.png|0 true",
            "04|6b2e43a7-8764-48ec-8f7a-65134c8c1b9e|Suco|Suco natural de laranja.|4.50|-|10000 true",
            "0a|d290f1ee-6c54-4b01-90e6-d701748f0851|Sorvete|Sorvete de creme, duas bolas.|8.50|-|10 true",
            "0b|d290f1ee-6c54-4b01-90e6-d701748f0851|Milkshake|Milkshake de chocolate.|2.68|-|10 false",
            "0c|fcab78d9-c377-41f4-bf34-03d1a8bdbd89|Lanche gigante aaaaa|Um lanche muito grande.|20.00|-|10 true",
            "0e|fcab78d9-c377-41f4-bf34-03d1a8bdbd89|Combo família|Quatro lanches, batatas e bebidas.|999.99|-|10 true",
        ]
    );
    assert_eq!(
        text(
            &mut postech,
            "SELECT char_length(name)::text AS value FROM products \
              WHERE id = 'a0000000-0000-4000-8000-00000000000c'"
        ),
        "100"
    );
    assert_eq!(
        texts(
            &mut postech,
            "SELECT name AS value FROM categories ORDER BY name"
        ),
        ["Acompanhamento", "Bebida", "Lanche", "Sobremesa"],
        "categories stay the four seeded ones"
    );
}

#[test]
fn imported_customers_hold_normalised_cpfs_and_emails_and_merges_keep_one_row() {
    let imported = import_dirty_fixture();
    let mut postech = imported.postech.connect().expect("postech connection");
    assert_eq!(
        texts(
            &mut postech,
            "SELECT format('%s|%s|%s|%s|%s', right(id::text, 2), coalesce(name, '-'), \
                    coalesce(email, '-'), coalesce(cpf, '-'), coalesce(cognito_username, '-')) \
                    AS value \
               FROM customers ORDER BY id"
        ),
        [
            "01|Helena (postech)|-|45317828791|45317828791",
            "02|Outro João|joao@example.com|-|-",
            "01|Ana Souza|ana@example.com|52998224725|52998224725",
            "02|Bruno|-|12345678909|12345678909",
            "03|Carla|carla@example.com|-|-",
            "05|Duda|-|-|-",
            "06|Eva|-|11144477735|11144477735",
            "07|-|-|-|-",
            "08|Gabi|gabi@example.com|01234567890|01234567890",
            "09|-|-|-|-",
            "0b|Ivo|-|-|-",
            "0c|João|-|24681357928|24681357928",
        ]
    );
}

#[test]
fn customers_with_a_valid_cpf_are_registered_in_cognito_through_the_sdk() {
    let imported = import_dirty_fixture();
    let users = imported.pool.users();
    let summary: Vec<String> = users
        .iter()
        .map(|(username, attributes)| {
            format!(
                "{username} {} {} {}",
                attributes
                    .get("custom:customer_id")
                    .map_or("-", String::as_str),
                attributes.get("name").map_or("-", String::as_str),
                attributes.get("email").map_or("-", String::as_str),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "01234567890 c0000000-0000-4000-8000-000000000008 Gabi gabi@example.com",
            "11144477735 c0000000-0000-4000-8000-000000000006 Eva -",
            "12345678909 c0000000-0000-4000-8000-000000000002 Bruno -",
            "24681357928 c0000000-0000-4000-8000-00000000000c João -",
            "52998224725 c0000000-0000-4000-8000-000000000001 Ana Souza ana@example.com",
        ]
    );
    assert_eq!(imported.report["cognito"]["registered"], 5);
}

#[test]
fn imported_orders_take_their_stated_status_customer_total_and_time() {
    let imported = import_dirty_fixture();
    let mut postech = imported.postech.connect().expect("postech connection");
    let snapshot_order = order("120");
    assert_eq!(
        texts(
            &mut postech,
            &format!(
                "SELECT format('%s|%s|%s|%s|%s|%s|%s', right(id::text, 3), \
                        coalesce(right(customer_id::text, 2), '-'), status, total, \
                        coalesce(char_length(notes)::text, '-'), \
                        CASE WHEN id = '{snapshot_order}' THEN 'snapshot' \
                             ELSE to_char(created_at AT TIME ZONE 'UTC', 'MM-DD HH24:MI') END, \
                        imported_from_v1::text) AS value \
                   FROM orders ORDER BY id"
            )
        ),
        [
            "010|01|finished|41.70|10|05-01 12:01|true",
            "020|01|ready|0.90|-|05-01 12:02|true",
            "030|-|cancelled|15.90|-|05-01 12:03|true",
            "040|02|cancelled|15.90|-|05-01 12:04|true",
            "050|03|paid|9.00|-|05-01 12:05|true",
            "060|07|cancelled|15.90|-|05-01 12:06|true",
            "070|-|in_preparation|5.36|-|05-01 12:07|true",
            "090|01|finished|15.90|-|05-01 12:09|true",
            "0a0|-|finished|9.90|-|05-01 12:10|true",
            "0b0|-|finished|9.90|-|05-01 12:11|true",
            "0d0|-|finished|15.90|-|05-01 12:13|true",
            "0e0|-|finished|15.90|-|05-02 10:00|true",
            "0f0|-|paid|15.90|-|05-01 12:15|true",
            "100|-|finished|15.90|500|05-01 12:16|true",
            "110|-|finished|15.90|-|05-01 12:17|true",
            "120|-|ready|8.50|-|snapshot|true",
            "130|01|cancelled|15.90|-|05-01 12:19|true",
            "150|0c|finished|20.00|-|05-01 12:21|true",
        ]
    );
    assert_eq!(
        text(
            &mut postech,
            &format!(
                "SELECT (customer_id = '{PILOT_HELENA}')::text AS value FROM orders \
                  WHERE id = '{}'",
                order("130")
            )
        ),
        "true",
        "the order of a customer merged into a postech customer follows them"
    );
    assert_eq!(
        text(
            &mut postech,
            &format!(
                "SELECT (created_at BETWEEN now() - interval '10 minutes' AND now())::text AS value \
                   FROM orders WHERE id = '{snapshot_order}'"
            )
        ),
        "true",
        "an order without any time takes the v1 snapshot's"
    );
}

#[test]
fn imported_lines_snapshot_the_price_at_import_time_in_their_order() {
    let imported = import_dirty_fixture();
    let mut postech = imported.postech.connect().expect("postech connection");
    assert_eq!(
        texts(
            &mut postech,
            &format!(
                "SELECT format('%s %s %s %s %s %s', right(order_id::text, 3), \
                        right(product_id::text, 2), position, left(product_name, 14), \
                        unit_price, quantity) AS value \
                   FROM order_items WHERE order_id IN ('{}', '{}', '{}') \
                  ORDER BY order_id, position",
                order("010"),
                order("070"),
                order("0a0")
            )
        ),
        [
            "010 01 1 X-Burger 15.90 2",
            "010 02 2 Batata frita 9.90 1",
            "070 0b 1 Milkshake 2.68 2",
            "0a0 02 1 Batata frita 9.90 1",
        ]
    );
    assert_eq!(
        text(
            &mut postech,
            "SELECT count(*)::text AS value FROM order_items"
        ),
        "19"
    );
}

#[test]
fn imported_payments_keep_one_approval_and_no_pending_charge() {
    let imported = import_dirty_fixture();
    let mut postech = imported.postech.connect().expect("postech connection");
    assert_eq!(
        texts(
            &mut postech,
            "SELECT format('%s %s %s %s %s %s %s', right(id::text, 2), provider, \
                    coalesce(provider_payment_id, '-'), coalesce(provider_reference, '-'), status, \
                    amount, (confirmed_at IS NOT NULL)::text) AS value \
               FROM payments ORDER BY id"
        ),
        [
            "01 v1 mp-1 qr-1 approved 41.70 true",
            "02 v1 mp-2 qr-2 approved 0.90 true",
            "05 v1 mp-5 qr-5 approved 9.00 true",
            "0e v1 mp-e qr-e approved 15.90 true",
            "f1 v1 mp-f1 qr-f1 approved 15.90 true",
            "f3 v1 - qr-f3 expired 15.90 false",
            "f6 v1 - qr-f6 rejected 15.90 false",
            "f7 v1 - - cancelled 15.90 false",
        ]
    );
}

#[test]
fn imported_orders_get_the_shortest_legal_status_history() {
    let imported = import_dirty_fixture();
    let mut postech = imported.postech.connect().expect("postech connection");
    let history = |order_id: String, postech: &mut diesel::PgConnection| {
        texts(
            postech,
            &format!(
                "SELECT format('%s>%s %s %s', coalesce(from_status, ''), to_status, actor, \
                        (changed_at = (SELECT created_at FROM orders WHERE id = '{order_id}'))::text) \
                        AS value \
                   FROM order_status_history WHERE order_id = '{order_id}' ORDER BY id"
            ),
        )
    };
    assert_eq!(
        history(order("010"), &mut postech),
        [
            ">received v1-import true",
            "received>paid v1-import true",
            "paid>in_preparation v1-import true",
            "in_preparation>ready v1-import true",
            "ready>finished v1-import true",
        ]
    );
    assert_eq!(
        history(order("040"), &mut postech),
        [
            ">received v1-import true",
            "received>cancelled v1-import true"
        ]
    );
}

#[test]
fn refused_and_flagged_rows_are_noted_in_the_database_without_personal_data() {
    let imported = import_dirty_fixture();
    let mut postech = imported.postech.connect().expect("postech connection");
    let notes: u64 = text(
        &mut postech,
        "SELECT count(*)::text AS value FROM v1_import_notes",
    )
    .parse()
    .expect("count");
    assert_eq!(notes, expected_listed_rows().len() as u64);
    assert_eq!(
        text(
            &mut postech,
            "SELECT count(*)::text AS value FROM v1_import_notes \
              WHERE detail ~ '(52998224725|529\\.982|291\\.417|123\\.456|Carla|Ana Souza|@)'"
        ),
        "0",
        "notes name rows by their v1 key only"
    );
    assert_eq!(
        text(
            &mut postech,
            "SELECT postech_id::text AS value FROM v1_import_notes \
              WHERE entity = 'customer' AND v1_key = 'c0000000-0000-4000-8000-000000000004'"
        ),
        "c0000000-0000-4000-8000-000000000001"
    );
}

#[test]
fn the_other_alembic_head_imports_too() {
    let v1 = v1_database(SCHEMA_OTHER_HEAD);
    let mut connection = v1.connect().expect("v1 connection");
    // The other head forbids NULL customers and statuses; everything else is as dirty.
    let rows: String = crate::fixture::DIRTY_ROWS
        .lines()
        .filter(|line| !line.contains("NULL, NULL, '2026-05-01 12:03:00'"))
        .map(|line| {
            if line.trim_start().starts_with("('0d") {
                line.replacen(
                    "', NULL, '",
                    "', 'c0000000-0000-4000-8000-000000000007', '",
                    1,
                )
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    connection.batch_execute(&rows).expect("dirty rows");
    let postech = TestDatabase::create_migrated().expect("postech database");
    let pool = Pool::new();
    let report = import_ok(&v1, &postech, Some(&pool), &[]);
    assert_eq!(report["v1_revisions"], serde_json::json!(["e6cb164e3c94"]));
    let orders = counters(&report, "tb_pedidos");
    assert_eq!(orders["v1_rows"], 20);
    assert_eq!(orders["rejected"], 3);
    assert_eq!(orders["written"], 17);
}

#[test]
fn an_unknown_alembic_revision_is_refused_and_nothing_is_written() {
    let v1 = dirty_v1();
    let mut connection = v1.connect().expect("v1 connection");
    connection
        .batch_execute("UPDATE alembic_version SET version_num = 'abc123def456'")
        .expect("revision changed");
    let postech = TestDatabase::create_migrated().expect("postech database");
    let mut postech_connection = postech.connect().expect("postech connection");
    let before = fingerprint(&mut postech_connection);
    let pool = Pool::new();
    let (code, stdout, stderr) = import(&v1, &postech, Some(&pool), &[]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("unsupported v1 schema revision abc123def456"),
        "{stderr}"
    );
    assert_eq!(fingerprint(&mut postech_connection), before);
    assert!(pool.users().is_empty());
}
