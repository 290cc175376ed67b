//! The `authenticate` handler served over plain HTTP/1.1, for local runs.
//!
//! Each HTTP request becomes the same [`lambda_http::Request`] the Lambda runtime would build
//! (minus the gateway's request context) and goes through [`Authenticator::handle`]
//! unchanged: local runs exercise the production code path.
//!
//! Behind the API Gateway, the app's kiosk and kitchen pages and these login routes share one
//! origin. Locally they are on two ports, so a browser needs CORS to log in from the pages:
//! [`LocalServer::allow_origin`] names the one origin allowed (`make run`: the app's).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::Body;
use lambda_http::http::{HeaderValue, Method, Response, StatusCode, header};
use tokio::net::TcpListener;

use crate::auth::authenticate::{AdminDirectory, Authenticator, CustomerDirectory};

/// Login bodies are a few hundred bytes; anything far larger is refused before parsing.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A bound listener serving one [`Authenticator`].
pub struct LocalServer<D> {
    listener: TcpListener,
    authenticator: Arc<Authenticator<D>>,
    allowed_origin: Option<HeaderValue>,
}

impl<D> LocalServer<D>
where
    D: CustomerDirectory + AdminDirectory + 'static,
{
    /// Binds `addr` (port 0 picks a free port; see [`LocalServer::local_addr`]).
    pub async fn bind(addr: SocketAddr, authenticator: Arc<Authenticator<D>>) -> io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(addr).await?,
            authenticator,
            allowed_origin: None,
        })
    }

    /// Lets browser pages served from `origin` (`scheme://host:port`) call the login routes:
    /// answers to requests from that origin carry `Access-Control-Allow-Origin`, and CORS
    /// preflights from it are answered. Requests from any other origin get no CORS header,
    /// so browsers keep refusing them.
    pub fn allow_origin(mut self, origin: HeaderValue) -> Self {
        self.allowed_origin = Some(origin);
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves connections until the task is dropped or accepting fails.
    pub async fn serve(self) -> io::Result<()> {
        loop {
            let (stream, peer) = self.listener.accept().await?;
            let authenticator = Arc::clone(&self.authenticator);
            let allowed_origin = self.allowed_origin.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let authenticator = Arc::clone(&authenticator);
                    let cors = allowed_origin
                        .clone()
                        .filter(|allowed| request.headers().get(header::ORIGIN) == Some(allowed));
                    async move {
                        let mut response = if request.method() == Method::OPTIONS {
                            preflight(cors.is_some())
                        } else {
                            answer(&authenticator, request).await
                        };
                        if let Some(origin) = cors {
                            allow_cors(&mut response, origin);
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                if let Err(error) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
            });
        }
    }
}

async fn answer<D>(
    authenticator: &Authenticator<D>,
    request: hyper::Request<Incoming>,
) -> Response<Full<Bytes>>
where
    D: CustomerDirectory + AdminDirectory,
{
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return too_large(),
    };
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(error) => Body::Binary(error.into_bytes()),
        }
    };
    let response = authenticator
        .handle(lambda_http::Request::from_parts(parts, body))
        .await;
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Full::new(Bytes::copy_from_slice(body.as_ref())))
}

/// The answer to a CORS preflight: 204, and what may be sent when the origin is allowed.
fn preflight(allowed: bool) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    if allowed {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    response
}

fn allow_cors(response: &mut Response<Full<Bytes>>, origin: HeaderValue) {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("origin"));
}

fn too_large() -> Response<Full<Bytes>> {
    let body = r#"{"detail":"Corpo da requisição grande demais"}"#;
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
