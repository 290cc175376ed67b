use std::net::SocketAddr;
use std::sync::Arc;

use postech_lambda_functions::local_http::{LocalServer, MAX_BODY_BYTES};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{LocalAws, unique_cpf};

/// One HTTP/1.1 request over a fresh connection; returns the status and the body.
async fn post(addr: SocketAddr, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("receive");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn start(aws: &LocalAws) -> SocketAddr {
    let authenticator = Arc::new(aws.authenticator().await);
    let server = LocalServer::bind("127.0.0.1:0".parse().expect("addr"), authenticator)
        .await
        .expect("bind");
    let addr = server.local_addr().expect("bound address");
    tokio::spawn(server.serve());
    addr
}

#[tokio::test]
async fn local_server_serves_customer_and_admin_login_over_http() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    let customer_id = aws.register_customer(&cpf).await;
    let password = aws.create_admin("gerente").await;
    let addr = start(&aws).await;

    let (status, body) = post(
        addr,
        "/auth",
        "application/json",
        &json!({ "cpf": cpf.to_string() }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    let verified = aws
        .verifier()
        .verify(body["access_token"].as_str().expect("token"))
        .expect("the app accepts it");
    assert_eq!(verified.customer_id(), Some(customer_id));

    let form = serde_urlencoded::to_string([
        ("username", "gerente"),
        ("password", password.expose_secret()),
    ])
    .expect("form");
    let (status, body) = post(
        addr,
        "/v1/api/admin/login",
        "application/x-www-form-urlencoded",
        &form,
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn local_server_refuses_oversized_bodies_with_413() {
    let aws = LocalAws::provision().await;
    let addr = start(&aws).await;
    let huge = format!("{{\"cpf\":\"{}\"}}", "1".repeat(MAX_BODY_BYTES));

    let (status, _) = post(addr, "/auth", "application/json", &huge).await;

    assert_eq!(status, 413);
}

/// One raw HTTP/1.1 exchange; returns the whole answer (status line and headers included).
async fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("receive");
    answer
}

#[tokio::test]
async fn pages_of_the_allowed_origin_may_log_in_from_a_browser_and_no_other_origin_may() {
    let aws = LocalAws::provision().await;
    let authenticator = Arc::new(aws.authenticator().await);
    let server = LocalServer::bind("127.0.0.1:0".parse().expect("addr"), authenticator)
        .await
        .expect("bind")
        .allow_origin("http://127.0.0.1:8080".parse().expect("origin"));
    let addr = server.local_addr().expect("bound address");
    tokio::spawn(server.serve());

    let preflight = |origin: &str| {
        format!(
            "OPTIONS /auth/admin HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
        )
    };
    let allowed = exchange(addr, &preflight("http://127.0.0.1:8080"))
        .await
        .to_lowercase();
    assert!(allowed.starts_with("http/1.1 204"), "{allowed}");
    assert!(
        allowed.contains("access-control-allow-origin: http://127.0.0.1:8080"),
        "{allowed}"
    );
    assert!(
        allowed.contains("access-control-allow-methods: post"),
        "{allowed}"
    );
    assert!(
        allowed.contains("access-control-allow-headers: content-type"),
        "{allowed}"
    );
    let other = exchange(addr, &preflight("http://evil.example"))
        .await
        .to_lowercase();
    assert!(!other.contains("access-control-allow"), "{other}");

    let body = json!({ "username": "ninguem", "password": "errada" }).to_string();
    let login = |origin: &str| {
        format!(
            "POST /auth/admin HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let refused = exchange(addr, &login("http://127.0.0.1:8080"))
        .await
        .to_lowercase();
    assert!(refused.starts_with("http/1.1 401"), "{refused}");
    assert!(
        refused.contains("access-control-allow-origin: http://127.0.0.1:8080"),
        "the page can read the refusal: {refused}"
    );
    let foreign = exchange(addr, &login("http://evil.example"))
        .await
        .to_lowercase();
    assert!(
        !foreign.contains("access-control-allow-origin"),
        "{foreign}"
    );
}
