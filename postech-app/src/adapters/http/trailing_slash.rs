//! `/v1/api/produtos/` and `/v1/api/produtos` are the same route (v1 answered 307 for one of
//! them, which kiosks' HTTP clients did not all follow). The slash is trimmed before routing,
//! so each route has one pattern — one OpenAPI path and one metrics label.

use std::future::{Ready, ready};

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::uri::{PathAndQuery, Uri};

/// Only API paths are normalised: `/docs/` must keep its slash for Swagger UI.
const NORMALISED_PREFIX: &str = "/v1/api/";

/// Middleware trimming one trailing slash from API paths.
pub struct TrimTrailingSlash;

impl<S, B> Transform<S, ServiceRequest> for TrimTrailingSlash
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = TrimTrailingSlashMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(TrimTrailingSlashMiddleware { service }))
    }
}

/// The per-worker instance of [`TrimTrailingSlash`].
pub struct TrimTrailingSlashMiddleware<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for TrimTrailingSlashMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = S::Future;

    forward_ready!(service);

    fn call(&self, mut request: ServiceRequest) -> Self::Future {
        let path = request.path();
        if path.starts_with(NORMALISED_PREFIX)
            && path.len() > NORMALISED_PREFIX.len()
            && path.ends_with('/')
        {
            let trimmed = path.trim_end_matches('/');
            let path_and_query = match request.query_string() {
                "" => trimmed.to_owned(),
                query => format!("{trimmed}?{query}"),
            };
            if let Ok(path_and_query) = path_and_query.parse::<PathAndQuery>() {
                let head = request.head_mut();
                let mut parts = head.uri.clone().into_parts();
                parts.path_and_query = Some(path_and_query);
                if let Ok(uri) = Uri::from_parts(parts) {
                    request.match_info_mut().get_mut().update(&uri);
                    request.head_mut().uri = uri;
                }
            }
        }
        self.service.call(request)
    }
}
