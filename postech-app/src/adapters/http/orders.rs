//! Order routes: checkout and reading an order.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::adapters::http::error::{ApiError, ErrorBody, ValidationErrorBody};
use crate::adapters::http::extract::ValidJson;
use crate::adapters::http::state::AppState;
use crate::application::caller::Caller;
use crate::application::checkout::PlaceOrder;
use crate::application::error::because;
use crate::application::orders::OrderRecord;
use crate::domain::ids::{CustomerId, OrderId, ProductId};
use crate::domain::money::{Money, as_json_number};
use crate::domain::order::OrderLineRequest;

/// Header of a client-chosen key that makes a checkout safe to retry.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Set to `true` on the answer to a retried checkout.
pub const IDEMPOTENT_REPLAYED_HEADER: &str = "idempotent-replayed";

/// One line of a checkout. Fields it does not know are ignored, as v1 (pydantic) ignored
/// them: clients migrate without rewrites (see [`CheckoutInput`]).
#[derive(Deserialize, ToSchema)]
pub struct CheckoutLineInput {
    produto_id: Uuid,
    /// 1–50.
    quantidade: i64,
}

/// A checkout. Unknown fields are ignored, as v1 (pydantic's default) ignored them, so a
/// kiosk that sends extra fields keeps working; every field that matters is still checked
/// (`cliente_id` included: it is a known field, never an ignored one).
#[derive(Deserialize, ToSchema)]
pub struct CheckoutInput {
    /// 1–20 lines, each product at most once.
    itens: Vec<CheckoutLineInput>,
    /// Up to 500 characters.
    #[serde(default)]
    observacoes: Option<String>,
    /// Must be the token's customer; refused without a token.
    #[serde(default)]
    cliente_id: Option<Uuid>,
}

/// A line of an order, priced from the checkout-time snapshot.
#[derive(Serialize, ToSchema)]
pub struct OrderItemBody {
    produto_id: Uuid,
    produto_nome: String,
    #[serde(with = "as_json_number")]
    #[schema(value_type = f64, example = 15.9)]
    produto_preco: Money,
    quantidade: u32,
    #[serde(with = "as_json_number")]
    #[schema(value_type = f64, example = 31.8)]
    subtotal: Money,
}

/// An order.
#[derive(Serialize, ToSchema)]
pub struct OrderBody {
    id: Uuid,
    /// Display number called at the counter.
    numero: i64,
    cliente_id: Option<Uuid>,
    /// Only for the order's owner and staff.
    cliente_nome: Option<String>,
    /// Recebido, Pago, Em preparação, Pronto, Finalizado or Cancelado.
    #[schema(example = "Recebido")]
    status: &'static str,
    /// pendente, aprovado, rejeitado, cancelado or expirado.
    #[schema(example = "pendente")]
    status_pagamento: &'static str,
    /// RFC 3339, UTC.
    data_criacao: String,
    itens: Vec<OrderItemBody>,
    #[serde(with = "as_json_number")]
    #[schema(value_type = f64, example = 50.7)]
    valor_total: Money,
    observacoes: Option<String>,
}

/// An order whose lines cannot be summed (a stored price or quantity out of range) is a 500,
/// never a total of 0: a kiosk must not show, nor a kitchen take, an order at the wrong price.
impl TryFrom<OrderRecord> for OrderBody {
    type Error = ApiError;

    fn try_from(record: OrderRecord) -> Result<Self, ApiError> {
        let order = record.order;
        let out_of_range = |error: crate::domain::money::MoneyError| {
            ApiError::Internal(because(
                format!("order {}: amounts out of range", order.id),
                error,
            ))
        };
        let itens = order
            .items
            .iter()
            .map(|item| {
                Ok(OrderItemBody {
                    produto_id: item.product_id.into_uuid(),
                    produto_nome: item.product_name.clone(),
                    produto_preco: item.unit_price,
                    quantidade: item.quantity,
                    subtotal: item.subtotal().map_err(out_of_range)?,
                })
            })
            .collect::<Result<Vec<OrderItemBody>, ApiError>>()?;
        let valor_total = order.total().map_err(out_of_range)?;
        Ok(Self {
            id: order.id.into_uuid(),
            numero: order.number,
            cliente_id: order.customer_id.map(CustomerId::into_uuid),
            cliente_nome: record.customer_name,
            status: order.status.wire_name(),
            status_pagamento: order.payment_status.wire_name(),
            data_criacao: timestamp(order.created_at),
            itens,
            valor_total,
            observacoes: order.notes,
        })
    }
}

/// RFC 3339 in UTC with `Z`, as the contract fixes.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Places an order. With `Idempotency-Key`, a retry answers the same order.
#[utoipa::path(
    tag = "pedidos",
    request_body = CheckoutInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses(
        (status = 201, body = OrderBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, description = "Stock short, or the key was used with another body", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
        (
            status = 503,
            description = "The database is unreachable (a restart, a failover): retry with the same Idempotency-Key",
            body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))
        ),
    )
)]
#[post("/v1/api/pedidos")]
async fn checkout(
    request: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    ValidJson(input): ValidJson<CheckoutInput>,
) -> Result<HttpResponse, ApiError> {
    let idempotency_key = match request.headers().get(IDEMPOTENCY_KEY_HEADER) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| {
                    ApiError::invalid(
                        vec!["header".into(), "Idempotency-Key".into()],
                        "Idempotency-Key deve ser ASCII",
                        "value_error",
                    )
                })?
                .to_owned(),
        ),
    };
    let command = PlaceOrder {
        lines: input
            .itens
            .iter()
            .map(|line| OrderLineRequest {
                product_id: ProductId::from(line.produto_id),
                quantity: line.quantidade,
            })
            .collect(),
        notes: input.observacoes,
        customer_in_body: input.cliente_id.map(CustomerId::from),
        idempotency_key,
    };
    let outcome = state.checkout.place(&caller, command).await?;
    state.kitchen_changed();
    let mut response = HttpResponse::Created();
    if outcome.replayed {
        response.insert_header((IDEMPOTENT_REPLAYED_HEADER, "true"));
    } else {
        // The stock shown changed; this pod's next menu must show it without waiting for
        // the database's notification.
        state.menu.invalidate();
    }
    Ok(response.json(OrderBody::try_from(outcome.order.as_seen_by(&caller))?))
}

/// One order; `cliente_nome` only for its owner or staff.
#[utoipa::path(
    tag = "pedidos",
    responses(
        (status = 200, body = OrderBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[get("/v1/api/pedidos/{order_id}")]
async fn get_order(
    caller: Caller,
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
) -> Result<web::Json<OrderBody>, ApiError> {
    let order = state
        .orders
        .get(&caller, OrderId::from(order_id.into_inner()))
        .await?;
    Ok(web::Json(order.try_into()?))
}

/// Registers the order routes.
pub fn routes(config: &mut ServiceConfig) {
    config.service(checkout).service(get_order);
}
