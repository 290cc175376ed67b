//! The expiry sweep and the checkout lock the same stock rows. The checkout locks its
//! products in id order; if the sweep, expiring several orders, took their products' locks in
//! any other order (order after order, each in id order, is not globally in id order), a
//! checkout naming those products would deadlock with it, and PostgreSQL would abort one of
//! them — the checkout answering 500.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::BehindTheApi;
use crate::harness::{PaymentApp, Setup, eventually};

/// Orders expired per round, alternating between the two products.
const ORDERS_PER_ROUND: usize = 30;
const ROUNDS: usize = 3;
const CHECKOUT_CLIENTS: usize = 6;

#[tokio::test]
async fn expiring_orders_of_interleaved_products_never_deadlocks_a_checkout() {
    let app = PaymentApp::start(Setup {
        // Nothing falls due by itself: each round makes its charges due at once.
        expiry: Duration::from_secs(3600),
        sweep_interval: Duration::from_millis(100),
        ..Setup::default()
    })
    .await;
    let mut products = [
        app.product("10.00", 10_000).await,
        app.product("10.00", 10_000).await,
    ];
    // PostgreSQL orders uuids as their bytes, which is the order of their lower-case text.
    products.sort();
    let [lower, higher] = products;

    let stop = tokio::time::Instant::now() + Duration::from_secs(600);
    let (done_sender, done) = tokio::sync::watch::channel(false);
    let clients: Vec<_> = (0..CHECKOUT_CLIENTS)
        .map(|client| {
            let http = app.client.clone();
            let url = app.url("/v1/api/pedidos/");
            // Both orders of naming them: the checkout sorts its locks either way.
            let items = if client % 2 == 0 {
                json!([{"produto_id": lower, "quantidade": 1}, {"produto_id": higher, "quantidade": 1}])
            } else {
                json!([{"produto_id": higher, "quantidade": 1}, {"produto_id": lower, "quantidade": 1}])
            };
            let done = done.clone();
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while !*done.borrow() && tokio::time::Instant::now() < stop {
                    let response = http
                        .post(&url)
                        .json(&json!({"itens": items}))
                        .send()
                        .await
                        .expect("request");
                    statuses.push(response.status());
                }
                statuses
            })
        })
        .collect();

    let mut stuck_rounds = Vec::new();
    for round in 0..ROUNDS {
        let mut orders = Vec::new();
        for position in 0..ORDERS_PER_ROUND {
            let product = if position % 2 == 0 { &higher } else { &lower };
            orders.push(
                app.order(product, 1).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let ids = orders
            .iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(",");
        // A pending charge per order (behind the API: no provider involved), all falling due
        // together, in the order the orders were placed — higher, lower, higher, ...
        app.database.sql_execute(&format!(
            "INSERT INTO payments (order_id, provider, status, amount, expires_at) \
             SELECT id, 'mercadopago', 'pending', total, now() - interval '1 hour' \
                    + number * interval '1 millisecond' \
               FROM orders WHERE id IN ({ids})"
        ));
        let expired = eventually(Duration::from_secs(15), || async {
            app.database.sql_count(&format!(
                "SELECT count(*) AS count FROM orders WHERE id IN ({ids}) AND status = 'cancelled'"
            )) == i64::try_from(ORDERS_PER_ROUND).unwrap()
        })
        .await;
        if !expired {
            stuck_rounds.push(round);
        }
    }
    done_sender.send(true).unwrap();
    // PostgreSQL's own count of the deadlocks it broke in this test's database. A fixed wait,
    // kept on purpose: it waits out the statistics flush (a backend reports at most once a
    // second), and the absence of a deadlock has no witness that could end it sooner.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let deadlocks = app.database.sql_count(
        "SELECT deadlocks AS count FROM pg_stat_database WHERE datname = current_database()",
    );

    let mut statuses = Vec::new();
    for client in clients {
        statuses.extend(client.await.unwrap());
    }
    let failures: Vec<_> = statuses
        .iter()
        .filter(|status| status.is_server_error())
        .collect();
    assert!(
        failures.is_empty() && stuck_rounds.is_empty() && deadlocks == 0,
        "{} of {} checkouts failed during the sweeps ({failures:?}); rounds never fully \
         expired: {stuck_rounds:?}; deadlocks broken by PostgreSQL: {deadlocks}",
        failures.len(),
        statuses.len()
    );
    assert!(
        statuses.contains(&StatusCode::CREATED),
        "checkouts ran meanwhile"
    );
}
