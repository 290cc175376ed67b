//! Every query the PostgreSQL adapters send, run directly against a freshly migrated
//! database: the app's side of the schema contract (the schema crate's own test checks that
//! its `schema.rs` matches the migrations).

use std::time::Duration;

use postech_app::adapters::order_metrics::OrderMetrics;
use postech_app::adapters::postgres::customers::PendingInsert;
use postech_app::adapters::postgres::orders::KitchenPage;
use postech_app::adapters::postgres::seed::{SAMPLE_MENU, seed_sample_menu};
use postech_app::adapters::postgres::{PgPool, customers, orders, ping, products};
use postech_app::application::checkout::{NewOrder, PlaceOutcome, price_order};
use postech_app::application::error::PortError;
use postech_app::application::orders::TransitionOutcome;
use postech_app::configuration::DatabaseSettings;
use postech_app::startup::database_pool;
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::catalog::{Category, Product};
use postech_shared_sdk::cpf::Cpf;
use postech_shared_sdk::customer::Customer;
use postech_shared_sdk::ids::{CustomerId, OrderId, ProductId};
use postech_shared_sdk::money::Money;
use postech_shared_sdk::order::{OrderStatus, ValidatedLine};
use postech_shared_sdk::secrets::{AppDatabaseSecret, CachedSecret};

use crate::helpers::fresh_database;

async fn pool() -> (TestDatabase, PgPool) {
    let database = fresh_database().await;
    let pool = database_pool(&DatabaseSettings {
        connection: CachedSecret::fixed(
            AppDatabaseSecret::from_url(database.url(), "test").unwrap(),
        ),
        pool_size: 2,
        acquire_timeout: Duration::from_secs(10),
        tls: Default::default(),
    })
    .unwrap();
    (database, pool)
}

fn product(name: &str, cents: i64, stock: u32) -> Product {
    Product {
        id: ProductId::new_random(),
        name: name.to_owned(),
        description: "Descrição de teste do produto".to_owned(),
        price: Money::from_cents(cents),
        category: Category::Burger,
        image_url: Some("https://example.com/x.png".to_owned()),
        stock_available: stock,
        active: true,
    }
}

#[tokio::test]
async fn product_queries_round_trip_every_column() {
    let (_database, pool) = pool().await;
    let mut burger = product("X-Burguer", 1590, 7);
    products::insert(&pool, &burger).await.unwrap();
    assert_eq!(
        products::find(&pool, burger.id).await.unwrap(),
        Some(burger.clone())
    );
    burger.price = Money::from_cents(99_999);
    burger.category = Category::Dessert;
    assert!(products::update(&pool, &burger).await.unwrap());
    assert_eq!(
        products::list(&pool, Some(Category::Dessert), true)
            .await
            .unwrap(),
        vec![burger.clone()]
    );
    assert!(products::deactivate(&pool, burger.id).await.unwrap());
    assert!(products::list(&pool, None, true).await.unwrap().is_empty());
    assert_eq!(products::list(&pool, None, false).await.unwrap().len(), 1);
    assert!(
        !products::deactivate(&pool, ProductId::new_random())
            .await
            .unwrap()
    );
    ping(&pool).await.unwrap();
}

/// The validation refuses NUL in every free-text field; should a text PostgreSQL cannot
/// store still reach it (SQLSTATE 22021), the error says so — answered 422, not an
/// unexplained 500.
#[tokio::test]
async fn a_text_postgresql_cannot_store_is_reported_as_such() {
    let (_database, pool) = pool().await;
    let outcome = products::insert(&pool, &product("X-\u{0}Burguer", 1590, 7)).await;
    assert!(
        matches!(outcome, Err(PortError::UnstorableText { .. })),
        "{outcome:?}"
    );
    assert!(products::list(&pool, None, false).await.unwrap().is_empty());
}

#[tokio::test]
async fn customer_queries_round_trip_and_a_pending_registration_is_undone_alone() {
    let (_database, pool) = pool().await;
    let customer = Customer {
        id: CustomerId::new_random(),
        name: Some("Ana".to_owned()),
        email: Some("ana@example.com".to_owned()),
        cpf: Some(Cpf::parse("529.982.247-25").unwrap()),
    };
    assert_eq!(
        customers::insert_pending(&pool, &customer, None)
            .await
            .unwrap(),
        PendingInsert::Inserted
    );
    customers::mark_identity_confirmed(&pool, customer.id)
        .await
        .unwrap();
    assert_eq!(
        customers::find_by_id(&pool, customer.id).await.unwrap(),
        Some(customer.clone())
    );
    assert_eq!(
        customers::find_by_cpf(&pool, customer.cpf.as_ref().unwrap())
            .await
            .unwrap(),
        Some(customer.clone())
    );
    // A confirmed registration is not undone; the same CPF again writes nothing.
    assert!(
        !customers::delete_unconfirmed(&pool, customer.id)
            .await
            .unwrap()
    );
    let squatter = Customer {
        id: CustomerId::new_random(),
        name: Some("Outro".to_owned()),
        email: Some("outro@example.com".to_owned()),
        cpf: customer.cpf.clone(),
    };
    assert_eq!(
        customers::insert_pending(&pool, &squatter, None)
            .await
            .unwrap(),
        PendingInsert::AlreadyTaken
    );

    let undone = Customer {
        id: CustomerId::new_random(),
        name: None,
        email: None,
        cpf: Some(Cpf::parse("123.456.789-09").unwrap()),
    };
    customers::insert_pending(&pool, &undone, None)
        .await
        .unwrap();
    assert!(
        customers::delete_unconfirmed(&pool, undone.id)
            .await
            .unwrap()
    );
    assert_eq!(customers::find_by_id(&pool, undone.id).await.unwrap(), None);
    let (page, total) = customers::list(&pool, 10, 0).await.unwrap();
    assert_eq!((page.len(), total), (1, 1));
}

#[tokio::test]
async fn order_queries_place_read_list_and_transition() {
    let (_database, pool) = pool().await;
    let burger = product("X-Burguer", 1590, 5);
    products::insert(&pool, &burger).await.unwrap();
    let new_order = NewOrder {
        id: OrderId::new_random(),
        customer_id: None,
        lines: vec![ValidatedLine {
            product_id: burger.id,
            quantity: 2,
        }],
        notes: Some("sem picles".to_owned()),
        idempotency: None,
        actor: "kiosk".to_owned(),
    };
    let metrics = OrderMetrics::register(&prometheus::Registry::new()).unwrap();
    let placed = match orders::place(&pool, &new_order, &price_order, &metrics)
        .await
        .unwrap()
    {
        PlaceOutcome::Placed(record) => record,
        other => panic!("{other:?}"),
    };
    assert_eq!(placed.order.total().unwrap(), Money::from_cents(3180));
    assert_eq!(
        orders::find(&pool, new_order.id).await.unwrap(),
        Some(placed.clone())
    );
    assert_eq!(
        orders::kitchen_queue(&pool, KitchenPage::default())
            .await
            .unwrap(),
        vec![placed.clone()]
    );
    assert_eq!(
        orders::transition(
            &pool,
            new_order.id,
            OrderStatus::Received,
            OrderStatus::Cancelled,
            "admin:test"
        )
        .await
        .unwrap(),
        TransitionOutcome::Done(Vec::new())
    );
    assert_eq!(
        orders::transition(
            &pool,
            new_order.id,
            OrderStatus::Received,
            OrderStatus::Paid,
            "admin:test"
        )
        .await
        .unwrap(),
        TransitionOutcome::StatusChanged(OrderStatus::Cancelled)
    );
    assert_eq!(
        products::find(&pool, burger.id)
            .await
            .unwrap()
            .unwrap()
            .stock_available,
        5
    );
    let history: Vec<OrderStatus> = orders::history(&pool, new_order.id)
        .await
        .unwrap()
        .into_iter()
        .map(|change| change.status)
        .collect();
    assert_eq!(history, vec![OrderStatus::Received, OrderStatus::Cancelled]);
    assert!(
        orders::kitchen_queue(&pool, KitchenPage::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        orders::list_for_customer(&pool, CustomerId::new_random())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        orders::find_by_idempotency_key(&pool, "none")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn seeding_the_sample_menu_twice_inserts_it_once() {
    let (_database, pool) = pool().await;
    assert_eq!(seed_sample_menu(&pool).await.unwrap(), SAMPLE_MENU.len());
    assert_eq!(seed_sample_menu(&pool).await.unwrap(), 0);
    let menu = products::list(&pool, None, true).await.unwrap();
    let mut prices: Vec<(String, String)> = menu
        .iter()
        .map(|product| (product.name.clone(), product.price.to_string()))
        .collect();
    prices.sort();
    assert_eq!(
        prices,
        [
            ("Batata Frita", "9.90"),
            ("Refrigerante", "6.00"),
            ("Sorvete", "8.00"),
            ("Suco Natural", "7.50"),
            ("X-Burguer", "15.90"),
            ("X-Salada", "16.90")
        ]
        .map(|(name, price)| (name.to_owned(), price.to_owned()))
    );
}
