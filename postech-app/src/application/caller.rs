//! Who is calling, as far as the use cases care.

use crate::domain::ids::CustomerId;

/// The verified identity behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No token: a kiosk customer who did not identify.
    Anonymous,
    /// A customer token; its subject is the customer's id.
    Customer(CustomerId),
    /// A staff member in the Cognito `admin` group.
    Admin {
        /// The admin's username (the token subject).
        username: String,
    },
}

impl Caller {
    /// The customer id, for customer callers.
    pub fn customer_id(&self) -> Option<CustomerId> {
        match self {
            Caller::Customer(id) => Some(*id),
            Caller::Anonymous | Caller::Admin { .. } => None,
        }
    }

    /// Whether the caller is staff.
    pub fn is_admin(&self) -> bool {
        matches!(self, Caller::Admin { .. })
    }

    /// How the caller is recorded in an order's status history.
    pub fn actor(&self) -> String {
        match self {
            Caller::Anonymous => "kiosk".to_owned(),
            Caller::Customer(_) => "customer".to_owned(),
            Caller::Admin { username } => format!("admin:{username}"),
        }
    }
}
