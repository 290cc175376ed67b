//! Use cases of customers: registration (database row and Cognito identity, both or neither),
//! the customer's own profile and the staff lookups.

use std::sync::Arc;

use crate::application::error::{Conflict, Resource, UseCaseError};
use crate::application::ports::{
    CustomerRepository, IdentityError, IdentityProvider, RegistrationError,
};
use crate::domain::catalog::{FieldError, check_storable_text};
use crate::domain::cognito::NewCustomerIdentity;
use crate::domain::cpf::Cpf;
use crate::domain::customer::{Customer, EmailError, normalize_email};
use crate::domain::ids::CustomerId;

/// Longest accepted customer name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Largest admin page.
pub const MAX_PAGE_SIZE: u32 = 100;

/// What a registration asks for, as received (validated here).
#[derive(Clone, Debug, Default)]
pub struct Registration {
    /// Display name.
    pub name: Option<String>,
    /// Email, any case.
    pub email: Option<String>,
    /// CPF text, formatted or digits.
    pub cpf: Option<String>,
}

/// A page of customers.
#[derive(Debug)]
pub struct CustomerPage {
    /// The customers of the page.
    pub customers: Vec<Customer>,
    /// How many customers exist in all.
    pub total: u64,
}

/// The customer use cases.
#[derive(Clone)]
pub struct Customers {
    customers: Arc<dyn CustomerRepository>,
    identities: Arc<dyn IdentityProvider>,
}

impl Customers {
    /// The use cases over a repository and an identity provider.
    pub fn new(
        customers: Arc<dyn CustomerRepository>,
        identities: Arc<dyn IdentityProvider>,
    ) -> Self {
        Self {
            customers,
            identities,
        }
    }

    /// Registers a customer. With a CPF, the Cognito identity is created while the row's
    /// transaction is open and the row commits only if Cognito succeeded; should the commit
    /// fail after that, the identity is deleted again. Without a CPF there is no identity to
    /// create (the Cognito username is the CPF); an empty registration is an anonymous customer.
    pub async fn register(&self, registration: Registration) -> Result<Customer, UseCaseError> {
        let customer = validate(registration)?;
        let identity = customer.cpf.clone().map(|cpf| NewCustomerIdentity {
            cpf,
            customer_id: customer.id,
            name: customer.name.clone(),
            email: customer.email.clone(),
        });
        let confirmation = identity
            .as_ref()
            .map(|identity| self.identities.register_customer(identity));
        match self
            .customers
            .insert_confirmed(&customer, confirmation)
            .await
        {
            Ok(()) => {
                tracing::info!(
                    customer_id = %customer.id,
                    cpf = %customer.cpf.as_ref().map(Cpf::masked).unwrap_or_default(),
                    "customer registered"
                );
                Ok(customer)
            }
            Err(RegistrationError::AlreadyRegistered)
            | Err(RegistrationError::ConfirmationFailed(IdentityError::AlreadyRegistered)) => {
                Err(UseCaseError::Conflict(Conflict::CustomerAlreadyRegistered))
            }
            Err(RegistrationError::ConfirmationFailed(IdentityError::Port(error)))
            | Err(RegistrationError::Port(error)) => Err(error.into()),
            Err(RegistrationError::CommitFailedAfterConfirmation(error)) => {
                if let Some(cpf) = customer.cpf.as_ref() {
                    self.undo_identity(cpf).await;
                }
                Err(error.into())
            }
        }
    }

    async fn undo_identity(&self, cpf: &Cpf) {
        if let Err(error) = self.identities.delete_customer(cpf).await {
            // Left for an operator: the identity exists without a row. Re-registering the
            // same CPF then answers 409 until the identity is removed.
            tracing::error!(cpf = %cpf.masked(), %error, "could not undo a customer identity");
        }
    }

    /// The calling customer's own record.
    pub async fn profile(&self, id: CustomerId) -> Result<Customer, UseCaseError> {
        self.customers
            .find_by_id(id)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Customer))
    }

    /// A customer by CPF (staff).
    pub async fn by_cpf(&self, cpf_text: &str) -> Result<Customer, UseCaseError> {
        let cpf = Cpf::parse(cpf_text).map_err(|_| {
            UseCaseError::invalid(FieldError::at_field("cpf", "value_error", "CPF inválido"))
        })?;
        self.customers
            .find_by_cpf(&cpf)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Customer))
    }

    /// A page of customers (staff); `page` counts from 1.
    pub async fn list(&self, page_size: u32, page: u32) -> Result<CustomerPage, UseCaseError> {
        let mut errors = Vec::new();
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            errors.push(FieldError::at_field(
                "limit",
                "value_error",
                format!("O limite deve estar entre 1 e {MAX_PAGE_SIZE}"),
            ));
        }
        if page == 0 {
            errors.push(FieldError::at_field(
                "page",
                "value_error",
                "A página começa em 1",
            ));
        }
        if !errors.is_empty() {
            return Err(UseCaseError::Invalid(errors));
        }
        let offset = u64::from(page - 1) * u64::from(page_size);
        let (customers, total) = self.customers.list(page_size, offset).await?;
        Ok(CustomerPage { customers, total })
    }
}

fn validate(registration: Registration) -> Result<Customer, UseCaseError> {
    let mut errors = Vec::new();
    let name = non_blank(registration.name);
    if let Some(Err(error)) = name
        .as_deref()
        .map(|name| check_storable_text("name", "O nome", name))
    {
        errors.push(error);
    }
    if name
        .as_ref()
        .is_some_and(|name| name.chars().count() > MAX_NAME_CHARS)
    {
        errors.push(FieldError::at_field(
            "name",
            "string_too_long",
            format!("O nome deve ter no máximo {MAX_NAME_CHARS} caracteres"),
        ));
    }
    let email = non_blank(registration.email);
    let email = match email.as_deref().map(checked_email) {
        None => None,
        Some(Ok(email)) => Some(email),
        Some(Err(error)) => {
            errors.push(error);
            None
        }
    };
    let cpf = match non_blank(registration.cpf).map(|cpf| Cpf::parse(&cpf)) {
        None => None,
        Some(Ok(cpf)) => Some(cpf),
        Some(Err(_)) => {
            errors.push(FieldError::at_field("cpf", "value_error", "CPF inválido"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(UseCaseError::Invalid(errors));
    }
    Ok(Customer {
        id: CustomerId::new_random(),
        name,
        email,
        cpf,
    })
}

/// A registration's e-mail: storable as text, then normalised.
fn checked_email(email: &str) -> Result<String, FieldError> {
    check_storable_text("email", "O e-mail", email)?;
    normalize_email(email).map_err(|error| {
        FieldError::at_field(
            "email",
            "value_error",
            match error {
                EmailError::TooLong => "E-mail longo demais",
                EmailError::Empty | EmailError::InvalidSyntax => "E-mail inválido",
            },
        )
    })
}

/// Blank strings count as absent, as v1 clients send `""` for fields the customer skipped.
fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

impl From<IdentityError> for UseCaseError {
    fn from(error: IdentityError) -> Self {
        match error {
            IdentityError::AlreadyRegistered => {
                UseCaseError::Conflict(Conflict::CustomerAlreadyRegistered)
            }
            IdentityError::Port(error) => UseCaseError::Port(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use futures_util::future::BoxFuture;

    use super::*;
    use crate::application::error::PortError;

    /// Runs the confirmation, then fails the commit, as a lost connection at COMMIT would.
    struct CommitFails;

    #[async_trait]
    impl CustomerRepository for CommitFails {
        async fn insert_confirmed(
            &self,
            _customer: &Customer,
            confirmation: Option<BoxFuture<'_, Result<(), IdentityError>>>,
        ) -> Result<(), RegistrationError> {
            if let Some(confirmation) = confirmation {
                confirmation
                    .await
                    .map_err(RegistrationError::ConfirmationFailed)?;
            }
            Err(RegistrationError::CommitFailedAfterConfirmation(
                PortError::Unavailable {
                    dependency: "database",
                    cause: "connection lost at COMMIT".to_owned(),
                },
            ))
        }
        async fn find_by_id(&self, _: CustomerId) -> Result<Option<Customer>, PortError> {
            Ok(None)
        }
        async fn find_by_cpf(&self, _: &Cpf) -> Result<Option<Customer>, PortError> {
            Ok(None)
        }
        async fn list(&self, _: u32, _: u64) -> Result<(Vec<Customer>, u64), PortError> {
            Ok((Vec::new(), 0))
        }
    }

    #[derive(Default)]
    struct RecordingIdentities {
        calls: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl IdentityProvider for RecordingIdentities {
        async fn register_customer(
            &self,
            identity: &NewCustomerIdentity,
        ) -> Result<(), IdentityError> {
            self.calls
                .lock()
                .map_err(|_| IdentityError::AlreadyRegistered)?
                .push(format!("register {}", identity.cpf.as_digits()));
            Ok(())
        }
        async fn delete_customer(&self, cpf: &Cpf) -> Result<(), IdentityError> {
            self.calls
                .lock()
                .map_err(|_| IdentityError::AlreadyRegistered)?
                .push(format!("delete {}", cpf.as_digits()));
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_commit_failing_after_cognito_succeeded_deletes_the_identity_again() {
        let identities = Arc::new(RecordingIdentities::default());
        let customers = Customers::new(Arc::new(CommitFails), identities.clone());
        let outcome = customers
            .register(Registration {
                cpf: Some("529.982.247-25".to_owned()),
                ..Registration::default()
            })
            .await;
        assert!(matches!(outcome, Err(UseCaseError::Port(_))), "{outcome:?}");
        let calls = identities
            .calls
            .lock()
            .map(|calls| calls.clone())
            .unwrap_or_default();
        assert_eq!(calls, vec!["register 52998224725", "delete 52998224725"]);
    }
}
