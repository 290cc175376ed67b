//! Black-box tests of the pure domain of the SDK: CPF, money, ids, catalog and orders.

mod catalog;
mod cpf;
mod ids;
mod money;
mod order_checkout;
mod order_status;
