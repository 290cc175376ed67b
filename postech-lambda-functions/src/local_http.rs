//! The `authenticate` handler served over plain HTTP/1.1, for local runs.
//!
//! Each HTTP request becomes the same [`lambda_http::Request`] the Lambda runtime would build
//! (minus the gateway's request context) and goes through [`Authenticator::handle`]
//! unchanged: local runs exercise the production code path.

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
use lambda_http::http::{HeaderValue, Response, StatusCode, header};
use tokio::net::TcpListener;

use crate::auth::authenticate::{AdminDirectory, Authenticator, CustomerDirectory};

/// Login bodies are a few hundred bytes; anything far larger is refused before parsing.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A bound listener serving one [`Authenticator`].
pub struct LocalServer<D> {
    listener: TcpListener,
    authenticator: Arc<Authenticator<D>>,
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
        })
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
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let authenticator = Arc::clone(&authenticator);
                    async move { Ok::<_, Infallible>(answer(&authenticator, request).await) }
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
