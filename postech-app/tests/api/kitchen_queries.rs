//! Statements per request, counted at the connection (diesel's instrumentation), so the count
//! cannot come from anywhere but the code under test. v1 defect: the kitchen list loaded every
//! order with N+1 queries; here it is exactly one, for one order as for forty and for a page
//! (the contract: "one query, no per-order round trips"). The checkout: exactly two, and the
//! stock rows are locked inside one of them only (docs/performance.md has the before/after).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::InstrumentationEvent;
use diesel_async::AsyncConnection;
use futures_util::FutureExt;
use postech_app::adapters::order_metrics::OrderMetrics;
use postech_app::adapters::postgres::orders::KitchenPage;
use postech_app::adapters::postgres::{
    EstablishConnection, PgConnector, PgPool, connection_pool, customers, orders, products,
};
use postech_app::application::checkout::{NewOrder, PlaceOutcome, price_order};
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::catalog::{Category, Product};
use postech_shared_sdk::customer::Customer;
use postech_shared_sdk::ids::{CustomerId, OrderId, ProductId};
use postech_shared_sdk::money::Money;
use postech_shared_sdk::order::{OrderStatus, ValidatedLine};

use crate::helpers::fresh_database;

/// The text of every statement a pool's connections sent, in order.
type Statements = Arc<Mutex<Vec<String>>>;

/// A pool of one connection that records every statement it sends.
fn recording_pool(database: &TestDatabase, statements: &Statements) -> PgPool {
    let url = database.url().to_owned();
    let statements = Arc::clone(statements);
    let establish: EstablishConnection = Box::new(move |_| {
        let url = url.clone();
        let statements = Arc::clone(&statements);
        async move {
            let mut connection = PgConnector::new(Default::default()).connect(&url).await?;
            connection.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::StartQuery { query, .. } = event {
                    statements.lock().unwrap().push(query.to_string());
                }
            });
            Ok(connection)
        }
        .boxed()
    });
    connection_pool(1, Duration::from_secs(10), establish).unwrap()
}

fn sent(statements: &Statements) -> usize {
    statements.lock().unwrap().len()
}

/// Statements sent while loading a page of the kitchen queue, and how many orders it had.
async fn kitchen_queue_statements(
    pool: &PgPool,
    statements: &Statements,
    page: KitchenPage,
) -> (usize, usize) {
    let before = sent(statements);
    let queue = orders::kitchen_queue(pool, page).await.unwrap();
    (sent(statements) - before, queue.len())
}

fn product(name: &str) -> Product {
    Product {
        id: ProductId::new_random(),
        name: name.to_owned(),
        description: "Descrição de teste do produto".to_owned(),
        price: Money::from_cents(1590),
        category: Category::Burger,
        image_url: None,
        stock_available: 10_000,
        active: true,
    }
}

/// An order of both products, owned by `customer`, moved along the kitchen's path to
/// `status` (`Recebido`, `Pago` or `Em preparação`).
async fn order(pool: &PgPool, menu: &[Product], customer: CustomerId, status: OrderStatus) {
    let new_order = NewOrder {
        id: OrderId::new_random(),
        customer_id: Some(customer),
        lines: menu
            .iter()
            .map(|product| ValidatedLine {
                product_id: product.id,
                quantity: 1,
            })
            .collect(),
        notes: None,
        idempotency: None,
        actor: "kiosk".to_owned(),
    };
    let metrics = OrderMetrics::register(&prometheus::Registry::new()).unwrap();
    let PlaceOutcome::Placed(_) = orders::place(pool, &new_order, &price_order, &metrics)
        .await
        .unwrap()
    else {
        panic!("placed");
    };
    let path = [
        OrderStatus::Received,
        OrderStatus::Paid,
        OrderStatus::InPreparation,
    ];
    for step in path.windows(2).take_while(|step| step[0] != status) {
        orders::transition(pool, new_order.id, step[0], step[1], "admin:test")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn v1_defect_the_kitchen_list_is_one_statement_for_one_order_as_for_forty_and_for_a_page() {
    let database = fresh_database().await;
    let statements = Statements::default();
    let pool = recording_pool(&database, &statements);
    let menu = [product("X-Burguer"), product("Batata Frita")];
    for item in &menu {
        products::insert(&pool, item).await.unwrap();
    }
    let customer = Customer {
        id: CustomerId::new_random(),
        name: Some("Ana".to_owned()),
        email: None,
        cpf: None,
    };
    customers::insert(&pool, &customer).await.unwrap();

    // Every part of a kitchen entry is there from the first order on: items, the owner's
    // name, and (once it is paid) a payment status.
    order(&pool, &menu, customer.id, OrderStatus::Received).await;
    let (for_one, listed) =
        kitchen_queue_statements(&pool, &statements, KitchenPage::default()).await;
    assert_eq!(listed, 1);

    for position in 0..39 {
        let status = [
            OrderStatus::Received,
            OrderStatus::Paid,
            OrderStatus::InPreparation,
        ][position % 3];
        order(&pool, &menu, customer.id, status).await;
    }
    let (for_forty, listed) =
        kitchen_queue_statements(&pool, &statements, KitchenPage::default()).await;
    assert_eq!(listed, 40);
    let second_page = KitchenPage {
        limit: Some(15),
        offset: 15,
    };
    let (for_a_page, listed) = kitchen_queue_statements(&pool, &statements, second_page).await;
    assert_eq!(listed, 15);
    assert_eq!(for_one, 1, "statements sent for one order");
    assert_eq!(for_forty, 1, "statements sent for forty orders");
    assert_eq!(for_a_page, 1, "statements sent for a page of fifteen");
}

#[tokio::test]
async fn a_checkout_is_one_read_then_one_statement_that_locks_checks_and_writes() {
    let database = fresh_database().await;
    let statements = Statements::default();
    let pool = recording_pool(&database, &statements);
    let menu = [product("X-Burguer"), product("Batata Frita")];
    for item in &menu {
        products::insert(&pool, item).await.unwrap();
    }
    let customer = Customer {
        id: CustomerId::new_random(),
        name: Some("Ana".to_owned()),
        email: None,
        cpf: None,
    };
    customers::insert(&pool, &customer).await.unwrap();
    // The first checkout on the connection prepares the statements; the second reuses them.
    order(&pool, &menu, customer.id, OrderStatus::Received).await;
    let before = sent(&statements);
    order(&pool, &menu, customer.id, OrderStatus::Received).await;

    let checkout: Vec<String> = statements.lock().unwrap()[before..].to_vec();
    let kinds: Vec<&str> = checkout
        .iter()
        .map(|sql| sql.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["SELECT", "WITH"], "statements sent: {checkout:#?}");
    assert!(
        !checkout[0].contains("FOR UPDATE"),
        "the read locks nothing"
    );
    assert!(
        checkout[1].contains("FOR UPDATE"),
        "the write locks the stock rows itself"
    );
    let stored = database_count(&database, "SELECT count(*) AS count FROM orders");
    assert_eq!(stored, 2);
}

fn database_count(database: &TestDatabase, query: &str) -> i64 {
    use crate::common::BehindTheApi;
    database.sql_count(query)
}
