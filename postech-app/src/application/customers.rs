//! Use cases of customers: registration (database row and Cognito identity, both or neither),
//! the customer's own profile and the staff lookups.

use futures_util::future::BoxFuture;

use crate::adapters::cognito::CognitoIdentities;
use crate::adapters::postgres::{PgPool, customers};
use crate::application::error::{Conflict, ErrorChain, PortError, Resource, UseCaseError};
use crate::domain::cognito::NewCustomerIdentity;
use crate::domain::cpf::Cpf;
use crate::domain::customer::{Customer, EmailError, normalize_email};
use crate::domain::ids::CustomerId;
use crate::domain::validation::{FieldError, check_storable_text};

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

/// Why the identity provider refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The CPF already has an identity belonging to another customer.
    #[error("identity already registered")]
    AlreadyRegistered,
    /// The provider did not answer or failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Why a customer could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The CPF or the email is already taken (a unique constraint said so).
    #[error("customer already registered")]
    AlreadyRegistered,
    /// The confirmation (the identity provider) failed; nothing was stored.
    #[error("confirmation failed")]
    ConfirmationFailed(#[source] IdentityError),
    /// The confirmation succeeded but the commit then failed: the caller must undo the
    /// confirmation.
    #[error("commit failed after confirmation")]
    CommitFailedAfterConfirmation(#[source] PortError),
    /// The database failed before the confirmation ran.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// The customer use cases.
#[derive(Clone)]
pub struct Customers {
    pool: PgPool,
    identities: CognitoIdentities,
}

impl Customers {
    /// The use cases over the database `pool` and the Cognito `identities`.
    pub fn new(pool: PgPool, identities: CognitoIdentities) -> Self {
        Self { pool, identities }
    }

    /// Registers a customer. With a CPF, the Cognito identity is created while the row's
    /// transaction is open and the row commits only if Cognito succeeded; should the commit
    /// fail after that, the identity is deleted again. Without a CPF there is no identity to
    /// create (the Cognito username is the CPF); an empty registration is an anonymous customer.
    #[tracing::instrument(name = "customers.register", skip_all)]
    pub async fn register(&self, registration: Registration) -> Result<Customer, UseCaseError> {
        let customer = validate(registration)?;
        let identity = customer.cpf.clone().map(|cpf| NewCustomerIdentity {
            cpf,
            customer_id: customer.id,
            name: customer.name.clone(),
            email: customer.email.clone(),
        });
        let confirmation = identity.as_ref().map(|identity| {
            Box::pin(self.identities.register_customer(identity))
                as BoxFuture<'_, Result<(), IdentityError>>
        });
        match customers::insert_confirmed(&self.pool, &customer, confirmation).await {
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
            tracing::error!(cpf = %cpf.masked(), error = %ErrorChain(&error), "could not undo a customer identity");
        }
    }

    /// The calling customer's own record.
    #[tracing::instrument(name = "customers.profile", skip_all)]
    pub async fn profile(&self, id: CustomerId) -> Result<Customer, UseCaseError> {
        customers::find_by_id(&self.pool, id)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Customer))
    }

    /// A customer by CPF (staff).
    #[tracing::instrument(name = "customers.by_cpf", skip_all)]
    pub async fn by_cpf(&self, cpf_text: &str) -> Result<Customer, UseCaseError> {
        let cpf = Cpf::parse(cpf_text).map_err(|_| {
            UseCaseError::invalid(FieldError::at_field("cpf", "value_error", "CPF inválido"))
        })?;
        customers::find_by_cpf(&self.pool, &cpf)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Customer))
    }

    /// A page of customers (staff); `page` counts from 1.
    #[tracing::instrument(name = "customers.list", skip_all)]
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
        let (customers, total) = customers::list(&self.pool, page_size, offset).await?;
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

/// A name as a kiosk token may see it: the first word only ("Ana" of "Ana Maria Souza").
pub fn mask_name(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// An e-mail as a kiosk token may see it: the first character of the mailbox and of the
/// domain (`a***@g***`), so the customer recognises it and an onlooker cannot use it.
pub fn mask_email(email: &str) -> String {
    let (mailbox, domain) = email.split_once('@').unwrap_or((email, ""));
    let first = |text: &str| text.chars().next().map(String::from).unwrap_or_default();
    format!("{}***@{}***", first(mailbox), first(domain))
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
