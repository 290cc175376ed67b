//! Bearer tokens → [`Caller`]. The app re-verifies every token (defence in depth behind the
//! gateway's authorizer) with the public key only.
//!
//! * no `Authorization` header → anonymous on public routes, 401 on protected ones;
//! * a token that does not verify → 401 everywhere (a client that sends a broken token wants
//!   to know, even on a public route);
//! * a valid token without the role a route needs → 403.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::adapters::http::error::ApiError;
use crate::application::caller::Caller;
use crate::domain::ids::CustomerId;
use postech_shared_sdk::token::{Role, TokenVerifier};

fn caller_of(request: &HttpRequest) -> Result<Caller, ApiError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|text| {
            text.strip_prefix("Bearer ")
                .or_else(|| text.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("Cabeçalho Authorization inválido".to_owned()))?;
    let verifier = request
        .app_data::<web::Data<TokenVerifier>>()
        .ok_or_else(|| ApiError::Internal("token verifier not configured".to_owned()))?;
    let verified = verifier.verify(token).map_err(|error| {
        tracing::info!(reason = %error, "token refused");
        ApiError::Unauthorized("Token inválido ou expirado".to_owned())
    })?;
    match verified.role {
        Role::Admin => Ok(Caller::Admin {
            username: verified.subject,
        }),
        Role::Customer => verified
            .customer_id()
            .map(Caller::Customer)
            .ok_or_else(|| ApiError::Unauthorized("Token inválido ou expirado".to_owned())),
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller_of(request))
    }
}

/// A caller holding a customer token.
#[derive(Clone, Copy, Debug)]
pub struct CustomerCaller(pub CustomerId);

impl FromRequest for CustomerCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match caller_of(request) {
            Ok(Caller::Customer(id)) => Ok(CustomerCaller(id)),
            Ok(Caller::Anonymous) => Err(ApiError::missing_token()),
            Ok(Caller::Admin { .. }) => {
                Err(ApiError::Forbidden("Rota exclusiva de clientes".to_owned()))
            }
            Err(error) => Err(error),
        })
    }
}

/// A caller holding an admin token.
#[derive(Clone, Debug)]
pub struct AdminCaller(pub Caller);

impl FromRequest for AdminCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match caller_of(request) {
            Ok(caller @ Caller::Admin { .. }) => Ok(AdminCaller(caller)),
            Ok(Caller::Anonymous) => Err(ApiError::missing_token()),
            Ok(Caller::Customer(_)) => Err(ApiError::Forbidden(
                "Rota exclusiva de administradores".to_owned(),
            )),
            Err(error) => Err(error),
        })
    }
}
