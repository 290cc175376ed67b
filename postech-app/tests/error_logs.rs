//! The one log line of a 500 prints the failure's whole cause chain, once. Its own test
//! binary: it installs the process-wide log subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "api/helpers.rs"]
#[allow(dead_code, unused_imports)]
mod helpers;

use common::BehindTheApi;
use helpers::{BURGERS, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn a_500_logs_its_whole_cause_chain_once() {
    let (captured, _guard) = common::capture_logs("info");
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    // A column the app reads is renamed behind its back: PostgreSQL refuses the statement,
    // an error the app does not expect (500).
    app.database
        .sql_execute("ALTER TABLE products RENAME COLUMN description TO description_renamed");

    let response = app.get(&format!("/v1/api/produtos/{burger}")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = response.json().await.unwrap();
    let request_id = body["request_id"].as_str().unwrap().to_owned();

    let logs = captured.text();
    let line = logs
        .lines()
        .find(|line| line.contains("internal error") && line.contains(&request_id))
        .unwrap_or_else(|| panic!("no internal error logged for {request_id}:\n{logs}"));
    let line: Value = serde_json::from_str(line).unwrap();
    let cause = line
        .pointer("/fields/cause")
        .or_else(|| line.get("cause"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no cause field: {line}"));
    // Outermost to innermost: the port, the context the adapter added, PostgreSQL's message.
    assert!(
        cause.starts_with("database failed: ") && cause.contains("description does not exist"),
        "the whole chain: {cause}"
    );
    assert_eq!(
        cause.matches("does not exist").count(),
        1,
        "each cause once: {cause}"
    );
}
