//! Black-box tests of the pure domain of the SDK: CPF, money, ids, catalog and orders.

// A failed expectation is the test failing: helpers (not only `#[test]` fns) may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod catalog;
mod cpf;
mod ids;
mod money;
mod order_checkout;
mod order_status;
