//! Who is calling, as far as the use cases care.

use crate::domain::ids::CustomerId;

/// The verified identity behind a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No token: a kiosk customer who did not identify.
    Anonymous,
    /// A customer token; its subject is the customer's id, and what its login proved decides
    /// whether the customer's personal data is shown in full.
    Customer(CustomerId, PersonalData),
    /// A staff member in the Cognito `admin` group.
    Admin {
        /// The admin's username (the token subject).
        username: String,
    },
}

/// How much of a customer's own personal data their token may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonalData {
    /// A kiosk token (a CPF alone, `amr: ["cpf"]`): masked, as `/clientes/me` masks it.
    Masked,
    /// A step-up token (a one-time code too): in full.
    Full,
}

impl Caller {
    /// The customer id, for customer callers.
    pub fn customer_id(&self) -> Option<CustomerId> {
        match self {
            Caller::Customer(id, _) => Some(*id),
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
            Caller::Customer(..) => "customer".to_owned(),
            Caller::Admin { username } => format!("admin:{username}"),
        }
    }
}
