//! Customer identities in Amazon Cognito, through the SDK's client.

use async_trait::async_trait;

use crate::application::error::PortError;
use crate::application::ports::{IdentityError, IdentityProvider};
use crate::domain::cognito::{CognitoClient, CognitoError, NewCustomerIdentity};
use crate::domain::cpf::Cpf;

const DEPENDENCY: &str = "cognito";

/// [`IdentityProvider`] over the SDK's [`CognitoClient`].
#[derive(Clone, Debug)]
pub struct CognitoIdentityProvider {
    client: CognitoClient,
}

impl CognitoIdentityProvider {
    /// The provider over `client`.
    pub fn new(client: CognitoClient) -> Self {
        Self { client }
    }
}

#[async_trait]
impl IdentityProvider for CognitoIdentityProvider {
    async fn register_customer(&self, identity: &NewCustomerIdentity) -> Result<(), IdentityError> {
        self.client
            .register_customer(identity)
            .await
            .map_err(identity_error)
    }

    async fn delete_customer(&self, cpf: &Cpf) -> Result<(), IdentityError> {
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
                cause: error.to_string(),
            })
        }
        other => IdentityError::Port(PortError::Unexpected {
            dependency: DEPENDENCY,
            cause: other.to_string(),
        }),
    }
}
