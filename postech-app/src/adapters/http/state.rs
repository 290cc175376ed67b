//! What every handler can reach: the use cases and the operational pieces.

use std::sync::Arc;

use crate::adapters::http::metrics::HttpMetrics;
use crate::application::catalog::Catalog;
use crate::application::checkout::Checkout;
use crate::application::customers::Customers;
use crate::application::orders::Orders;
use crate::application::ports::HealthProbe;

/// Shared by all workers (behind `web::Data`'s `Arc`).
#[derive(Clone)]
pub struct AppState {
    /// Menu use cases.
    pub catalog: Catalog,
    /// Customer use cases.
    pub customers: Customers,
    /// The checkout.
    pub checkout: Checkout,
    /// Placed orders.
    pub orders: Orders,
    /// Readiness of the database.
    pub readiness: Arc<dyn HealthProbe>,
    /// Prometheus series.
    pub metrics: HttpMetrics,
}
