//! Shared building blocks of the postech services.
//!
//! * [`cpf`] — the Brazilian taxpayer id with its check digits, normalisation and masking.
//! * [`ids`], [`money`], [`catalog`], [`customer`], [`order`] — the domain the HTTP
//!   contract speaks about, with the order state machine; [`validation`] — the field errors
//!   all of them report.
//! * [`token`] — Ed25519 JWT issue and verification with the claims of the architecture.
//! * [`cognito`] — customer and admin identities in Amazon Cognito.
//! * [`secrets`] — typed secrets from AWS Secrets Manager, with environment fallbacks.
//! * [`telemetry`] — JSON logs and OpenTelemetry traces exported over OTLP.
//! * [`aws_timeouts`] — the bounds every AWS call of these clients runs within.

pub mod aws_timeouts;
pub mod catalog;
pub mod cognito;
pub mod cpf;
pub mod customer;
pub mod ids;
#[cfg(feature = "local-aws")]
pub mod local_aws;
#[cfg(feature = "local-aws")]
pub mod local_otlp;
pub mod money;
pub mod order;
pub mod secrets;
pub mod telemetry;
pub mod token;
pub mod validation;
