//! Adapters: the HTTP interface, PostgreSQL, Cognito, and the two payment providers behind
//! the app's one port (`application::payments::provider::PaymentProvider`): Mercado Pago and
//! the simulated provider of local runs.

pub mod cognito;
pub mod http;
pub mod local_outbox;
pub mod mercadopago;
pub mod order_metrics;
pub mod payment_expiry;
pub mod payment_metrics;
pub mod postgres;
pub mod qr_image;
pub mod registration_reconciler;
pub mod ses_mailer;
pub mod simulated_payments;
