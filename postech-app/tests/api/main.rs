//! Black-box tests: the real app on a free port, a fresh PostgreSQL database per test, moto
//! for Cognito and Secrets Manager. One test binary (linking is the slow part of building tests).

// A failed expectation is the test failing: helpers (not only `#[test]` fns) may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod admin_orders;
mod catalog;
mod checkout;
mod concurrency;
mod customers;
mod database_tls;
mod helpers;
mod identity_levels;
mod key_rotation;
mod kitchen_cache;
mod kitchen_queries;
mod kitchen_stream;
mod listener;
mod menu_cache;
mod operations;
mod pages;
mod read_replica;
mod registration;
mod repositories;
mod throwaway_cluster;
mod unstorable_text;
mod v1_clients;
