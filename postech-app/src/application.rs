//! Use cases: the rules of each route family, over the PostgreSQL functions of
//! `adapters::postgres` (no port trait where there is one implementation; the payment
//! provider, which has two, is the one port). No HTTP here.

pub mod caller;
pub mod catalog;
pub mod checkout;
pub mod customers;
pub mod error;
pub mod orders;
pub mod payments;
