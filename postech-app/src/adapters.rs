//! Adapters: the HTTP interface, PostgreSQL and Cognito. Payments (Mercado Pago and the
//! simulated provider) arrive with the next issue as `mercadopago`, behind a port of their own.

pub mod cognito;
pub mod http;
pub mod mercadopago;
pub mod payment_expiry;
pub mod payment_metrics;
pub mod postgres;
pub mod qr_image;
pub mod simulated_payments;
