//! The postech ordering API: catalogue, customers, checkout and the kitchen queue.
//!
//! Layout (CONVENTIONS.md): [`domain`] (from the shared SDK) ← [`application`] (use cases
//! and ports) ← [`adapters`] (HTTP, PostgreSQL, Cognito) ← [`startup`] and the binary (wiring).

pub mod adapters;
pub mod application;
pub mod configuration;
pub mod domain;
pub mod startup;
