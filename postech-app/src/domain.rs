//! The domain: entities, value objects and rules, all from the shared SDK so that every
//! service of the platform agrees on them. Re-exported here so the rest of the app names
//! `crate::domain::…` and a reader sees at once what is domain.

pub use postech_shared_sdk::{catalog, cognito, cpf, customer, ids, money, order, validation};
