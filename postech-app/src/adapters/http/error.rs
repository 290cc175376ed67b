//! The one error type of the HTTP layer: each variant is a status and a JSON body; and the
//! one place where the use cases' errors ([`UseCaseError`], [`PaymentError`]) become HTTP
//! answers, with the English field names of the domain translated to the Portuguese names
//! of the wire contract.
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
use crate::application::error::{Cause, Conflict, ErrorChain, PortError, Resource, UseCaseError};
use crate::application::payments::PaymentError;
use crate::domain::validation::{FieldError, PathSegment};

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
    /// 401 without a bearer challenge: a webhook whose signature does not verify.
    #[error("signature refused")]
    SignatureRefused,
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
    /// 500: a bug or an unexpected failure; the cause (its whole chain) is logged, never
    /// returned.
    #[error("internal error")]
    Internal(#[source] Cause),
}

/// The `Retry-After` of every 503, in seconds.
pub const RETRY_AFTER_SECONDS: &str = "2";

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
            ApiError::Unauthorized(_) | ApiError::SignatureRefused => StatusCode::UNAUTHORIZED,
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
            ApiError::SignatureRefused => response.json(ErrorBody {
                detail: "Assinatura inválida".to_owned(),
            }),
            // A retry hint: the outages behind a 503 (a database restart, a provider
            // hiccup, a charge being attached) pass in seconds (docs/reliability.md).
            ApiError::Unavailable(detail) => response
                .insert_header((
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                ))
                .json(ErrorBody {
                    detail: detail.clone(),
                }),
            ApiError::Forbidden(detail)
            | ApiError::NotFound(detail)
            | ApiError::Conflict(detail) => response.json(ErrorBody {
                detail: detail.clone(),
            }),
            ApiError::Internal(cause) => {
                // Logged here, inside the request span, so the line carries the request id.
                tracing::error!(cause = %ErrorChain(cause.as_ref()), "internal error");
                response.json(InternalErrorBody {
                    detail: "Erro interno".to_owned(),
                    request_id: RequestId::current().map(|id| id.as_str().to_owned()),
                })
            }
        }
    }
}

/// The wire name of a domain field (`price` → `preco`); unknown names pass through.
pub fn wire_field_name(field: &str) -> &str {
    match field {
        "name" => "nome",
        "description" => "descricao",
        "price" => "preco",
        "category_id" => "categoria_id",
        "image_url" => "imagem_url",
        "stock_available" => "estoque_disponivel",
        "active" => "ativo",
        "items" => "itens",
        "product_id" => "produto_id",
        "quantity" => "quantidade",
        "notes" => "observacoes",
        "customer_id" => "cliente_id",
        "limit" => "limite",
        "page" => "pagina",
        other => other,
    }
}

/// Where a field error points, FastAPI style: fields of the body start with `"body"`, the
/// few that are headers, queries or path segments say so.
fn location(error: &FieldError) -> Vec<Location> {
    let root = match error.path.first() {
        Some(PathSegment::Field("idempotency_key")) => {
            return vec!["header".into(), "Idempotency-Key".into()];
        }
        Some(PathSegment::Field("limit" | "page")) => "query",
        _ => "body",
    };
    std::iter::once(Location::from(root))
        .chain(error.path.iter().map(|segment| match segment {
            PathSegment::Field(name) => Location::from(wire_field_name(name)),
            PathSegment::Index(index) => Location::Index(*index),
        }))
        .collect()
}

/// The 422 issue of a domain field error.
pub fn issue(error: &FieldError) -> ValidationIssue {
    ValidationIssue::new(location(error), error.message.clone(), error.error_type)
}

impl From<UseCaseError> for ApiError {
    fn from(error: UseCaseError) -> Self {
        match error {
            UseCaseError::Invalid(errors) => {
                ApiError::Validation(errors.iter().map(issue).collect())
            }
            UseCaseError::NotFound(resource) => ApiError::NotFound(
                match resource {
                    Resource::Product => "Produto não encontrado",
                    Resource::Customer => "Cliente não encontrado",
                    Resource::Order => "Pedido não encontrado",
                }
                .to_owned(),
            ),
            UseCaseError::Conflict(conflict) => ApiError::Conflict(conflict_message(conflict)),
            UseCaseError::Unauthenticated => ApiError::Unauthorized(
                "Autentique-se para fazer um pedido em nome de um cliente".to_owned(),
            ),
            UseCaseError::Forbidden(reason) => {
                ApiError::Forbidden(format!("Acesso negado: {reason}"))
            }
            UseCaseError::Port(error) => port_error(error),
        }
    }
}

fn conflict_message(conflict: Conflict) -> String {
    match conflict {
        // Deliberately says nothing about whom the CPF or email belongs to (v1 returned the
        // other customer's record, CPF included).
        Conflict::CustomerAlreadyRegistered => "CPF ou e-mail já cadastrado".to_owned(),
        Conflict::InsufficientStock { product_names } => {
            format!("Estoque insuficiente para: {}", product_names.join(", "))
        }
        Conflict::IdempotencyKeyReused => {
            "Idempotency-Key já usada com outro conteúdo de pedido".to_owned()
        }
        Conflict::StatusTransitionNotAllowed { from, to, allowed } => {
            let allowed = if allowed.is_empty() {
                "nenhuma".to_owned()
            } else {
                allowed.join(", ")
            };
            format!(
                "Transição de status não permitida: {from} → {to}. Permitidas a partir de {from}: {allowed}"
            )
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(error: PaymentError) -> Self {
        match error {
            PaymentError::OrderNotFound => ApiError::NotFound("Pedido não encontrado".to_owned()),
            PaymentError::NotAwaitingPayment(status) => ApiError::Conflict(format!(
                "Pedido não está aguardando pagamento (status: {})",
                status.wire_name()
            )),
            PaymentError::NoPendingPayment => ApiError::Conflict(
                "Nenhum pagamento pendente para este pedido; gere o QR code primeiro".to_owned(),
            ),
            PaymentError::SimulatorDisabled => ApiError::NotFound(
                "Simulador de pagamento desativado: o Mercado Pago está configurado".to_owned(),
            ),
            PaymentError::Signature(_) => ApiError::SignatureRefused,
            PaymentError::Provider(error) => {
                tracing::warn!(error = %ErrorChain(&error), "payment provider failed");
                ApiError::Unavailable("Provedor de pagamento indisponível".to_owned())
            }
            PaymentError::ChargeNotAttachedYet => ApiError::Unavailable(
                "Pagamento ainda sendo registrado; reenvie a notificação".to_owned(),
            ),
            PaymentError::Port(error) => port_error(error),
        }
    }
}

impl From<PortError> for ApiError {
    fn from(error: PortError) -> Self {
        port_error(error)
    }
}

fn port_error(error: PortError) -> ApiError {
    match error {
        PortError::Unavailable { dependency, .. } => {
            tracing::warn!(dependency, cause = %ErrorChain(&error), "dependency unavailable");
            ApiError::Unavailable("Serviço temporariamente indisponível".to_owned())
        }
        PortError::UnstorableText { dependency, .. } => {
            tracing::warn!(
                dependency,
                cause = %ErrorChain(&error),
                "text the validation let through was refused"
            );
            ApiError::invalid(
                vec!["body".into()],
                "O texto enviado contém um caractere que não pode ser armazenado \
                 (por exemplo, o caractere nulo \\u0000)",
                "value_error",
            )
        }
        unexpected @ PortError::Unexpected { .. } => ApiError::Internal(Box::new(unexpected)),
    }
}
