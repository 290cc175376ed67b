//! The HTTP interface (actix-web): routes, extraction, errors and the operational
//! middleware. Wire names are Portuguese (the v1 contract); everything behind is English.

pub mod admin_orders;
pub mod auth;
pub mod customers;
pub mod error;
pub mod extract;
pub mod kitchen_stream;
pub mod menu_cache;
pub mod metrics;
pub mod openapi;
pub mod operations;
pub mod orders;
pub mod pages;
pub mod payments;
pub mod prepared_cache;
pub mod products;
pub mod request_id;
pub mod state;
pub mod trailing_slash;

use actix_web::HttpResponse;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::adapters::http::error::ErrorBody;

/// Every route of the app. Order matters where paths overlap (`em-aberto` before
/// `{order_id}`, `me` before nothing else but kept first for clarity).
pub fn routes(config: &mut ServiceConfig) {
    config
        .configure(operations::routes)
        .configure(products::routes)
        .configure(customers::routes)
        .configure(orders::routes)
        .configure(payments::routes)
        .configure(kitchen_stream::routes)
        .configure(admin_orders::routes);
}

/// The answer for paths no route matches, in the contract's error shape (FastAPI's text).
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody {
        detail: "Not Found".to_owned(),
    })
}
