//! Health, readiness, metrics, OpenAPI, request ids, unknown routes.

use std::collections::BTreeSet;
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// Every route of API-V1.md this app serves, and the ones added beside it (listed in
/// docs/MIGRATION-FROM-V1.md: the QR code picture, the kitchen event stream, the registration
/// confirmation).
const CONTRACT_ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
    ("post", "/v1/api/clientes"),
    ("post", "/v1/api/clientes/confirmacao"),
    ("get", "/v1/api/clientes/me"),
    ("get", "/v1/api/clientes/me/pedidos"),
    ("get", "/v1/api/categorias"),
    ("get", "/v1/api/produtos"),
    ("get", "/v1/api/produtos/{product_id}"),
    ("post", "/v1/api/pedidos"),
    ("get", "/v1/api/pedidos/{order_id}"),
    ("get", "/v1/api/admin/clientes"),
    ("get", "/v1/api/admin/clientes/{cpf}"),
    ("get", "/v1/api/admin/produtos"),
    ("post", "/v1/api/admin/produtos"),
    ("put", "/v1/api/admin/produtos/{product_id}"),
    ("delete", "/v1/api/admin/produtos/{product_id}"),
    ("get", "/v1/api/admin/pedidos"),
    ("get", "/v1/api/admin/pedidos/em-aberto"),
    ("get", "/v1/api/admin/pedidos/{order_id}"),
    ("patch", "/v1/api/admin/pedidos/{order_id}/status"),
    ("delete", "/v1/api/admin/pedidos/{order_id}"),
    ("get", "/v1/api/pagamentos/{order_id}/qrcode"),
    ("get", "/v1/api/pagamentos/{order_id}/status"),
    ("post", "/v1/api/pagamentos/webhook"),
    ("post", "/v1/api/pagamentos/simulador/{order_id}/aprovar"),
    ("post", "/v1/api/pagamentos/simulador/{order_id}/rejeitar"),
    ("get", "/v1/api/pagamentos/{order_id}/qrcode.png"),
    ("get", "/v1/api/admin/pedidos/eventos"),
];

#[tokio::test]
async fn health_answers_without_the_database() {
    let app = TestApp::spawn().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn ready_is_200_while_the_database_answers_and_503_once_it_is_gone() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/ready").await.status(), StatusCode::OK);
    // Dropping the database terminates the pool's connections and makes new ones fail.
    let TestApp { database, .. } = &app;
    let name = database.name().to_owned();
    let mut server =
        postech_database::connect(&postech_database::test_support::TestDatabase::server_url())
            .expect("server connection");
    use diesel::RunQueryDsl;
    diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&mut server)
        .expect("drop");
    assert_eq!(
        app.get("/ready").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn every_contract_route_is_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    for (method, path) in CONTRACT_ROUTES {
        assert!(
            documented.contains(&(method.to_string(), path.to_string())),
            "{method} {path} is missing from /openapi.json; documented: {documented:?}"
        );
    }
    assert_eq!(
        documented.len(),
        CONTRACT_ROUTES.len(),
        "undocumented extras or duplicates: {documented:?}"
    );
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    let unknown_id = "00000000-0000-4000-8000-000000000000";
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{product_id}", unknown_id)
            .replace("{order_id}", unknown_id)
            .replace("{cpf}", "52998224725");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .as_admin(method.clone(), &concrete)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            // An event stream never ends by itself: its status says it is routed.
            let streaming = response
                .headers()
                .get("content-type")
                .is_some_and(|value| value == "text/event-stream");
            let body = if streaming {
                String::new()
            } else {
                response.text().await.unwrap()
            };
            assert!(
                !(status == StatusCode::NOT_FOUND && body.contains("\"Not Found\"")),
                "{method} {concrete} is documented but not routed"
            );
        }
    }
}

#[tokio::test]
async fn swagger_ui_is_served_from_local_assets() {
    let app = TestApp::spawn().await;
    let response = app.get("/docs/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    let config = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(config.status(), StatusCode::OK);
    assert!(config.text().await.unwrap().contains("/openapi.json"));
}

#[tokio::test]
async fn swagger_ui_is_reached_at_docs_without_the_trailing_slash() {
    // The contract and the `make run` banner give `/docs`; v1 clients and people type it so.
    let app = TestApp::spawn().await;
    let not_following = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = not_following.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(response.headers()["location"], "/docs/");
    let followed = app.get("/docs").await;
    assert_eq!(followed.status(), StatusCode::OK);
    assert_eq!(followed.url().path(), "/docs/");
    assert!(followed.text().await.unwrap().contains("swagger-ui"));
}

#[tokio::test]
async fn metrics_are_labelled_by_route_pattern_and_pass_promtool() {
    let app = TestApp::spawn().await;
    let product = app
        .create_product("X-Burguer", "15.90", crate::helpers::BURGERS, 5)
        .await;
    assert_eq!(
        app.get(&format!("/v1/api/produtos/{product}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.get("/v1/api/produtos/").await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/nao-existe/52998224725").await.status(),
        StatusCode::NOT_FOUND
    );
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.contains(
        r#"http_requests_total{method="GET",route="/v1/api/produtos/{product_id}",status="200"} 1"#
    ), "{text}");
    assert!(
        text.contains(r#"route="/v1/api/produtos",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched""#), "{text}");
    assert!(!text.contains(&product), "raw paths must not become labels");
    assert!(
        !text.contains("52998224725"),
        "raw paths must not become labels"
    );

    let file = std::env::temp_dir().join(format!("postech-metrics-{}.txt", std::process::id()));
    std::fs::write(&file, &text).unwrap();
    let output = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .expect("promtool must be installed (Debian package `prometheus`)");
    std::fs::remove_file(&file).ok();
    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The value of the sample `series` (name and labels as rendered) in a scrape, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn order_pool_and_provider_series_follow_a_checkout_and_a_cancellation() {
    let app = TestApp::spawn().await;
    let product = app
        .create_product("X-Burguer", "15.90", crate::helpers::BURGERS, 5)
        .await;
    let order = app.place_order(&[(&product, 1)]).await;
    let order_id = order["id"].as_str().unwrap();
    assert_eq!(app.set_status(order_id, "Cancelado").await, StatusCode::OK);

    let text = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(sample(&text, "orders_created_total"), Some(1.0), "{text}");
    for (status, count) in [("received", 1.0), ("cancelled", 1.0), ("paid", 0.0)] {
        assert_eq!(
            sample(
                &text,
                &format!(r#"orders_status_changes_total{{status="{status}"}}"#)
            ),
            Some(count),
            "{status}:\n{text}"
        );
    }
    // The pool of the test app holds 10; the connections it opened are back, idle.
    assert_eq!(
        sample(&text, "db_pool_max_connections"),
        Some(10.0),
        "{text}"
    );
    assert!(
        sample(&text, r#"db_pool_connections{state="idle"}"#).is_some_and(|idle| idle >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, r#"db_pool_connections{state="in_use"}"#).is_some(),
        "{text}"
    );
    assert_eq!(
        sample(&text, "db_pool_acquire_timeouts_total"),
        Some(0.0),
        "{text}"
    );
    // Created at zero whatever the provider (here the simulated one), like every labelled
    // series the alerts read, so that their first event is an increase.
    assert_eq!(
        sample(
            &text,
            r#"payment_provider_requests_total{operation="create_payment",outcome="timeout"}"#
        ),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"checkout_retries_total{reason="deadlock"}"#),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(&text, "payment_expiry_sweep_last_success_timestamp_seconds").is_some(),
        "{text}"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_keeps_a_sane_inbound_one() {
    let app = TestApp::spawn().await;
    let generated = app.get("/health").await;
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let echoed = app
        .request(Method::GET, "/health")
        .header("x-request-id", "gateway-abc_123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "gateway-abc_123");
    let replaced = app
        .request(Method::GET, "/health")
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "<script>");
}

#[tokio::test]
async fn unknown_routes_answer_404_in_the_contract_shape() {
    let app = TestApp::spawn().await;
    let response = app.get("/v1/api/nada").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"], "Not Found");
}
