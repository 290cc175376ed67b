//! Black-box payment tests: the real app on a free port, a fresh PostgreSQL database per
//! test, and a local HTTP double of Mercado Pago's Payments API (or the simulated provider).

// A failed expectation is the test failing: helpers (not only `#[test]` fns) may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod cancellation;
mod configuration;
mod database_restart;
mod expiry;
mod harness;
mod mercadopago_double;
mod provider_failures;
mod qr_code;
mod qr_image;
mod simulator;
mod slow_provider;
mod sweep_locking;
// The restart drill's private cluster (shared with the API tests' TLS cases).
#[allow(dead_code)]
#[path = "../api/throwaway_cluster.rs"]
mod throwaway_cluster;
mod unpaid_orders;
mod webhook;
mod webhook_secret;
