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
