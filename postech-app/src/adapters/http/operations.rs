//! Operational routes: liveness, readiness and metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::adapters::http::error::ApiError;
use crate::adapters::http::state::AppState;
use crate::adapters::postgres;
use crate::application::error::{ErrorChain, because};

/// Liveness and readiness answers.
#[derive(Serialize, ToSchema)]
pub struct HealthBody {
    /// `healthy`, `ready` or `unavailable`.
    status: &'static str,
    /// The app's version.
    version: &'static str,
    /// `/health` only: the payment provider, `mercadopago` or `simulado` (no credentials:
    /// nobody is charged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pagamentos: Option<&'static str>,
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Liveness: the process answers. Never touches the database, so a database outage does
/// not make Kubernetes restart every pod.
#[utoipa::path(tag = "operacao", responses((status = 200, body = HealthBody)))]
#[get("/health")]
async fn health(state: web::Data<AppState>) -> web::Json<HealthBody> {
    web::Json(HealthBody {
        status: "healthy",
        version: VERSION,
        pagamentos: Some(if state.payments.simulator_enabled() {
            "simulado"
        } else {
            "mercadopago"
        }),
    })
}

/// Readiness: the database answers.
#[utoipa::path(
    tag = "operacao",
    responses((status = 200, body = HealthBody), (status = 503, body = HealthBody))
)]
#[get("/ready")]
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match postgres::ping(&state.pool).await {
        Ok(()) => HttpResponse::Ok().json(HealthBody {
            status: "ready",
            version: VERSION,
            pagamentos: None,
        }),
        Err(error) => {
            tracing::warn!(error = %ErrorChain(&error), "not ready");
            HttpResponse::ServiceUnavailable().json(HealthBody {
                status: "unavailable",
                version: VERSION,
                pagamentos: None,
            })
        }
    }
}

/// Prometheus text exposition: request counter and latency histogram by route pattern.
#[utoipa::path(
    tag = "operacao",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"))
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let body = state
        .metrics
        .render()
        .map_err(|error| ApiError::Internal(because("metrics", error)))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

/// Registers the operational routes.
pub fn routes(config: &mut ServiceConfig) {
    config.service(health).service(ready).service(metrics);
}
