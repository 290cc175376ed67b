//! The postech ordering API: catalogue, customers, checkout and the kitchen queue.
//!
//! Layout (see the README's diagram): [`domain`] (from the shared SDK) ← [`application`]
//! (use cases: the rules) ← [`adapters`] (HTTP handlers, the PostgreSQL functions, Cognito,
//! the payment providers) ← [`startup`] and the binary (wiring).

pub mod adapters;
pub mod application;
pub mod configuration;
pub mod domain;
pub mod startup;
