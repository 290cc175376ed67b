//! Use cases and the ports they need. No HTTP, no SQL: adapters plug in through
//! [`ports`].

pub mod caller;
pub mod catalog;
pub mod checkout;
pub mod customers;
pub mod error;
pub mod orders;
pub mod payments;
pub mod ports;
