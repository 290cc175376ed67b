//! What a use case can answer besides success. The HTTP adapter maps each variant to a status.

use crate::domain::validation::FieldError;

/// Failure of a port (database, identity provider): the cause is for the logs only.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The dependency did not answer (connection refused, pool exhausted, timeout, throttled).
    #[error("{dependency} unavailable: {cause}")]
    Unavailable {
        /// Which dependency (`database`, `cognito`).
        dependency: &'static str,
        /// The underlying error, already free of personal data.
        cause: String,
    },
    /// The dependency refused to store a text the client sent: a character its encoding
    /// cannot hold (PostgreSQL's SQLSTATE 22021 or 22P05, e.g. NUL). Validation refuses such
    /// text first; one that slips through is still the client's, never a server error.
    #[error("{dependency} cannot store a text: {cause}")]
    UnstorableText {
        /// Which dependency.
        dependency: &'static str,
        /// The dependency's message (it names the bytes, never the text).
        cause: String,
    },
    /// The dependency answered something we did not expect: a bug or a broken invariant.
    #[error("{dependency} failed: {cause}")]
    Unexpected {
        /// Which dependency.
        dependency: &'static str,
        /// The underlying error, already free of personal data.
        cause: String,
    },
}

/// The things a client may ask for that may not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// A product (active ones only, for customers).
    Product,
    /// A customer.
    Customer,
    /// An order.
    Order,
}

/// Why a request cannot be carried out in the current state (HTTP 409).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// The CPF or the email belongs to an existing customer (no personal data attached).
    CustomerAlreadyRegistered,
    /// Not enough stock for these products (their names are public menu data).
    InsufficientStock {
        /// Names of the products short of stock.
        product_names: Vec<String>,
    },
    /// The `Idempotency-Key` was used before with a different request body.
    IdempotencyKeyReused,
    /// The order status cannot move as asked.
    StatusTransitionNotAllowed {
        /// Wire name of the current status.
        from: &'static str,
        /// Wire name of the status asked for.
        to: &'static str,
        /// Wire names of the statuses it may move to.
        allowed: Vec<&'static str>,
    },
}

/// The error of every use case.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// The input breaks a business rule (HTTP 422).
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// The thing asked for does not exist (HTTP 404).
    #[error("{0:?} not found")]
    NotFound(Resource),
    /// The request conflicts with the current state (HTTP 409).
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// No identity where one is required, e.g. a `cliente_id` in an anonymous checkout (401).
    #[error("authentication required")]
    Unauthenticated,
    /// The caller is known but may not do this (HTTP 403).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// A port failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

impl UseCaseError {
    /// A single field error.
    pub fn invalid(error: FieldError) -> Self {
        UseCaseError::Invalid(vec![error])
    }
}
