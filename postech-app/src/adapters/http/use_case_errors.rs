//! Use-case errors → HTTP answers, with the English field names of the domain translated to
//! the Portuguese names of the wire contract.

use crate::adapters::http::error::{ApiError, Location, ValidationIssue};
use crate::application::error::{Conflict, PortError, Resource, UseCaseError};
use crate::domain::catalog::{FieldError, PathSegment};

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

fn port_error(error: PortError) -> ApiError {
    match error {
        PortError::Unavailable { dependency, cause } => {
            tracing::warn!(dependency, %cause, "dependency unavailable");
            ApiError::Unavailable("Serviço temporariamente indisponível".to_owned())
        }
        PortError::UnstorableText { dependency, cause } => {
            tracing::warn!(dependency, %cause, "text the validation let through was refused");
            ApiError::invalid(
                vec!["body".into()],
                "O texto enviado contém um caractere que não pode ser armazenado \
                 (por exemplo, o caractere nulo \\u0000)",
                "value_error",
            )
        }
        PortError::Unexpected { dependency, cause } => {
            ApiError::Internal(format!("{dependency}: {cause}"))
        }
    }
}
