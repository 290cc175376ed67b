//! The process's `LISTEN` connection (`adapters/postgres/listener.rs`), which the kitchen
//! stream and any cache can use: notifications fanned out per channel, a lost connection
//! reported, re-opened and announced with a new epoch, notifications flowing again after it.

use std::time::Duration;

use postech_app::adapters::postgres::listener::{
    ChannelEvent, ChannelSubscription, ListenError, ListenerSettings, ListenerState, MissReason,
    PgListener,
};
use postech_app::configuration::DatabaseSettings;
use postech_app::startup::connection_opener;
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::secrets::{AppDatabaseSecret, CachedSecret};

use crate::common::{BehindTheApi, fresh_database};

/// An upper bound for each wait; every wait ends at its witness.
const PATIENCE: Duration = Duration::from_secs(30);

async fn connected_listener(database: &TestDatabase) -> PgListener {
    let settings = DatabaseSettings {
        connection: CachedSecret::fixed(
            AppDatabaseSecret::from_url(database.url(), "test database").expect("url"),
        ),
        pool_size: 1,
        acquire_timeout: Duration::from_secs(5),
        tls: Default::default(),
    };
    let listener = PgListener::start(
        connection_opener(&settings),
        ListenerSettings {
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_millis(500),
            ..Default::default()
        },
    );
    let mut state = listener.watch_state();
    tokio::time::timeout(PATIENCE, state.wait_for(|state| state.connected))
        .await
        .expect("connected in time")
        .expect("listener running");
    listener
}

async fn next(subscription: &mut ChannelSubscription) -> ChannelEvent {
    tokio::time::timeout(PATIENCE, subscription.recv())
        .await
        .expect("an event in time")
        .expect("the listener is running")
}

#[tokio::test]
async fn a_notification_reaches_every_subscriber_of_its_channel_and_only_them() {
    let database = fresh_database().await;
    let listener = connected_listener(&database).await;
    let mut first = listener.subscribe("test_orders").await.expect("subscribed");
    let mut second = listener.subscribe("test_orders").await.expect("subscribed");
    let mut menu = listener.subscribe("test_menu").await.expect("subscribed");

    database.sql_execute("NOTIFY test_orders, 'order 1'; NOTIFY test_menu, 'menu 1'");

    let order = ChannelEvent::Notification("order 1".to_owned());
    assert_eq!(next(&mut first).await, order);
    assert_eq!(next(&mut second).await, order);
    assert_eq!(
        next(&mut menu).await,
        ChannelEvent::Notification("menu 1".to_owned()),
        "the menu channel hears its own notification first, not the orders'"
    );
}

#[tokio::test]
async fn a_lost_connection_is_reported_then_reopened_under_a_new_epoch_and_heard_again() {
    let database = fresh_database().await;
    let listener = connected_listener(&database).await;
    assert_eq!(
        listener.state(),
        ListenerState {
            connected: true,
            epoch: 1
        }
    );
    let mut orders = listener.subscribe("test_orders").await.expect("subscribed");

    database.sql_execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
          WHERE datname = current_database() AND pid <> pg_backend_pid() \
            AND query LIKE 'LISTEN %'",
    );

    assert_eq!(
        next(&mut orders).await,
        ChannelEvent::MayHaveMissed(MissReason::ConnectionLost)
    );
    assert_eq!(
        next(&mut orders).await,
        ChannelEvent::MayHaveMissed(MissReason::Reconnected { epoch: 2 })
    );
    assert_eq!(
        listener.state(),
        ListenerState {
            connected: true,
            epoch: 2
        }
    );
    database.sql_execute("NOTIFY test_orders, 'after the reconnection'");
    assert_eq!(
        next(&mut orders).await,
        ChannelEvent::Notification("after the reconnection".to_owned())
    );
}

#[tokio::test]
async fn a_channel_name_that_is_not_a_plain_identifier_is_refused() {
    let database = fresh_database().await;
    let listener = connected_listener(&database).await;
    assert!(matches!(
        listener.subscribe("orders; UNLISTEN *").await,
        Err(ListenError::InvalidChannel(_))
    ));
}
