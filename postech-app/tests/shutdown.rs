//! The real binary: configuration from the environment, fail-fast on a missing variable,
//! and a SIGTERM that lets the in-flight request finish before the process exits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use postech_database::test_support::TestDatabase;
use postech_shared_sdk::token::SigningKeyMaterial;

const BINARY: &str = env!("CARGO_BIN_EXE_postech-app");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn app_command(database_url: &str, port: u16) -> Command {
    let key = SigningKeyMaterial::generate("shutdown-test");
    let mut command = Command::new(BINARY);
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_HOST", "127.0.0.1")
        .env("APP_PORT", port.to_string())
        .env("APP_WORKERS", "1")
        .env("APP_SHUTDOWN_TIMEOUT_SECONDS", "20")
        .env("DATABASE_URL", database_url)
        .env("JWT_KEY_ID", &key.kid)
        .env("JWT_PUBLIC_KEY_PEM", &key.public_key_pem)
        .env("COGNITO_USER_POOL_ID", "us-east-1_notcontacted")
        .env(
            "REGISTRATION_OUTBOX_FILE",
            std::env::temp_dir().join(format!("postech-shutdown-outbox-{port}")),
        )
        .env("AWS_REGION", "us-east-1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn wait_until_healthy(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).ok();
            if answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the app exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the app did not become healthy");
}

/// The bytes up to and including the first empty line: one interim response's head.
fn head_of(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

#[test]
fn sigterm_lets_the_in_flight_request_finish_then_exits_cleanly() {
    let database = TestDatabase::create_migrated().unwrap();
    let port = free_port();
    let mut child = app_command(database.url(), port).spawn().unwrap();
    wait_until_healthy(port, &mut child);

    let body =
        br#"{"itens": [{"produto_id": "7f1c2b8e-0000-4000-8000-000000000000", "quantidade": 1}]}"#;
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).unwrap();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        in_flight,
        "POST /v1/api/pedidos HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // The witness that the app itself holds the request (not only the kernel's backlog): the
    // `100 Continue` it sends once it has read the head and waits for the body.
    assert_eq!(head_of(&mut in_flight), "HTTP/1.1 100 Continue\r\n\r\n");
    in_flight.write_all(first_half).unwrap();
    in_flight.flush().unwrap();

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The witness that the shutdown began: the listener is closed, new connections are
    // refused — while the process still waits for the request in flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the app kept listening after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the app must wait for the in-flight request"
    );

    in_flight.write_all(second_half).unwrap();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 422"),
        "the in-flight request got its full answer: {answer}"
    );
    assert!(answer.contains("produto_id"), "{answer}");

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit after SIGTERM: {status}");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no longer listening"
    );
}

#[test]
fn a_missing_required_variable_stops_the_start_naming_it() {
    let database = TestDatabase::create_migrated().unwrap();
    let output = app_command(database.url(), free_port())
        .env_remove("COGNITO_USER_POOL_ID")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("COGNITO_USER_POOL_ID"), "{printed}");
}
