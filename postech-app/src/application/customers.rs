//! Use cases of customers: registration (database row and Cognito identity, both or neither),
//! the customer's own profile and the staff lookups.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::adapters::cognito::CognitoIdentities;
use crate::adapters::postgres::customers::{
    PendingInsert, PendingState, RegistrationRecord, StoredCode,
};
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
/// Why a customer whose e-mail is unverified is refused the full profile and history.
pub const UNVERIFIED_EMAIL: &str =
    "E-mail não verificado: confirme o cadastro com o código enviado por e-mail";

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

/// Why a customer without a CPF could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The e-mail is already taken (a unique constraint said so).
    #[error("customer already registered")]
    AlreadyRegistered,
    /// The database failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// What a registration answers.
#[derive(Debug)]
pub enum Registered {
    /// A customer without a CPF (no identity, nothing to verify): stored as is.
    Customer(Customer),
    /// A CPF registration: the same answer whether the CPF was new, pending or long
    /// registered, so that it tells nobody which (issue #12). A new registration got its
    /// row, its Cognito identity and a code e-mailed to its address.
    CheckEmail,
}

/// Where the e-mail verification codes go (the port of the registration's e-mail channel).
#[async_trait::async_trait]
pub trait VerificationMailer: Send + Sync {
    /// Sends `code` to `email`, the address of the customer `customer_id`.
    async fn send_code(
        &self,
        customer_id: CustomerId,
        email: &str,
        code: &SecretString,
    ) -> Result<(), PortError>;
}

/// The registration's rules of time (see `RegistrationSettings`).
#[derive(Clone, Debug)]
pub struct RegistrationPolicy {
    /// How long an e-mailed code is valid.
    pub code_ttl: Duration,
    /// Wrong codes after which the pending code is dead (a new registration attempt with the
    /// same e-mail sends a new one).
    pub max_code_failures: i32,
    /// How old an unconfirmed registration must be before the reconciler touches it: longer
    /// than a registration can take (the Cognito calls are bounded well below it).
    pub reconcile_grace: Duration,
    /// How long a registration may stay unverified before the reconciler frees its CPF
    /// (when it placed no order).
    pub unverified_ttl: Duration,
}

impl Default for RegistrationPolicy {
    fn default() -> Self {
        Self {
            code_ttl: Duration::from_secs(15 * 60),
            max_code_failures: 5,
            reconcile_grace: Duration::from_secs(60),
            unverified_ttl: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// What one reconciliation round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileRound {
    /// Unconfirmed registrations whose identity is now created and recorded.
    pub identities_confirmed: u32,
    /// Registrations left unverified past the limit, removed (row and identity).
    pub unverified_removed: u32,
    /// Registrations that could not be repaired this round (a dependency failed).
    pub failed: u32,
}

/// Rows read per reconciliation round and state.
const RECONCILE_BATCH: i64 = 100;

/// The customer use cases.
#[derive(Clone)]
pub struct Customers {
    pool: PgPool,
    identities: CognitoIdentities,
    mailer: Arc<dyn VerificationMailer>,
    policy: RegistrationPolicy,
}

/// A fresh verification code: the clear text to e-mail, the form to store.
struct NewCode {
    clear: SecretString,
    stored: StoredCode,
}

impl Customers {
    /// The use cases over the database `pool` and the Cognito `identities`, e-mailing the
    /// registration codes through `mailer`.
    pub fn new(
        pool: PgPool,
        identities: CognitoIdentities,
        mailer: Arc<dyn VerificationMailer>,
        policy: RegistrationPolicy,
    ) -> Self {
        Self {
            pool,
            identities,
            mailer,
            policy,
        }
    }

    /// Registers a customer.
    ///
    /// Without a CPF there is no identity to create (the Cognito username is the CPF): one
    /// insert, answered with the customer; an empty registration is an anonymous customer.
    ///
    /// With a CPF no database transaction is held across the Cognito call (issue #13): the
    /// row is committed *pending*, then the identity is created, then the row is marked
    /// confirmed and a code is e-mailed. A Cognito failure undoes both halves (503); a half
    /// the undo could not reach is repaired by [`reconcile`](Self::reconcile) or by a
    /// retry of the same registration. A CPF already present changes nothing and gets the
    /// same answer as a new one (issue #12: no squatting, no enumeration); the only effect
    /// of a repeat is to finish a half-done registration and, when it names the e-mail on
    /// record, to e-mail a new code there.
    #[tracing::instrument(name = "customers.register", skip_all)]
    pub async fn register(&self, registration: Registration) -> Result<Registered, UseCaseError> {
        let customer = validate(registration)?;
        let Some(cpf) = customer.cpf.clone() else {
            return match customers::insert(&self.pool, &customer).await {
                Ok(()) => Ok(Registered::Customer(customer)),
                Err(RegistrationError::AlreadyRegistered) => {
                    Err(UseCaseError::Conflict(Conflict::CustomerAlreadyRegistered))
                }
                Err(RegistrationError::Port(error)) => Err(error.into()),
            };
        };
        if let Some(existing) = customers::find_registration_by_cpf(&self.pool, &cpf).await? {
            self.repeat_registration(existing, customer.email.as_deref())
                .await?;
            return Ok(Registered::CheckEmail);
        }
        let code = customer
            .email
            .as_ref()
            .map(|_| new_code(&cpf, &self.policy));
        let inserted = customers::insert_pending(
            &self.pool,
            &customer,
            code.as_ref().map(|code| &code.stored),
        )
        .await?;
        if inserted == PendingInsert::AlreadyTaken {
            // A concurrent registration of the CPF, or an e-mail of another customer:
            // nothing written, and the answer does not say which.
            tracing::info!(cpf = %cpf.masked(), "registration of a taken CPF or e-mail ignored");
            return Ok(Registered::CheckEmail);
        }
        if let Err(error) = self.create_identity(&customer).await {
            self.undo_registration(&customer, &cpf).await;
            return Err(error.into());
        }
        // The code goes out before the identity is marked confirmed: a registration whose
        // e-mail cannot be sent is undone like one whose identity failed (the customer could
        // never verify it), and the 503 asks for a retry.
        if let (Some(email), Some(code)) = (customer.email.as_deref(), code)
            && let Err(error) = self.mailer.send_code(customer.id, email, &code.clear).await
        {
            tracing::warn!(customer_id = %customer.id, error = %ErrorChain(&error),
                "verification code not sent; registration undone");
            self.undo_registration(&customer, &cpf).await;
            return Err(error.into());
        }
        customers::mark_identity_confirmed(&self.pool, customer.id).await?;
        tracing::info!(
            customer_id = %customer.id,
            cpf = %cpf.masked(),
            "customer registered, e-mail verification pending"
        );
        Ok(Registered::CheckEmail)
    }

    /// A registration of a CPF that has a row: repairs it if half-done, re-sends a code when
    /// the e-mail given is the one on record; never changes the record's data.
    async fn repeat_registration(
        &self,
        existing: RegistrationRecord,
        requested_email: Option<&str>,
    ) -> Result<(), UseCaseError> {
        let customer = existing.customer;
        if !existing.identity_confirmed {
            self.confirm_identity(&customer).await?;
        }
        let same_email = customer.email.is_some() && customer.email.as_deref() == requested_email;
        if !existing.email_verified
            && same_email
            && let (Some(email), Some(cpf)) = (customer.email.as_deref(), customer.cpf.as_ref())
        {
            let code = new_code(cpf, &self.policy);
            customers::replace_verification_code(&self.pool, customer.id, &code.stored).await?;
            // The record stays; the 503 asks for the retry that sends another code.
            self.mailer
                .send_code(customer.id, email, &code.clear)
                .await?;
        }
        tracing::info!(
            cpf = %customer.cpf.as_ref().map(Cpf::masked).unwrap_or_default(),
            "registration of a CPF already present: record unchanged"
        );
        Ok(())
    }

    /// Creates the customer's Cognito identity. Idempotent for one customer; an identity of
    /// another customer id under the same CPF is an orphan (its row was undone or never
    /// committed — this customer's row holds the CPF, the unique constraint says so) and is
    /// replaced.
    async fn create_identity(&self, customer: &Customer) -> Result<(), IdentityError> {
        let Some(cpf) = customer.cpf.clone() else {
            return Ok(());
        };
        let identity = NewCustomerIdentity {
            cpf,
            customer_id: customer.id,
            name: customer.name.clone(),
            email: customer.email.clone(),
        };
        match self.identities.register_customer(&identity).await {
            Err(IdentityError::AlreadyRegistered) => {
                tracing::warn!(
                    cpf = %identity.cpf.masked(),
                    "orphan Cognito identity (no customer row) replaced"
                );
                self.identities.delete_customer(&identity.cpf).await?;
                self.identities.register_customer(&identity).await
            }
            other => other,
        }
    }

    /// Finishes an unconfirmed registration: its identity, then the mark.
    async fn confirm_identity(&self, customer: &Customer) -> Result<(), UseCaseError> {
        self.create_identity(customer).await?;
        customers::mark_identity_confirmed(&self.pool, customer.id).await?;
        Ok(())
    }

    /// Undoes a registration whose Cognito call failed: the identity (the call may have
    /// succeeded and only its answer been lost), then the row. Before the answer, not in the
    /// background: a retry after the 503 must not race a late deletion of its own identity
    /// (so during a hanging outage the 503 takes two bounded calls). What fails here is left to
    /// [`reconcile`](Self::reconcile) (the row) or to the next registration of the CPF (an
    /// orphan identity).
    async fn undo_registration(&self, customer: &Customer, cpf: &Cpf) {
        if let Err(error) = self.identities.delete_customer(cpf).await {
            tracing::warn!(cpf = %cpf.masked(), error = %ErrorChain(&error), "could not undo a customer identity");
        }
        if let Err(error) = customers::delete_unconfirmed(&self.pool, customer.id).await {
            tracing::warn!(customer_id = %customer.id, error = %ErrorChain(&error),
                "could not undo a pending registration; the reconciler will");
        }
    }

    /// Checks the code e-mailed at registration; on success the e-mail is verified and the
    /// customer returned. A wrong, expired, spent or exhausted code and an unknown CPF get the
    /// same refusal.
    #[tracing::instrument(name = "customers.confirm_email", skip_all)]
    pub async fn confirm_email(
        &self,
        cpf_text: &str,
        code: &str,
    ) -> Result<Customer, UseCaseError> {
        let refused = || {
            UseCaseError::invalid(FieldError::at_field(
                "codigo",
                "value_error",
                "Código inválido ou expirado",
            ))
        };
        let cpf = Cpf::parse(cpf_text).map_err(|_| {
            UseCaseError::invalid(FieldError::at_field("cpf", "value_error", "CPF inválido"))
        })?;
        let code = code.trim();
        if code.is_empty() || code.len() > 16 {
            return Err(refused());
        }
        let digest = code_sha256(&cpf, code);
        let max_failures = self.policy.max_code_failures;
        if customers::check_email_code(&self.pool, &cpf, &digest, max_failures)
            .await?
            .is_none()
        {
            return Err(refused());
        }
        // Cognito first, the code spent after: a Cognito outage is a 503 the customer retries
        // with the same code, never a verified row whose identity Cognito still holds
        // unverified (Cognito sends step-up codes to verified addresses only).
        self.identities.mark_email_verified(&cpf).await?;
        match customers::spend_email_code(&self.pool, &cpf, &digest, max_failures).await? {
            Some(customer) => {
                tracing::info!(customer_id = %customer.id, "customer e-mail verified");
                Ok(customer)
            }
            // A concurrent confirmation spent the code first.
            None => Err(refused()),
        }
    }

    /// One round of the reconciler: finishes registrations left unconfirmed for longer than
    /// the grace (their identity is created, or found already there, and recorded), and
    /// removes registrations left unverified past the limit that placed no order (row, then
    /// identity), freeing their CPF.
    #[tracing::instrument(name = "customers.reconcile", skip_all)]
    pub async fn reconcile(&self) -> Result<ReconcileRound, UseCaseError> {
        let now = chrono::Utc::now();
        let ago = |duration: Duration| {
            now - chrono::Duration::from_std(duration).unwrap_or_else(|_| chrono::Duration::zero())
        };
        let mut round = ReconcileRound::default();
        let unconfirmed = customers::pending_before(
            &self.pool,
            PendingState::IdentityUnconfirmed,
            ago(self.policy.reconcile_grace),
            RECONCILE_BATCH,
        )
        .await?;
        for customer in unconfirmed {
            match self.confirm_identity(&customer).await {
                Ok(()) => round.identities_confirmed += 1,
                Err(error) => {
                    tracing::warn!(customer_id = %customer.id, error = %ErrorChain(&error), "registration not repaired");
                    round.failed += 1;
                }
            }
        }
        let abandoned = customers::pending_before(
            &self.pool,
            PendingState::EmailUnverified,
            ago(self.policy.unverified_ttl),
            RECONCILE_BATCH,
        )
        .await?;
        for customer in abandoned {
            if !customers::delete_unverified_without_orders(&self.pool, customer.id).await? {
                continue;
            }
            let Some(cpf) = customer.cpf.as_ref() else {
                continue;
            };
            match self.identities.delete_customer(cpf).await {
                Ok(()) => round.unverified_removed += 1,
                Err(error) => {
                    // The orphan identity is replaced by the next registration of the CPF.
                    tracing::warn!(customer_id = %customer.id, error = %ErrorChain(&error),
                        "identity of an abandoned registration not removed");
                    round.failed += 1;
                }
            }
        }
        Ok(round)
    }

    /// The calling customer's own record, whatever its verification state (the kiosk's
    /// masked greeting).
    #[tracing::instrument(name = "customers.own_record", skip_all)]
    pub async fn own_record(&self, id: CustomerId) -> Result<Customer, UseCaseError> {
        customers::find_by_id(&self.pool, id)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Customer))
    }

    /// Refuses (403) a customer whose e-mail is not verified: the full profile and the order
    /// history are for verified registrations only (issue #12).
    #[tracing::instrument(name = "customers.require_verified", skip_all)]
    pub async fn require_verified(&self, id: CustomerId) -> Result<Customer, UseCaseError> {
        let record = customers::find_registration_by_id(&self.pool, id)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Customer))?;
        if record.email_verified {
            Ok(record.customer)
        } else {
            Err(UseCaseError::Forbidden(UNVERIFIED_EMAIL))
        }
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

/// A 6-digit code (from a v4 UUID's random bits) and its stored form.
fn new_code(cpf: &Cpf, policy: &RegistrationPolicy) -> NewCode {
    let value = uuid::Uuid::new_v4().as_u128() % 1_000_000;
    let clear = format!("{value:06}");
    let expires_at = chrono::Utc::now()
        + chrono::Duration::from_std(policy.code_ttl).unwrap_or_else(|_| chrono::Duration::zero());
    NewCode {
        stored: StoredCode {
            sha256: code_sha256(cpf, &clear),
            expires_at,
        },
        clear: SecretString::from(clear),
    }
}

/// The stored form of a code: SHA-256 over the CPF and the code, so equal codes of two
/// customers do not look alike in the table.
fn code_sha256(cpf: &Cpf, code: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(cpf.as_digits().as_bytes());
    digest.update(b":");
    digest.update(code.as_bytes());
    hex::encode(digest.finalize())
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
