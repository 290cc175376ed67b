//! What every handler can reach: the use cases, the pool for plain reads, the metrics.

use crate::adapters::http::menu_cache::MenuCache;
use crate::adapters::http::metrics::HttpMetrics;
use crate::adapters::http::prepared_cache::PreparedCache;
use crate::adapters::postgres::orders::KitchenPage;
use crate::adapters::postgres::{PgPool, ReadPools};
use crate::application::catalog::Catalog;
use crate::application::checkout::Checkout;
use crate::application::customers::Customers;
use crate::application::orders::Orders;
use crate::application::payments::Payments;

/// Shared by all workers (behind `web::Data`'s `Arc`).
#[derive(Clone)]
pub struct AppState {
    /// Plain reads with no rule (the kitchen list, a customer's orders, the staff product
    /// list) go from their handler to `adapters::postgres` with it; readiness pings it.
    pub pool: PgPool,
    /// The read-only routes' reads (the kitchen list): the replica when it may answer, else
    /// the writer.
    pub reads: ReadPools,
    /// The kitchen list's pages as prepared answers, dropped on every `postech_kitchen`
    /// notification (an order created or moved, by any pod).
    pub kitchen_pages: PreparedCache<KitchenPage>,
    /// Menu use cases.
    pub catalog: Catalog,
    /// The public product list as prepared answers.
    pub menu: MenuCache,
    /// Customer use cases.
    pub customers: Customers,
    /// The checkout.
    pub checkout: Checkout,
    /// Placed orders.
    pub orders: Orders,
    /// Payments: QR codes, status, the webhook, the simulator.
    pub payments: Payments,
    /// Prometheus series.
    pub metrics: HttpMetrics,
}

impl AppState {
    /// This process just changed an order or its payment: its next kitchen list must show
    /// it without waiting for the database's notification to come back.
    pub fn kitchen_changed(&self) {
        self.kitchen_pages.invalidate();
    }
}
