//! The OpenAPI document: paths and schemas are collected from the registered services by
//! utoipa-actix-web, so a route cannot be served without being documented.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::adapters::http::kitchen_stream::frames::{
    ChangeEventBody, ClosedEventBody, QueueEventBody,
};
use crate::adapters::http::routes;

/// The document's fixed parts.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "postech API",
        description = "Ordering API of the postech kiosks: menu, customers, checkout, kitchen queue. \
            Collection paths answer with and without a trailing slash.",
    ),
    modifiers(&BearerSecurity),
    // The kitchen stream's event data (its route answers `text/event-stream`, so they are
    // not reached from a response body).
    components(schemas(QueueEventBody, ChangeEventBody, ClosedEventBody)),
    tags(
        (name = "catalogo", description = "Categories and products"),
        (name = "clientes", description = "Customer registration and profile"),
        (name = "pedidos", description = "Checkout and orders"),
        (name = "pagamentos", description = "QR code (Pix via Mercado Pago), payment status, Mercado Pago webhook, local simulator"),
        (name = "admin", description = "Staff routes (admin token)"),
        (name = "operacao", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The complete document, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    document
}
