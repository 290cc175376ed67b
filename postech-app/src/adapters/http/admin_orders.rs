//! Staff order routes: the kitchen list, the order with its history, status changes and
//! cancellation.

use actix_web::{HttpResponse, delete, get, patch, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::adapters::http::auth::AdminCaller;
use crate::adapters::http::error::{ApiError, ErrorBody, ValidationErrorBody};
use crate::adapters::http::extract::ValidJson;
use crate::adapters::http::orders::{OrderBody, timestamp};
use crate::adapters::http::state::AppState;
use crate::domain::ids::OrderId;
use crate::domain::order::OrderStatus;

/// Body of a status change. Unknown fields are ignored, as v1 ignored them.
#[derive(Deserialize, ToSchema)]
pub struct StatusInput {
    /// Recebido, Pago, Em preparação, Pronto, Finalizado or Cancelado.
    #[schema(example = "Em preparação")]
    status: String,
}

/// One status change.
#[derive(Serialize, ToSchema)]
pub struct StatusChangeBody {
    status: &'static str,
    /// RFC 3339, UTC.
    data: String,
}

/// An order with its status history.
#[derive(Serialize, ToSchema)]
pub struct OrderWithHistoryBody {
    #[serde(flatten)]
    order: OrderBody,
    historico_status: Vec<StatusChangeBody>,
}

/// The kitchen list: open orders, Pronto > Em preparação > Pago > Recebido, oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = [OrderBody]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/v1/api/admin/pedidos")]
async fn kitchen_list(
    _admin: AdminCaller,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<OrderBody>>, ApiError> {
    queue(&state).await
}

/// Same as the kitchen list (the v1 path).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = [OrderBody]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/v1/api/admin/pedidos/em-aberto")]
async fn open_orders(
    _admin: AdminCaller,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<OrderBody>>, ApiError> {
    queue(&state).await
}

async fn queue(state: &AppState) -> Result<web::Json<Vec<OrderBody>>, ApiError> {
    let orders = state.orders.kitchen_queue().await?;
    Ok(web::Json(orders.into_iter().map(OrderBody::from).collect()))
}

/// An order with its status history.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderWithHistoryBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[get("/v1/api/admin/pedidos/{order_id}")]
async fn order_with_history(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
) -> Result<web::Json<OrderWithHistoryBody>, ApiError> {
    let found = state
        .orders
        .with_history(OrderId::from(order_id.into_inner()))
        .await?;
    Ok(web::Json(OrderWithHistoryBody {
        order: found.record.into(),
        historico_status: found
            .history
            .into_iter()
            .map(|change| StatusChangeBody {
                status: change.status.wire_name(),
                data: timestamp(change.changed_at),
            })
            .collect(),
    }))
}

/// Moves an order along the state machine.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = StatusInput,
    responses(
        (status = 200, body = OrderBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Move not allowed; the message names the allowed ones", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[patch("/v1/api/admin/pedidos/{order_id}/status")]
async fn change_status(
    AdminCaller(admin): AdminCaller,
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
    ValidJson(input): ValidJson<StatusInput>,
) -> Result<web::Json<OrderBody>, ApiError> {
    let status = OrderStatus::from_wire_name(input.status.trim()).ok_or_else(|| {
        let names: Vec<&str> = OrderStatus::ALL
            .iter()
            .map(|status| status.wire_name())
            .collect();
        ApiError::invalid(
            vec!["body".into(), "status".into()],
            format!("Status desconhecido; use um de: {}", names.join(", ")),
            "enum",
        )
    })?;
    let order = state
        .orders
        .change_status(&admin, OrderId::from(order_id.into_inner()), status)
        .await?;
    Ok(web::Json(order.into()))
}

/// Cancels an order while Recebido or Pago (stock released, a pending payment cancelled here
/// and at the provider). Records are never erased.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[delete("/v1/api/admin/pedidos/{order_id}")]
async fn cancel_order(
    AdminCaller(admin): AdminCaller,
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .orders
        .cancel(&admin, OrderId::from(order_id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the staff order routes (`em-aberto` before `{order_id}`).
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(kitchen_list)
        .service(open_orders)
        .service(order_with_history)
        .service(change_status)
        .service(cancel_order);
}
