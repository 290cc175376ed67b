//! Customer identities in Amazon Cognito, through the SDK's client.

use crate::application::customers::IdentityError;
use crate::application::error::PortError;
use crate::domain::cognito::{CognitoClient, CognitoError, NewCustomerIdentity};
use crate::domain::cpf::Cpf;

const DEPENDENCY: &str = "cognito";

/// Customer identities over the SDK's [`CognitoClient`], its errors sorted into what the
/// registration can act on.
#[derive(Clone, Debug)]
pub struct CognitoIdentities {
    client: CognitoClient,
}

impl CognitoIdentities {
    /// The identities of `client`'s user pool.
    pub fn new(client: CognitoClient) -> Self {
        Self { client }
    }

    /// Creates the identity of a customer (username = CPF digits).
    pub async fn register_customer(
        &self,
        identity: &NewCustomerIdentity,
    ) -> Result<(), IdentityError> {
        self.client
            .register_customer(identity)
            .await
            .map_err(identity_error)
    }

    /// Marks the customer's e-mail verified in Cognito (the registration code was confirmed).
    pub async fn mark_email_verified(&self, cpf: &Cpf) -> Result<(), IdentityError> {
        self.client
            .mark_customer_email_verified(cpf)
            .await
            .map_err(identity_error)
    }

    /// Removes a customer's identity (compensation of a failed registration).
    pub async fn delete_customer(&self, cpf: &Cpf) -> Result<(), IdentityError> {
        self.client
            .delete_customer(cpf)
            .await
            .map_err(identity_error)
    }
}

/// The SDK's errors never carry the CPF, so their text can go to the logs as is.
fn identity_error(error: CognitoError) -> IdentityError {
    match error {
        CognitoError::AlreadyRegistered => IdentityError::AlreadyRegistered,
        CognitoError::Throttled | CognitoError::Unavailable(_) => {
            IdentityError::Port(PortError::Unavailable {
                dependency: DEPENDENCY,
                cause: error.into(),
            })
        }
        other => IdentityError::Port(PortError::Unexpected {
            dependency: DEPENDENCY,
            cause: other.into(),
        }),
    }
}
