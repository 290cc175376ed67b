//! Staff order routes: the kitchen list, the order with its history, status changes and
//! cancellation.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::adapters::http::auth::AdminCaller;
use crate::adapters::http::error::{ApiError, ErrorBody, ValidationErrorBody};
use crate::adapters::http::extract::ValidJson;
use crate::adapters::http::orders::{OrderBody, timestamp};
use crate::adapters::http::prepared_cache::{Keep, Prepared};
use crate::adapters::http::state::AppState;
use crate::adapters::postgres::orders::{self, KitchenPage};
use crate::application::error::because;
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

/// Largest page of the kitchen list.
pub const MAX_KITCHEN_PAGE: u32 = 500;

/// Paging of the kitchen list; without `limite`, the whole list (as v1 answered).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KitchenPageQuery {
    /// Orders per page, 1–500.
    limite: Option<u32>,
    /// Page number from 1 (default 1); needs `limite`.
    pagina: Option<u32>,
}

impl KitchenPageQuery {
    fn page(&self) -> Result<KitchenPage, ApiError> {
        let page_number = self.pagina.unwrap_or(1);
        if page_number == 0 || (page_number > 1 && self.limite.is_none()) {
            return Err(ApiError::invalid(
                vec!["query".into(), "pagina".into()],
                "A página começa em 1 e pede um limite",
                "value_error",
            ));
        }
        match self.limite {
            None => Ok(KitchenPage::default()),
            Some(limit) if (1..=MAX_KITCHEN_PAGE).contains(&limit) => Ok(KitchenPage {
                limit: Some(limit),
                offset: u64::from(page_number - 1) * u64::from(limit),
            }),
            Some(_) => Err(ApiError::invalid(
                vec!["query".into(), "limite".into()],
                format!("O limite deve estar entre 1 e {MAX_KITCHEN_PAGE}"),
                "value_error",
            )),
        }
    }
}

/// The kitchen list: open orders, Pronto > Em preparação > Pago > Recebido, oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(KitchenPageQuery),
    responses(
        (status = 200, body = [OrderBody]),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[get("/v1/api/admin/pedidos")]
async fn kitchen_list(
    _admin: AdminCaller,
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<KitchenPageQuery>,
) -> Result<HttpResponse, ApiError> {
    queue(&request, &state, &query).await
}

/// Same as the kitchen list (the v1 path).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(KitchenPageQuery),
    responses(
        (status = 200, body = [OrderBody]),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[get("/v1/api/admin/pedidos/em-aberto")]
async fn open_orders(
    _admin: AdminCaller,
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<KitchenPageQuery>,
) -> Result<HttpResponse, ApiError> {
    queue(&request, &state, &query).await
}

/// A page of the kitchen list, from the process's prepared pages while the database's
/// `postech_kitchen` notifications are being heard (`prepared_cache.rs`); a display that polls
/// may send the last `ETag` in `If-None-Match` and get 304 while its page is unchanged.
async fn queue(
    request: &HttpRequest,
    state: &AppState,
    query: &KitchenPageQuery,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let prepared = state
        .kitchen_pages
        .get(page, |keep| async move {
            let queue = match keep {
                Keep::Yes => orders::kitchen_queue(state.reads.writer(), page).await?,
                Keep::No => {
                    state
                        .reads
                        .read(move |pool| async move { orders::kitchen_queue(&pool, page).await })
                        .await?
                }
            };
            let body = queue
                .into_iter()
                .map(OrderBody::try_from)
                .collect::<Result<Vec<_>, _>>()?;
            let json = serde_json::to_vec(&body)
                .map_err(|error| ApiError::Internal(because("kitchen list JSON", error)))?;
            Ok::<_, ApiError>(Prepared::new(json))
        })
        .await?;
    // `private`: a staff answer, never kept by a shared cache.
    Ok(prepared.answer(request, "private, no-cache"))
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
        order: found.record.try_into()?,
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
    state.kitchen_changed();
    Ok(web::Json(order.try_into()?))
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
    state.kitchen_changed();
    // Stock released: shown on this pod's next menu.
    state.menu.invalidate();
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
