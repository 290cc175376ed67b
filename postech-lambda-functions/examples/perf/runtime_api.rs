//! A minimal Lambda Runtime API: enough for a function binary to start, take one event and
//! answer it, so its cold start can be timed from process start to the first `next` call.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What the function did, in order.
#[derive(Debug)]
pub enum RuntimeEvent {
    /// The function asked for its first event: initialisation is over.
    Ready(Instant),
    /// The function answered the event.
    Response(Instant, String),
    /// The function reported an error (init or invocation).
    Error(String),
}

/// A Runtime API serving `event` once.
pub struct FakeRuntime {
    pub addr: SocketAddr,
    pub events: mpsc::UnboundedReceiver<RuntimeEvent>,
}

impl FakeRuntime {
    pub async fn start(event: String) -> FakeRuntime {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind runtime API");
        let addr = listener.local_addr().expect("runtime API address");
        let (sender, events) = mpsc::unbounded_channel();
        let served = Arc::new(Mutex::new(false));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let sender = sender.clone();
                let served = Arc::clone(&served);
                let event = event.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        answer(request, sender.clone(), Arc::clone(&served), event.clone())
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeRuntime { addr, events }
    }
}

async fn answer(
    request: Request<Incoming>,
    sender: mpsc::UnboundedSender<RuntimeEvent>,
    served: Arc<Mutex<bool>>,
    event: String,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        let first = !std::mem::replace(&mut *served.lock().expect("lock"), true);
        if !first {
            // Later polls wait forever: the measurement is over and the process gets killed.
            std::future::pending::<()>().await;
        }
        let _ = sender.send(RuntimeEvent::Ready(Instant::now()));
        let deadline =
            SystemTime::now().duration_since(UNIX_EPOCH).expect("clock") + Duration::from_secs(30);
        let response = Response::builder()
            .header("lambda-runtime-aws-request-id", "perf-request-1")
            .header(
                "lambda-runtime-deadline-ms",
                deadline.as_millis().to_string(),
            )
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:perf",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-67a1b2c3-0123456789abcdef01234567;Sampled=0",
            )
            .body(Full::new(Bytes::from(event)))
            .expect("response");
        return Ok(response);
    }
    let body = request
        .into_body()
        .collect()
        .await
        .map(|collected| String::from_utf8_lossy(&collected.to_bytes()).into_owned())
        .unwrap_or_default();
    let report = if path.ends_with("/response") {
        RuntimeEvent::Response(Instant::now(), body)
    } else {
        RuntimeEvent::Error(format!("{path}: {body}"))
    };
    let _ = sender.send(report);
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::ACCEPTED;
    Ok(response)
}
