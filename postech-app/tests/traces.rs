//! A checkout and a QR code produce connected traces, exported over OTLP: an in-test OTLP/HTTP
//! receiver (protobuf, `POST /v1/traces`) collects what the app's exporter sends, and the
//! test reads the parent/child structure — HTTP root span → use case → database statement
//! groups; QR code → use case → the Mercado Pago call — and checks that no attribute of any
//! span or span event holds the customer's CPF, a bearer token or the provider's token.
//! Its own test binary: it installs the process-wide subscriber and tracer provider.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/mod.rs"]
mod common;
#[path = "payments/harness.rs"]
#[allow(dead_code, unused_imports)]
mod harness;
#[path = "api/helpers.rs"]
#[allow(dead_code, unused_imports)]
mod helpers;
#[path = "payments/mercadopago_double.rs"]
#[allow(dead_code, unused_imports)]
mod mercadopago_double;

use std::time::Duration;

use helpers::{BURGERS, CPF_A, CPF_A_DIGITS, TestApp, checkout_body};
use postech_shared_sdk::local_otlp::{KeyValue, OtlpReceiver, Span, attribute, hex, text};
use postech_shared_sdk::telemetry::{self, TelemetryConfig};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// What an upstream hop sends: a W3C parent (another service in the cluster, a local caller)…
const UPSTREAM_TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// …or, behind the API Gateway, its X-Ray context (the trace the authorizer's span is on).
const GATEWAY_XRAY_TRACE: &str =
    "Root=1-6759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

/// Every attribute of the span and of its events, as `key=value` text.
fn all_attributes(span: &Span) -> Vec<String> {
    let pairs = |attributes: &[KeyValue]| {
        attributes
            .iter()
            .map(|attribute| format!("{}={}", attribute.key, text(&attribute.value)))
            .collect::<Vec<_>>()
    };
    let mut all = pairs(&span.attributes);
    all.push(format!("name={}", span.name));
    for event in &span.events {
        all.push(format!("event={}", event.name));
        all.extend(pairs(&event.attributes));
    }
    all
}

/// The one span named `name` in `trace`.
fn named<'a>(spans: &'a [Span], trace: &[u8], name: &str) -> &'a Span {
    let matching: Vec<&Span> = spans
        .iter()
        .filter(|span| span.trace_id == trace && span.name == name)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "one span {name:?} in the trace, got {}: {:?}",
        matching.len(),
        spans
            .iter()
            .filter(|span| span.trace_id == trace)
            .map(|span| &span.name)
            .collect::<Vec<_>>()
    );
    matching[0]
}

fn children<'a>(spans: &'a [Span], parent: &Span) -> Vec<&'a Span> {
    spans
        .iter()
        .filter(|span| span.trace_id == parent.trace_id && span.parent_span_id == parent.span_id)
        .collect()
}

fn child_names(spans: &[Span], parent: &Span) -> Vec<String> {
    children(spans, parent)
        .into_iter()
        .map(|span| span.name.clone())
        .collect()
}

/// The request's span (root in this service) of the request answered with `request_id`.
fn request_span(spans: &[Span], request_id: &str) -> Span {
    spans
        .iter()
        .find(|span| attribute(span, "request_id").as_deref() == Some(request_id))
        .unwrap_or_else(|| panic!("no span with request_id {request_id}"))
        .clone()
}

/// The request id the app answered with.
fn request_id_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The root span of the request answered with `request_id`.
fn root_of(spans: &[Span], request_id: &str) -> Span {
    spans
        .iter()
        .find(|span| {
            span.parent_span_id.is_empty()
                && attribute(span, "request_id").as_deref() == Some(request_id)
        })
        .unwrap_or_else(|| panic!("no root span with request_id {request_id}"))
        .clone()
}

#[tokio::test]
async fn a_checkout_and_a_qr_code_export_connected_traces_without_cpf_or_tokens() {
    let received = OtlpReceiver::start().unwrap();
    let _telemetry = telemetry::init_with_writer(
        TelemetryConfig {
            service_name: "postech-app-traces-test".to_owned(),
            service_version: "test".to_owned(),
            log_filter: "info".to_owned(),
            otlp_endpoint: Some(received.endpoint().to_owned()),
            sampling_ratio: 1.0,
        },
        std::io::sink,
    )
    .unwrap();

    // A registered customer (by CPF) places an order.
    let app = TestApp::spawn().await;
    let burger = app.create_product("X-Burguer", "15.90", BURGERS, 10).await;
    let customer = app.register(json!({"nome": "Maria", "cpf": CPF_A})).await;
    let customer_token = app.customer_token(&customer);
    let checkout = app
        .request(Method::POST, "/v1/api/pedidos")
        .bearer_auth(&customer_token)
        .json(&checkout_body(&[(&burger, 1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(checkout.status(), StatusCode::CREATED);
    let checkout_id = checkout.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    // A QR code through Mercado Pago (its local double).
    let payments = harness::PaymentApp::with_mercadopago().await;
    let order = payments.order_id().await;
    let qr = payments.qr_code(&order).await;
    assert_eq!(qr.status(), StatusCode::OK);
    let qr_id = qr.headers()["x-request-id"].to_str().unwrap().to_owned();

    // A request continuing an upstream W3C trace, and one behind the gateway: X-Ray context
    // plus the gateway's overwrite of a client's traceparent (infra/app-routes.yml of
    // postech-lambda-functions).
    let upstream_id = request_id_of(
        app.request(Method::GET, "/v1/api/categorias")
            .header("traceparent", UPSTREAM_TRACEPARENT)
            .header("x-request-id", "upstream-w3c-request")
            .send()
            .await
            .unwrap(),
    );
    let gateway_id = request_id_of(
        app.request(Method::GET, "/v1/api/categorias")
            .header("x-amzn-trace-id", GATEWAY_XRAY_TRACE)
            .header(
                "traceparent",
                "00-00000000000000000000000000000000-0000000000000000-00",
            )
            .header("x-request-id", "gateway-xray-request")
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(
        upstream_id, "upstream-w3c-request",
        "the request id is kept"
    );
    assert_eq!(gateway_id, "gateway-xray-request");

    // The batch exporter sends every few seconds: wait for both roots and their children.
    let arrived = common::eventually(Duration::from_secs(30), || {
        let spans = received.spans();
        let all_there = [
            "POST /v1/api/pedidos",
            "db.orders.write_order",
            "GET /v1/api/pagamentos/{order_id}/qrcode",
            "mercadopago create_payment",
        ]
        .iter()
        .all(|name| spans.iter().any(|span| span.name == *name))
            && [&upstream_id, &gateway_id].iter().all(|id| {
                spans
                    .iter()
                    .any(|span| attribute(span, "request_id").as_deref() == Some(id.as_str()))
            });
        async move { all_there }
    })
    .await;
    let spans = received.spans();
    assert!(
        arrived,
        "spans received: {:?}",
        spans.iter().map(|span| &span.name).collect::<Vec<_>>()
    );

    // HTTP root → use case → database statement groups.
    let root = root_of(&spans, &checkout_id);
    assert_eq!(root.name, "POST /v1/api/pedidos");
    assert_eq!(
        attribute(&root, "route").as_deref(),
        Some("/v1/api/pedidos")
    );
    assert_eq!(attribute(&root, "status").as_deref(), Some("201"));
    let use_case = named(&spans, &root.trace_id, "checkout.place");
    assert_eq!(
        use_case.parent_span_id, root.span_id,
        "the use case is the request's child"
    );
    let place = named(&spans, &root.trace_id, "db.orders.place");
    assert_eq!(
        place.parent_span_id, use_case.span_id,
        "the checkout's statements are the use case's child"
    );
    let statements = child_names(&spans, place);
    for group in [
        "db.acquire",
        "db.orders.read_products",
        "db.orders.write_order",
    ] {
        assert!(
            statements.iter().any(|name| name == group),
            "{group} under db.orders.place: {statements:?}"
        );
    }
    assert_eq!(
        attribute(
            named(&spans, &root.trace_id, "db.orders.write_order"),
            "db.system"
        )
        .as_deref(),
        Some("postgresql")
    );

    // QR code root → use case → the Mercado Pago call, with its outcome.
    let qr_root = root_of(&spans, &qr_id);
    assert_eq!(qr_root.name, "GET /v1/api/pagamentos/{order_id}/qrcode");
    let issue = named(&spans, &qr_root.trace_id, "payments.issue_qr_code");
    assert_eq!(issue.parent_span_id, qr_root.span_id);
    let call = named(&spans, &qr_root.trace_id, "mercadopago create_payment");
    assert_eq!(
        call.parent_span_id, issue.span_id,
        "the provider call is the use case's child"
    );
    assert_eq!(attribute(call, "outcome").as_deref(), Some("ok"));
    assert_eq!(
        attribute(call, "http.response.status_code").as_deref(),
        Some("201")
    );

    // The upstream context is the root span's parent; the request id stays the caller's.
    let upstream_root = request_span(&spans, &upstream_id);
    assert_eq!(hex(&upstream_root.trace_id), &UPSTREAM_TRACEPARENT[3..35]);
    assert_eq!(
        hex(&upstream_root.parent_span_id),
        &UPSTREAM_TRACEPARENT[36..52]
    );
    let gateway_root = request_span(&spans, &gateway_id);
    assert_eq!(
        hex(&gateway_root.trace_id),
        "6759e988bd862e3fe1be46a994272793",
        "the gateway's X-Ray trace, as W3C"
    );
    assert_eq!(hex(&gateway_root.parent_span_id), "53995c3f42cd8ad8");

    // No CPF (bare or punctuated) and no token anywhere in what was exported.
    let forbidden = [
        CPF_A.to_owned(),
        CPF_A_DIGITS.to_owned(),
        customer_token,
        payments.double.access_token.clone(),
    ];
    for span in &spans {
        for pair in all_attributes(span) {
            for secret in &forbidden {
                assert!(
                    !pair.contains(secret.as_str()),
                    "span {:?} exports {pair:?}",
                    span.name
                );
            }
        }
    }
}
