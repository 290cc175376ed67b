//! Checkouts racing for the same stock rows.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::BehindTheApi;
use crate::helpers::{BURGERS, SIDES, TestApp, checkout_body};

#[tokio::test]
async fn fifty_checkouts_racing_for_the_last_ten_units_sell_exactly_ten() {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let body = checkout_body(&[(&burger, 1)]);
    let requests = (0..50).map(|_| app.post_json("/v1/api/pedidos", &body));
    let responses = futures_util::future::join_all(requests).await;
    let mut created = 0;
    let mut refused = 0;
    for response in responses {
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => refused += 1,
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!((created, refused), (10, 40));
    assert_eq!(app.admin_product(&burger).await["estoque_disponivel"], 0);
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM orders"),
        10
    );
}

#[tokio::test]
async fn fifty_checkouts_naming_two_products_in_opposite_orders_all_succeed() {
    let app = TestApp::spawn().await;
    let burger = app
        .create_product("X-Burguer", "15.90", BURGERS, 1000)
        .await;
    let fries = app
        .create_product("Batata Frita", "9.90", SIDES, 1000)
        .await;
    let forwards = checkout_body(&[(&burger, 1), (&fries, 1)]);
    let backwards = checkout_body(&[(&fries, 1), (&burger, 1)]);
    let requests = (0..50).map(|index| {
        let body = if index % 2 == 0 {
            &forwards
        } else {
            &backwards
        };
        app.post_json("/v1/api/pedidos", body)
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut numbers = std::collections::BTreeSet::new();
    for response in responses {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        numbers.insert(body["numero"].as_i64().unwrap());
    }
    assert_eq!(numbers.len(), 50, "every order has its own display number");
    assert_eq!(app.admin_product(&burger).await["estoque_disponivel"], 950);
    assert_eq!(app.admin_product(&fries).await["estoque_disponivel"], 950);
}

/// Every path of the app locks stock rows in id order, but a foreign transaction (an
/// operator's script, a migration) need not: when PostgreSQL breaks a deadlock by aborting
/// the checkout, the checkout runs again instead of answering 500.
#[tokio::test]
async fn a_checkout_aborted_to_break_a_deadlock_is_retried() {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }

    let app = TestApp::spawn().await;
    let mut products = [
        app.create_product("X-Burguer", "15.90", BURGERS, 10).await,
        app.create_product("Batata Frita", "9.90", SIDES, 10).await,
    ];
    // PostgreSQL orders uuids as their bytes, which is the order of their lower-case text.
    products.sort();
    let [lower, higher] = products;

    let mut foreign = app.database.connect().unwrap();
    let (locked, higher_is_locked) = tokio::sync::oneshot::channel();
    let (lower_id, higher_id) = (lower.clone(), higher.clone());
    let foreign = tokio::task::spawn_blocking(move || {
        foreign
            .batch_execute(&format!(
                "BEGIN; SELECT 1 FROM products WHERE id = '{higher_id}' FOR UPDATE"
            ))
            .unwrap();
        locked.send(()).unwrap();
        // Until the checkout holds the lower row and waits for the higher one.
        let waiting = |connection: &mut diesel::PgConnection| {
            diesel::sql_query(
                "SELECT count(*) AS count FROM pg_stat_activity \
                  WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .get_result::<Count>(connection)
            .unwrap()
            .count
        };
        let until_the_checkout_waits = |connection: &mut diesel::PgConnection| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while waiting(connection) == 0 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the checkout never waited"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        };
        until_the_checkout_waits(&mut foreign);
        // Closes the cycle. The checkout waited first, so its deadlock check runs first and
        // PostgreSQL aborts it; this statement then gets the lower row.
        foreign
            .batch_execute(&format!(
                "SELECT 1 FROM products WHERE id = '{lower_id}' FOR UPDATE"
            ))
            .unwrap();
        // The witness that the checkout's retry came: it waits for the rows held here.
        until_the_checkout_waits(&mut foreign);
        foreign.batch_execute("COMMIT").unwrap();
    });
    higher_is_locked.await.unwrap();

    let response = app.checkout(&[(&lower, 1), (&higher, 1)]).await;
    foreign.await.unwrap();
    let status = response.status();
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM orders"),
        1
    );
    assert_eq!(app.admin_product(&lower).await["estoque_disponivel"], 9);
    // The retry is counted by its reason: the alert on deadlocks reads this series.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    // At least once: the retry can meet the foreign transaction's locks again before it
    // commits (the checkout's write retries at once, with no BEGIN in between).
    let retries: f64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix(r#"checkout_retries_total{reason="deadlock"} "#))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(retries >= 1.0, "{metrics}");
    assert!(
        metrics.contains(r#"checkout_aborted_total{reason="deadlock"} 0"#),
        "{metrics}"
    );
}
