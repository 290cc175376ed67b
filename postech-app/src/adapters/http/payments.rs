//! Payment routes: the QR code of an order, its payment status, Mercado Pago's webhook and
//! the simulator of local runs.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::adapters::http::error::{ApiError, ErrorBody, ValidationErrorBody};
use crate::adapters::http::orders::timestamp;
use crate::adapters::http::state::AppState;
use crate::adapters::qr_image;
use crate::application::error::because;
use crate::application::payments::model::StoredPayment;
use crate::application::payments::notification::Notification;
use crate::application::payments::{PaymentView, WebhookOutcome};
use crate::domain::ids::OrderId;
use crate::domain::money::{Money, as_json_number};
use crate::domain::order::PaymentStatus;

/// The QR code of an order's pending payment.
#[derive(Serialize, ToSchema)]
pub struct QrCodeBody {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: &'static str,
    /// The payment attempt's id.
    id: Uuid,
    /// The provider's payment id (Mercado Pago's `data.id`).
    qrcode_id: Option<String>,
    /// A page showing the QR code (Mercado Pago's `ticket_url`); null with the simulator.
    qrcode_url: Option<String>,
    /// The Pix BR Code ("copia e cola") the QR code encodes.
    qr_data: Option<String>,
    /// The QR code as a base64 PNG, ready for `<img src="data:image/png;base64,…">`:
    /// Mercado Pago's own picture, or rendered from `qr_data` (simulated provider). The same
    /// picture is served by `GET /v1/api/pagamentos/{pedido_id}/qrcode.png`.
    qr_code_base64: Option<String>,
    /// Equal to the order total.
    #[serde(with = "as_json_number")]
    #[schema(value_type = f64, example = 41.7)]
    valor: Money,
    /// When the charge stops being payable (RFC 3339, UTC).
    expira_em: Option<String>,
}

impl From<StoredPayment> for QrCodeBody {
    fn from(payment: StoredPayment) -> Self {
        let qr_code_base64 = payment.qr_code_base64.clone().or_else(|| {
            payment
                .qr_data
                .as_deref()
                .and_then(|data| qr_image::png_base64(data).ok())
        });
        Self {
            status: "ok",
            id: payment.id.into_uuid(),
            qrcode_id: payment.provider_payment_id,
            qrcode_url: payment.qr_code_url,
            qr_data: payment.qr_data,
            qr_code_base64,
            valor: payment.amount,
            expira_em: payment.expires_at.map(timestamp),
        }
    }
}

/// The stored payment state of an order.
#[derive(Serialize, ToSchema)]
pub struct PaymentStatusBody {
    pedido_id: Uuid,
    /// pendente, aprovado, rejeitado, cancelado or expirado.
    #[schema(example = "aprovado")]
    status_pagamento: &'static str,
    #[serde(with = "as_json_number")]
    #[schema(value_type = f64, example = 41.7)]
    valor: Money,
    /// When the payment was approved (RFC 3339, UTC).
    data_confirmacao: Option<String>,
    qrcode_url: Option<String>,
}

impl From<PaymentView> for PaymentStatusBody {
    fn from(view: PaymentView) -> Self {
        Self {
            pedido_id: view.order_id.into_uuid(),
            status_pagamento: view.status.wire_name(),
            valor: view.amount,
            data_confirmacao: view.confirmed_at.map(timestamp),
            qrcode_url: view.qr_code_url,
        }
    }
}

/// The acknowledgement of a notification.
#[derive(Serialize, ToSchema)]
pub struct WebhookAckBody {
    /// `processado` (a payment changed), `sem_alteracao` or `ignorado`.
    #[schema(example = "processado")]
    status: &'static str,
    /// Why it was ignored (`not_a_payment`, `unknown_payment`, `amount_mismatch`, ...).
    motivo: Option<&'static str>,
}

/// The parts of Mercado Pago's notification body this service reads (everything else,
/// including any order or amount it might claim, is ignored).
#[derive(Deserialize, ToSchema)]
pub struct WebhookBody {
    /// `payment`, `merchant_order`, ...
    #[serde(default, rename = "type")]
    kind: Option<String>,
    /// `{"id": "<payment id>"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    data: Option<serde_json::Value>,
}

/// The QR code of the order's pending payment, created through the provider when the order
/// has none. A repeat returns the same pending payment.
#[utoipa::path(
    tag = "pagamentos",
    responses(
        (status = 200, body = QrCodeBody),
        (status = 404, description = "Unknown order", body = ErrorBody),
        (status = 409, description = "The order is not awaiting payment", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
        (status = 503, description = "Payment provider unavailable", body = ErrorBody),
    )
)]
#[get("/v1/api/pagamentos/{order_id}/qrcode")]
async fn qr_code(
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
) -> Result<web::Json<QrCodeBody>, ApiError> {
    let payment = state
        .payments
        .issue_qr_code(OrderId::from(order_id.into_inner()))
        .await?;
    // A new attempt after a refusal shows as pending again in the kitchen list.
    state.kitchen_changed();
    Ok(web::Json(payment.into()))
}

/// A PNG picture: the schema of a binary body, for the OpenAPI document only.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PngPicture(#[allow(dead_code)] Vec<u8>);

/// The same QR code as `…/qrcode`, as a PNG picture a kiosk can put straight into an
/// `<img>`: the order's pending payment, created through the provider when it has none.
#[utoipa::path(
    tag = "pagamentos",
    responses(
        (status = 200, description = "The QR code (PNG)", content_type = "image/png", body = PngPicture),
        (status = 404, description = "Unknown order", body = ErrorBody),
        (status = 409, description = "The order is not awaiting payment", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
        (status = 503, description = "Payment provider unavailable", body = ErrorBody),
    )
)]
#[get("/v1/api/pagamentos/{order_id}/qrcode.png")]
async fn qr_code_png(
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let payment = state
        .payments
        .issue_qr_code(OrderId::from(order_id.into_inner()))
        .await?;
    state.kitchen_changed();
    let picture = payment
        .qr_code_base64
        .as_deref()
        .and_then(qr_image::decode_png_base64)
        .map(Ok)
        .or_else(|| payment.qr_data.as_deref().map(qr_image::png))
        .transpose()
        .map_err(|error| ApiError::Internal(because("QR code picture", error)))?
        .ok_or_else(|| {
            ApiError::Unavailable(
                "O provedor ainda não enviou o QR code; tente novamente".to_owned(),
            )
        })?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        // The picture of a pending payment; a new attempt is another picture.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(picture))
}

/// The stored payment state of an order (the stored truth, never the provider's guess).
#[utoipa::path(
    tag = "pagamentos",
    responses(
        (status = 200, body = PaymentStatusBody),
        (status = 404, description = "Unknown order", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[get("/v1/api/pagamentos/{order_id}/status")]
async fn payment_status(
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
) -> Result<web::Json<PaymentStatusBody>, ApiError> {
    let view = state
        .payments
        .status(OrderId::from(order_id.into_inner()))
        .await?;
    Ok(web::Json(view.into()))
}

/// Mercado Pago's notifications. The `x-signature` is verified, then the payment named by
/// `data.id` is fetched from Mercado Pago and only that answer is applied.
#[utoipa::path(
    tag = "pagamentos",
    request_body = WebhookBody,
    params(
        ("data.id" = Option<String>, Query, description = "The payment id (signed)"),
        ("type" = Option<String>, Query, description = "The topic, `payment`"),
        ("x-signature" = String, Header, description = "`ts=<timestamp>,v1=<HMAC-SHA256 hex>`"),
        ("x-request-id" = String, Header, description = "Part of the signed manifest"),
    ),
    responses(
        (status = 200, description = "Acknowledged (processed, unchanged or ignored)", body = WebhookAckBody),
        (status = 401, description = "Signature missing, wrong or older than 5 minutes", body = ErrorBody),
        (status = 503, description = "Mercado Pago or the database unreachable: retry", body = ErrorBody),
    )
)]
#[post("/v1/api/pagamentos/webhook")]
async fn webhook(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> Result<web::Json<WebhookAckBody>, ApiError> {
    let notification = notification(&request, &query, &body);
    let outcome = state.payments.receive_notification(&notification).await?;
    state.kitchen_changed();
    Ok(web::Json(acknowledgement(outcome)))
}

/// Simulated provider only: approves the order's pending payment and delivers the signed
/// notification through the webhook's path. 404 when Mercado Pago is configured.
#[utoipa::path(
    tag = "pagamentos",
    responses(
        (status = 200, body = PaymentStatusBody),
        (status = 404, description = "Unknown order, or the real provider is configured", body = ErrorBody),
        (status = 409, description = "No pending payment: issue the QR code first", body = ErrorBody),
        (status = 422, description = "The id is not a UUID", body = ValidationErrorBody),
    )
)]
#[post("/v1/api/pagamentos/simulador/{order_id}/aprovar")]
async fn simulate_approval(
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
) -> Result<web::Json<PaymentStatusBody>, ApiError> {
    simulate(&state, order_id.into_inner(), PaymentStatus::Approved).await
}

/// Simulated provider only: rejects the order's pending payment (the order stays
/// `Recebido`, so a new QR code can be issued). 404 when Mercado Pago is configured.
#[utoipa::path(
    tag = "pagamentos",
    responses(
        (status = 200, body = PaymentStatusBody),
        (status = 404, description = "Unknown order, or the real provider is configured", body = ErrorBody),
        (status = 409, description = "No pending payment: issue the QR code first", body = ErrorBody),
        (status = 422, description = "The id is not a UUID", body = ValidationErrorBody),
    )
)]
#[post("/v1/api/pagamentos/simulador/{order_id}/rejeitar")]
async fn simulate_rejection(
    state: web::Data<AppState>,
    order_id: web::Path<Uuid>,
) -> Result<web::Json<PaymentStatusBody>, ApiError> {
    simulate(&state, order_id.into_inner(), PaymentStatus::Rejected).await
}

async fn simulate(
    state: &AppState,
    order_id: Uuid,
    outcome: PaymentStatus,
) -> Result<web::Json<PaymentStatusBody>, ApiError> {
    let view = state
        .payments
        .simulate(OrderId::from(order_id), outcome)
        .await?;
    state.kitchen_changed();
    Ok(web::Json(view.into()))
}

/// The raw notification: query `data.id`/`type` (or `topic`), body `type`/`data.id`, and the
/// two signature headers. A body that is not JSON is treated as empty.
fn notification(
    request: &HttpRequest,
    query: &HashMap<String, String>,
    body: &[u8],
) -> Notification {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let body: Option<WebhookBody> = serde_json::from_slice(body).ok();
    let body_data_id = body
        .as_ref()
        .and_then(|body| body.data.as_ref())
        .and_then(|data| data.get("id"))
        .and_then(|id| match id {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        });
    Notification {
        query_data_id: query.get("data.id").cloned(),
        query_type: query.get("type").or_else(|| query.get("topic")).cloned(),
        body_data_id,
        body_type: body.and_then(|body| body.kind),
        signature: header("x-signature"),
        request_id: header("x-request-id"),
    }
}

fn acknowledgement(outcome: WebhookOutcome) -> WebhookAckBody {
    match outcome {
        WebhookOutcome::Applied(_) => WebhookAckBody {
            status: "processado",
            motivo: None,
        },
        WebhookOutcome::Unchanged => WebhookAckBody {
            status: "sem_alteracao",
            motivo: None,
        },
        WebhookOutcome::Ignored(reason) => WebhookAckBody {
            status: "ignorado",
            motivo: Some(reason),
        },
    }
}

/// Registers the payment routes.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(webhook)
        .service(qr_code)
        .service(qr_code_png)
        .service(payment_status)
        .service(simulate_approval)
        .service(simulate_rejection);
}
