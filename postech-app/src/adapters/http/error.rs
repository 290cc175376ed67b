//! The one error type of the HTTP layer: each variant is a status and a JSON body.
//!
//! Bodies follow the v1 contract: `{"detail": "<mensagem>"}`, and for validation failures the
//! FastAPI shape `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}` that existing
//! clients parse. A 500 never carries internals, only the request id to quote to support.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::request_id::RequestId;

/// One step of the location of a validation issue: a field name or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Location {
    /// A field (`"body"`, `"itens"`, `"quantidade"`).
    Field(String),
    /// A position in a list.
    Index(usize),
}

impl From<&str> for Location {
    fn from(name: &str) -> Self {
        Location::Field(name.to_owned())
    }
}

impl From<usize> for Location {
    fn from(index: usize) -> Self {
        Location::Index(index)
    }
}

/// One entry of a 422 body, as FastAPI writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ValidationIssue {
    /// Where: `["body", "itens", 0, "quantidade"]`, `["path", "order_id"]`, ...
    #[schema(value_type = Vec<serde_json::Value>)]
    pub loc: Vec<Location>,
    /// What is wrong, in Portuguese.
    pub msg: String,
    /// A stable machine-readable code (`value_error`, `missing`, ...).
    #[serde(rename = "type")]
    pub kind: String,
}

impl ValidationIssue {
    /// An issue at `loc` with message `msg` and code `kind`.
    pub fn new(loc: Vec<Location>, msg: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            loc,
            msg: msg.into(),
            kind: kind.into(),
        }
    }
}

/// Every answer other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422 with the list of issues.
    #[error("invalid request")]
    Validation(Vec<ValidationIssue>),
    /// 401 with `WWW-Authenticate: Bearer`: no token, or one that does not verify.
    #[error("unauthenticated: {0}")]
    Unauthorized(String),
    /// 403: a valid token without the right to do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404.
    #[error("not found: {0}")]
    NotFound(String),
    /// 409: the request is well formed but conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 503: a dependency (database, identity provider) is not answering.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; the cause is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

/// `{"detail": "..."}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in Portuguese.
    pub detail: String,
}

/// `{"detail": [...]}` for 422.
#[derive(Serialize, ToSchema)]
pub struct ValidationErrorBody {
    /// The issues found.
    pub detail: Vec<ValidationIssue>,
}

/// The 500 body: only the request id to quote.
#[derive(Serialize, ToSchema)]
pub struct InternalErrorBody {
    /// Always "Erro interno".
    pub detail: String,
    /// The id of the failed request (also in the `x-request-id` header and in the logs).
    pub request_id: Option<String>,
}

impl ApiError {
    /// A 422 with a single issue.
    pub fn invalid(loc: Vec<Location>, msg: impl Into<String>, kind: impl Into<String>) -> Self {
        ApiError::Validation(vec![ValidationIssue::new(loc, msg, kind)])
    }

    /// The 401 for a protected route reached without a usable token.
    pub fn missing_token() -> Self {
        ApiError::Unauthorized("Não autenticado".to_owned())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Validation(issues) => response.json(ValidationErrorBody {
                detail: issues.clone(),
            }),
            ApiError::Unauthorized(detail) => response
                .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")))
                .json(ErrorBody {
                    detail: detail.clone(),
                }),
            ApiError::Forbidden(detail)
            | ApiError::NotFound(detail)
            | ApiError::Conflict(detail)
            | ApiError::Unavailable(detail) => response.json(ErrorBody {
                detail: detail.clone(),
            }),
            ApiError::Internal(cause) => {
                // Logged here, inside the request span, so the line carries the request id.
                tracing::error!(cause = %cause, "internal error");
                response.json(InternalErrorBody {
                    detail: "Erro interno".to_owned(),
                    request_id: RequestId::current().map(|id| id.as_str().to_owned()),
                })
            }
        }
    }
}
