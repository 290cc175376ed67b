//! A generated, dirty v1 database of many orders imported and verified. The root test
//! command runs 10,000 orders; `POSTECH_V1_VOLUME_ORDERS` sets another size, and
//! `scripts/v1-import-volume.sh` measures the full 100,000 (time and peak memory).

use std::time::Instant;

use postech_database::test_support::TestDatabase;

use crate::common::text;
use crate::fixture::{Pool, counters, generated_v1, import_ok};

const DEFAULT_ORDERS: u32 = 10_000;

#[test]
fn a_volume_import_accounts_for_every_row_and_verifies() {
    let orders = std::env::var("POSTECH_V1_VOLUME_ORDERS")
        .ok()
        .map(|value| value.parse().expect("POSTECH_V1_VOLUME_ORDERS is a number"))
        .unwrap_or(DEFAULT_ORDERS);
    let v1 = generated_v1(orders, orders / 10);
    let postech = TestDatabase::create_migrated().expect("postech database");
    let pool = Pool::new();

    let started = Instant::now();
    let report = import_ok(
        &v1,
        &postech,
        Some(&pool),
        &["--cognito-rate", "1000", "--cognito-concurrency", "16"],
    );
    eprintln!(
        "imported {orders} generated orders in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let mut v1_connection = v1.connect().expect("v1 connection");
    for table in [
        "tb_categorias",
        "tb_produtos",
        "tb_clientes",
        "tb_pedidos",
        "tb_itens_pedido",
        "tb_pagamentos",
        "tb_fila_pedidos",
    ] {
        let rows: u64 = text(
            &mut v1_connection,
            &format!("SELECT count(*)::text AS value FROM {table}"),
        )
        .parse()
        .expect("count");
        let counted = counters(&report, table);
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
        assert_eq!((counted["v1_rows"], outcomes), (rows, rows), "{table}");
    }
    let orders_counted = counters(&report, "tb_pedidos");
    assert_eq!(
        orders_counted["written"],
        orders_counted["clean"] + orders_counted["repaired"] + orders_counted["flagged"]
    );
    assert!(orders_counted["rejected"] > 0 && orders_counted["flagged"] > 0);

    let verified = import_ok(&v1, &postech, None, &["--verify"]);
    assert_eq!(verified["verification"]["consistent"], true, "{verified:#}");
}
