//! Adapters: the HTTP interface, PostgreSQL and Cognito. Payments (Mercado Pago and the
//! simulated provider) arrive with the next issue as `mercadopago`, behind a port of their own.

pub mod cognito;
pub mod http;
pub mod postgres;
