//! An OTLP/HTTP trace receiver for tests (feature `local-aws`): what the SDK's exporter sends
//! to `POST /v1/traces` (protobuf) is decoded and kept in memory, so a test reads the spans a
//! process exported — their names, trace and parent ids, attributes.
//!
//! Each export request is recorded *before* it is answered: once the exporter's export (or
//! [`SpanFlusher::flush`](crate::telemetry::SpanFlusher::flush)) has returned, its spans are in
//! [`OtlpReceiver::spans`].
//!
//! ```no_run
//! use postech_shared_sdk::local_otlp::OtlpReceiver;
//!
//! let receiver = OtlpReceiver::start()?;
//! // TelemetryConfig { otlp_endpoint: Some(receiver.endpoint().to_owned()), .. }
//! assert!(receiver.spans().is_empty());
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
pub use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
pub use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;

/// A receiver listening on a free loopback port, on its own threads (it answers even while
/// the test's async runtime is blocked in a flush).
#[derive(Debug, Clone)]
pub struct OtlpReceiver {
    endpoint: String,
    spans: Arc<Mutex<Vec<Span>>>,
}

impl OtlpReceiver {
    /// Binds `127.0.0.1:0` and serves until the process ends.
    pub fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let spans = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&spans);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    // A broken connection ends that connection only; the exporter reports it.
                    let _ = serve(stream, &sink);
                });
            }
        });
        Ok(Self { endpoint, spans })
    }

    /// The base URL to give as the OTLP endpoint (`TelemetryConfig::otlp_endpoint`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Every span received so far, in arrival order.
    pub fn spans(&self) -> Vec<Span> {
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Reads HTTP/1.1 requests from one connection; each `POST /v1/traces` body is recorded, then
/// answered 200 with an empty export response. Anything else is answered 404.
fn serve(stream: TcpStream, sink: &Mutex<Vec<Span>>) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(io::Error::other)?;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let decoded = request_line
            .starts_with("POST /v1/traces ")
            .then(|| ExportTraceServiceRequest::decode(body.as_slice()).ok())
            .flatten();
        let Some(export) = decoded else {
            writer.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")?;
            continue;
        };
        let spans = export
            .resource_spans
            .into_iter()
            .flat_map(|resource| resource.scope_spans)
            .flat_map(|scope| scope.spans);
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(spans);
        writer.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
        )?;
    }
}

/// The value of `span`'s attribute `key`, as text (strings as they are, numbers and booleans
/// formatted), or `None` when the span has no such attribute.
pub fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|pair| pair.key == key)
        .map(|pair| text(&pair.value))
}

/// An attribute value as text.
pub fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(any_value::Value::IntValue(number)) => number.to_string(),
        Some(any_value::Value::BoolValue(flag)) => flag.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// Lower-case hex of a trace or span id as OTLP carries it (bytes), as W3C writes it.
pub fn hex(id: &[u8]) -> String {
    id.iter().map(|byte| format!("{byte:02x}")).collect()
}
