//! Wiring of payments: the provider the settings choose (and say so in the logs), the
//! repository, the metrics and the use cases.

use std::sync::Arc;

use prometheus::Registry;

use super::StartupError;
use crate::adapters::mercadopago::MercadoPagoProvider;
use crate::adapters::order_metrics::OrderMetrics;
use crate::adapters::payment_metrics::{PaymentMetrics, ProviderMetrics};
use crate::adapters::postgres::PgPool;
use crate::adapters::simulated_payments::SimulatedPaymentProvider;
use crate::application::payments::Payments;
use crate::application::payments::provider::PaymentProvider;
use crate::configuration::payments::{PaymentSettings, ProviderSettings};

/// The payment use cases over `pool`, counting into `registry` (and the orders they pay or
/// cancel into `orders`).
pub fn payments(
    settings: &PaymentSettings,
    pool: PgPool,
    registry: &Registry,
    orders: OrderMetrics,
) -> Result<Payments, StartupError> {
    let provider_metrics =
        ProviderMetrics::register(registry).map_err(|error| StartupError::Setup(error.into()))?;
    let (provider, simulator): (
        Arc<dyn PaymentProvider>,
        Option<Arc<SimulatedPaymentProvider>>,
    ) = match &settings.provider {
        ProviderSettings::MercadoPago(mercadopago) => {
            tracing::info!(
                api_base_url = %mercadopago.api_base_url,
                "payments: Mercado Pago (Pix through the Payments API)"
            );
            let provider = MercadoPagoProvider::new(mercadopago, provider_metrics)
                .map_err(|error| StartupError::Setup(error.into()))?;
            (Arc::new(provider), None)
        }
        ProviderSettings::Simulated { webhook_secret } => {
            tracing::warn!(
                "payments: SIMULATED provider — no Mercado Pago credentials are configured \
                     (MERCADOPAGO_SECRET_ID or MERCADOPAGO_ACCESS_TOKEN). Nobody is charged; \
                     POST /v1/api/pagamentos/simulador/{{pedido_id}}/aprovar settles a payment"
            );
            let simulated = Arc::new(SimulatedPaymentProvider::new(webhook_secret.clone()));
            (simulated.clone(), Some(simulated))
        }
    };
    let metrics =
        PaymentMetrics::register(registry).map_err(|error| StartupError::Setup(error.into()))?;
    Ok(Payments::new(
        pool,
        provider,
        simulator,
        metrics,
        orders,
        settings.expiry,
    ))
}
