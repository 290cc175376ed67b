//! The kitchen event stream (`GET /v1/api/admin/pedidos/eventos`): a `fila` event first, a
//! `pedido` event for every creation and status change, resumption from `Last-Event-ID`
//! without a lost change (even one committed out of id order), every app process emitting
//! every other's changes, and a client that does not read dropped without its backlog
//! growing.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::BehindTheApi;
use crate::helpers::{BURGERS, Options, TestApp, metric};

const STREAM: &str = "/v1/api/admin/pedidos/eventos";
/// Long enough for a slow CI machine; an event that never comes fails the test, it is no
/// timing assertion.
const PATIENCE: Duration = Duration::from_secs(30);

/// One server-sent event.
#[derive(Debug)]
struct Event {
    id: Option<String>,
    name: String,
    data: Value,
}

/// A stream being read, event by event.
struct Events {
    body: reqwest::Response,
    buffer: String,
    last_id: Option<String>,
}

impl Events {
    async fn open(base: &str, token: &str, last_event_id: Option<&str>) -> Events {
        let mut request = reqwest::Client::new()
            .get(format!("{base}{STREAM}"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("stream request");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Events {
            body: response,
            buffer: String::new(),
            last_id: last_event_id.map(str::to_owned),
        }
    }

    /// The next event (comments and the `retry` preamble skipped).
    async fn next(&mut self) -> Event {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Event {
                    id: None,
                    name: String::new(),
                    data: Value::Null,
                };
                for line in block.lines() {
                    if let Some(id) = line.strip_prefix("id: ") {
                        event.id = Some(id.to_owned());
                    } else if let Some(name) = line.strip_prefix("event: ") {
                        event.name = name.to_owned();
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        event.data = serde_json::from_str(data).expect("JSON data");
                    }
                }
                if event.name.is_empty() {
                    continue;
                }
                if let Some(id) = &event.id {
                    self.last_id = Some(id.clone());
                }
                return event;
            }
            let chunk = tokio::time::timeout(PATIENCE, self.body.chunk())
                .await
                .expect("an event before the patience ran out")
                .expect("a chunk")
                .expect("the stream is still open");
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// The next `pedido` event (for tests that do not care about a leading `fila`).
    async fn next_change(&mut self) -> Event {
        loop {
            let event = self.next().await;
            if event.name == "pedido" {
                return event;
            }
        }
    }
}

fn change_of(event: &Event) -> (String, Option<String>, String) {
    (
        event.data["pedido_id"]
            .as_str()
            .expect("pedido_id")
            .to_owned(),
        event.data["de"].as_str().map(str::to_owned),
        event.data["para"].as_str().expect("para").to_owned(),
    )
}

async fn app_with_burger() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burger", "15.90", BURGERS, 500).await;
    (app, burger)
}

async fn new_order(app: &TestApp, burger: &str) -> String {
    app.place_order(&[(burger, 1)]).await["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn the_stream_opens_with_the_queue_then_emits_each_creation_and_status_change() {
    let (app, burger) = app_with_burger().await;
    let waiting = new_order(&app, &burger).await;
    let mut events = Events::open(&app.address, app.admin_token(), None).await;

    let queue = events.next().await;
    assert_eq!(queue.name, "fila");
    assert!(queue.id.is_some(), "the queue carries the cursor");
    assert_eq!(queue.data["pedidos"][0]["id"], waiting.as_str());

    let order = new_order(&app, &burger).await;
    let created = events.next().await;
    assert_eq!(created.name, "pedido");
    assert_eq!(
        change_of(&created),
        (order.clone(), None, "Recebido".to_owned())
    );
    assert_eq!(created.data["pedido"]["numero"], 2);
    assert!(created.id.is_some());

    for (from, to) in [
        ("Recebido", "Pago"),
        ("Pago", "Em preparação"),
        ("Em preparação", "Pronto"),
    ] {
        assert_eq!(app.set_status(&order, to).await, StatusCode::OK);
        let moved = events.next().await;
        assert_eq!(
            change_of(&moved),
            (order.clone(), Some(from.to_owned()), to.to_owned())
        );
        assert_eq!(moved.data["pedido"]["status"], to);
    }
}

#[tokio::test]
async fn a_reconnect_with_the_last_event_id_gets_exactly_the_changes_made_meanwhile() {
    let (app, burger) = app_with_burger().await;
    let first = new_order(&app, &burger).await;
    let mut events = Events::open(&app.address, app.admin_token(), None).await;
    assert_eq!(events.next().await.name, "fila");
    let last_id = events.last_id.clone().expect("cursor");
    drop(events);

    assert_eq!(app.set_status(&first, "Pago").await, StatusCode::OK);
    let second = new_order(&app, &burger).await;

    let mut resumed = Events::open(&app.address, app.admin_token(), Some(&last_id)).await;
    let paid = resumed.next().await;
    assert_eq!(paid.name, "pedido", "resumed: no queue, only what changed");
    assert_eq!(
        change_of(&paid),
        (first, Some("Recebido".to_owned()), "Pago".to_owned())
    );
    let created = resumed.next().await;
    assert_eq!(change_of(&created), (second, None, "Recebido".to_owned()));
    assert!(
        created.id.is_some(),
        "the last event of a read carries the cursor"
    );
}

/// Identity ids are drawn at insert: a transaction holding id N commits after the one
/// holding N+1 was streamed. A client that saw N+1 and reconnects still gets N.
#[tokio::test]
async fn a_change_committed_out_of_id_order_reaches_a_client_that_reconnects() {
    let (app, burger) = app_with_burger().await;
    let mut events = Events::open(&app.address, app.admin_token(), None).await;
    assert_eq!(events.next().await.name, "fila");

    let mut slow_writer = app.database.connect().expect("connection");
    let slow_order = uuid::Uuid::new_v4();
    slow_writer
        .batch_execute(&format!(
            "BEGIN; \
             INSERT INTO orders (id, total) VALUES ('{slow_order}', 10.00); \
             INSERT INTO order_status_history (order_id, to_status, actor) \
                  VALUES ('{slow_order}', 'received', 'test-slow-writer');"
        ))
        .expect("slow transaction, left open");
    let fast_order = new_order(&app, &burger).await;
    let fast = events.next_change().await;
    assert_eq!(change_of(&fast).0, fast_order);
    let seen_after_fast = events.last_id.clone().expect("cursor");
    drop(events);

    slow_writer.batch_execute("COMMIT").expect("commit");
    assert!(
        app.database.sql_count(&format!(
            "SELECT count(*) AS count FROM order_status_history h1 \
              JOIN order_status_history h2 ON h2.order_id = '{fast_order}' \
             WHERE h1.order_id = '{slow_order}' AND h1.id < h2.id"
        )) == 1,
        "the slow change has the lower id"
    );
    let mut resumed = Events::open(&app.address, app.admin_token(), Some(&seen_after_fast)).await;
    let slow = resumed.next().await;
    assert_eq!(slow.name, "pedido");
    assert_eq!(
        change_of(&slow),
        (slow_order.to_string(), None, "Recebido".to_owned())
    );
}

#[tokio::test]
async fn an_unusable_last_event_id_starts_over_with_the_whole_queue() {
    let (app, burger) = app_with_burger().await;
    let order = new_order(&app, &burger).await;
    for last_id in ["garbage", "99999999999:99999999999:", "5:3:"] {
        let mut events = Events::open(&app.address, app.admin_token(), Some(last_id)).await;
        let queue = events.next().await;
        assert_eq!(queue.name, "fila", "{last_id}");
        assert_eq!(queue.data["pedidos"][0]["id"], order.as_str());
    }
}

#[tokio::test]
async fn the_stream_is_for_staff_only() {
    let app = TestApp::spawn().await;
    let anonymous = app.get(STREAM).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let customer = app.register(serde_json::json!({})).await;
    let as_customer = app
        .request(Method::GET, STREAM)
        .bearer_auth(app.customer_token(&customer))
        .send()
        .await
        .expect("request");
    assert_eq!(as_customer.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_app_processes_on_one_database_each_stream_the_other_s_changes() {
    let (app, burger) = app_with_burger().await;
    let sibling = app.spawn_sibling().await;
    let mut on_first = Events::open(&app.address, app.admin_token(), None).await;
    let mut on_second = Events::open(&sibling, app.admin_token(), None).await;
    assert_eq!(on_first.next().await.name, "fila");
    assert_eq!(on_second.next().await.name, "fila");

    // Created through the first process…
    let order = new_order(&app, &burger).await;
    for events in [&mut on_first, &mut on_second] {
        assert_eq!(
            change_of(&events.next().await),
            (order.clone(), None, "Recebido".to_owned())
        );
    }
    // …moved through the second.
    let moved = reqwest::Client::new()
        .patch(format!("{sibling}/v1/api/admin/pedidos/{order}/status"))
        .bearer_auth(app.admin_token())
        .json(&serde_json::json!({ "status": "Pago" }))
        .send()
        .await
        .expect("request");
    assert_eq!(moved.status(), StatusCode::OK);
    for events in [&mut on_first, &mut on_second] {
        assert_eq!(
            change_of(&events.next().await),
            (
                order.clone(),
                Some("Recebido".to_owned()),
                "Pago".to_owned()
            )
        );
    }
}

/// Orders written straight into the tables, as any process would: `count` orders with long
/// notes and their creation history, in one transaction (one notification).
fn write_orders(app: &TestApp, count: usize) {
    let notes = "x".repeat(480);
    let mut connection = app.database.connect().expect("connection");
    connection
        .batch_execute(&format!(
            "BEGIN; \
             CREATE TEMP TABLE new_orders ON COMMIT DROP AS \
                  SELECT gen_random_uuid() AS id FROM generate_series(1, {count}); \
             INSERT INTO orders (id, total, notes) SELECT id, 10.00, '{notes}' FROM new_orders; \
             INSERT INTO order_status_history (order_id, to_status, actor) \
                  SELECT id, 'received', 'test' FROM new_orders; \
             COMMIT;"
        ))
        .expect("orders written");
}

// Two workers: `write_orders` blocks its thread on SQL, and on a one-thread runtime the app's
// stream task (spawned on the same runtime) only ran between rounds, fell behind the event log
// and never filled the slow client's buffer ("never dropped", seen in a fresh-clone run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_with_the_reason_and_its_backlog_freed() {
    let settings = postech_app::configuration::kitchen_stream::KitchenStreamSettings {
        buffer_bytes: 64 * 1024,
        ..Default::default()
    };
    let app = TestApp::spawn_with(Options {
        kitchen_stream: Some(settings),
        ..Default::default()
    })
    .await;
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    // A small receive window, so the server's writes back up quickly.
    socket.set_recv_buffer_size(4096).expect("buffer size");
    let address = app.address.trim_start_matches("http://");
    let mut slow = socket
        .connect(address.parse().expect("address"))
        .await
        .expect("connect");
    slow.write_all(
        format!(
            "GET {STREAM} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
             Authorization: Bearer {}\r\n\r\n",
            app.admin_token()
        )
        .as_bytes(),
    )
    .await
    .expect("request sent");
    let mut head = [0u8; 12];
    slow.read_exact(&mut head).await.expect("status line");
    assert_eq!(&head, b"HTTP/1.1 200");
    assert_eq!(metric(&app.address, "kitchen_stream_clients").await, 1.0);

    // The client reads nothing more. Each round is about 100 kB of events.
    let mut rounds = 0;
    while metric(
        &app.address,
        r#"kitchen_stream_closed_total{reason="slow_client"}"#,
    )
    .await
        < 1.0
    {
        rounds += 1;
        assert!(rounds <= 400, "the client was never dropped");
        write_orders(&app, 100);
    }
    assert_eq!(metric(&app.address, "kitchen_stream_clients").await, 0.0);

    // What reaches the client when it reads again: whatever was already on its way, then
    // the reason — not the thrown-away backlog — and the end of the response.
    let mut rest = Vec::new();
    tokio::time::timeout(PATIENCE, slow.read_to_end(&mut rest))
        .await
        .expect("the server ends the response")
        .expect("read");
    let rest = String::from_utf8_lossy(&rest);
    let end = rest.rfind("event: encerrado").expect("the closing event");
    assert!(
        rest[end..].contains(r#""motivo":"cliente_lento""#),
        "{}",
        &rest[end..]
    );
}
