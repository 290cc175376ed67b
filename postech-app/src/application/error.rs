//! What a use case can answer besides success. The HTTP adapter maps each variant to a status.

use std::error::Error;
use std::fmt;

use crate::domain::validation::FieldError;

/// The underlying error of a failure, kept whole (not flattened to text) so the log line of
/// the answer can print its whole `#[source]` chain.
pub type Cause = Box<dyn Error + Send + Sync + 'static>;

/// `source` with a sentence in front of it: what was being done when it failed.
pub fn because(context: impl Into<String>, source: impl Into<Cause>) -> Cause {
    Box::new(Because {
        context: context.into(),
        source: source.into(),
    })
}

/// The error of [`because`].
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
struct Because {
    context: String,
    #[source]
    source: Cause,
}

/// Shows an error and every `source()` under it, `outer: inner: innermost`: the one form in
/// which the log line of a failed request prints its cause.
pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(formatter, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

/// Failure of a port (database, identity provider): the cause is for the logs only.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The dependency did not answer (connection refused, pool exhausted, timeout, throttled).
    #[error("{dependency} unavailable")]
    Unavailable {
        /// Which dependency (`database`, `cognito`).
        dependency: &'static str,
        /// The underlying error, already free of personal data.
        #[source]
        cause: Cause,
    },
    /// The dependency refused to store a text the client sent: a character its encoding
    /// cannot hold (PostgreSQL's SQLSTATE 22021 or 22P05, e.g. NUL). Validation refuses such
    /// text first; one that slips through is still the client's, never a server error.
    #[error("{dependency} cannot store a text")]
    UnstorableText {
        /// Which dependency.
        dependency: &'static str,
        /// The dependency's error (its message names the bytes, never the text).
        #[source]
        cause: Cause,
    },
    /// The dependency answered something we did not expect: a bug or a broken invariant.
    #[error("{dependency} failed")]
    Unexpected {
        /// Which dependency.
        dependency: &'static str,
        /// The underlying error, already free of personal data.
        #[source]
        cause: Cause,
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
