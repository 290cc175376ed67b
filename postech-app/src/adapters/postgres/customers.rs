//! Customers in PostgreSQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::RunQueryDsl;
use postech_database::schema::{customers, orders};
use uuid::Uuid;

use super::{PgPool, connection, to_port_error, violated_constraint};
use crate::application::customers::RegistrationError;
use crate::application::error::{PortError, because};
use crate::domain::cpf::Cpf;
use crate::domain::customer::Customer;
use crate::domain::ids::CustomerId;

/// The constraints whose violation means "this person is already registered".
const DUPLICATE_CUSTOMER_CONSTRAINTS: [&str; 3] = [
    "customers_cpf_key",
    "customers_email_lower_key",
    "customers_cognito_username_key",
];

/// A `customers` row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = customers, check_for_backend(diesel::pg::Pg))]
struct CustomerRow {
    id: Uuid,
    name: Option<String>,
    email: Option<String>,
    cpf: Option<String>,
}

impl CustomerRow {
    fn into_customer(self) -> Result<Customer, PortError> {
        let cpf = self
            .cpf
            .map(|digits| Cpf::parse(&digits))
            .transpose()
            .map_err(|error| PortError::Unexpected {
                dependency: "database",
                cause: because(
                    format!("customer {} has a stored CPF that is invalid", self.id),
                    error,
                ),
            })?;
        Ok(Customer {
            id: CustomerId::from(self.id),
            name: self.name,
            email: self.email,
            cpf,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = customers)]
struct NewCustomerRow<'a> {
    id: Uuid,
    name: Option<&'a str>,
    email: Option<&'a str>,
    cpf: Option<&'a str>,
    cognito_username: Option<&'a str>,
    email_verification_code_sha256: Option<&'a str>,
    email_verification_expires_at: Option<DateTime<Utc>>,
}

/// What [`insert_pending`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingInsert {
    /// The pending row is committed.
    Inserted,
    /// The CPF or the e-mail already belongs to a row: nothing was written.
    AlreadyTaken,
}

/// A customer row with its registration state (issues #12, #13).
#[derive(Debug)]
pub struct RegistrationRecord {
    /// The customer.
    pub customer: Customer,
    /// The Cognito identity was created and recorded (`identity_confirmed_at`).
    pub identity_confirmed: bool,
    /// The customer typed back the e-mailed code (`email_verified_at`).
    pub email_verified: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = customers, check_for_backend(diesel::pg::Pg))]
struct RegistrationRow {
    #[diesel(embed)]
    customer: CustomerRow,
    identity_confirmed_at: Option<DateTime<Utc>>,
    email_verified_at: Option<DateTime<Utc>>,
}

impl RegistrationRow {
    fn into_record(self) -> Result<RegistrationRecord, PortError> {
        Ok(RegistrationRecord {
            customer: self.customer.into_customer()?,
            identity_confirmed: self.identity_confirmed_at.is_some(),
            email_verified: self.email_verified_at.is_some(),
        })
    }
}

/// A pending e-mail verification code, as stored: its SHA-256 and when it expires.
#[derive(Debug, Clone)]
pub struct StoredCode {
    /// SHA-256 of the code, lower-case hex.
    pub sha256: String,
    /// End of validity.
    pub expires_at: DateTime<Utc>,
}

/// Inserts a customer that has no Cognito identity (no CPF): one statement, nothing pending.
#[tracing::instrument(name = "db.customers.insert", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn insert(pool: &PgPool, customer: &Customer) -> Result<(), RegistrationError> {
    let mut connection = connection(pool).await?;
    let row = NewCustomerRow {
        id: customer.id.into_uuid(),
        name: customer.name.as_deref(),
        email: customer.email.as_deref(),
        cpf: None,
        cognito_username: None,
        email_verification_code_sha256: None,
        email_verification_expires_at: None,
    };
    match diesel::insert_into(customers::table)
        .values(&row)
        .execute(&mut connection)
        .await
    {
        Ok(_) => Ok(()),
        Err(error) if is_duplicate(&error) => Err(RegistrationError::AlreadyRegistered),
        Err(error) => Err(RegistrationError::Port(to_port_error(error))),
    }
}

/// Commits a CPF registration's row, *pending*: no identity confirmed, e-mail unverified,
/// holding the SHA-256 of the code to e-mail. Its own statement, no transaction held open:
/// the Cognito call comes after the commit (issue #13).
#[tracing::instrument(name = "db.customers.insert_pending", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn insert_pending(
    pool: &PgPool,
    customer: &Customer,
    code: Option<&StoredCode>,
) -> Result<PendingInsert, PortError> {
    let mut connection = connection(pool).await?;
    let digits = customer.cpf.as_ref().map(Cpf::as_digits);
    let row = NewCustomerRow {
        id: customer.id.into_uuid(),
        name: customer.name.as_deref(),
        email: customer.email.as_deref(),
        cpf: digits,
        // The Cognito username of a customer is their CPF (ARCHITECTURE.md).
        cognito_username: digits,
        email_verification_code_sha256: code.map(|code| code.sha256.as_str()),
        email_verification_expires_at: code.map(|code| code.expires_at),
    };
    match diesel::insert_into(customers::table)
        .values(&row)
        .execute(&mut connection)
        .await
    {
        Ok(_) => Ok(PendingInsert::Inserted),
        Err(error) if is_duplicate(&error) => Ok(PendingInsert::AlreadyTaken),
        Err(error) => Err(to_port_error(error)),
    }
}

/// The registration of the CPF's customer, if any.
#[tracing::instrument(name = "db.customers.find_registration", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn find_registration_by_cpf(
    pool: &PgPool,
    cpf: &Cpf,
) -> Result<Option<RegistrationRecord>, PortError> {
    let mut connection = connection(pool).await?;
    customers::table
        .filter(customers::cpf.eq(cpf.as_digits()))
        .select(RegistrationRow::as_select())
        .first(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?
        .map(RegistrationRow::into_record)
        .transpose()
}

/// The registration of the customer `id`, if any.
#[tracing::instrument(name = "db.customers.find_registration_by_id", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn find_registration_by_id(
    pool: &PgPool,
    id: CustomerId,
) -> Result<Option<RegistrationRecord>, PortError> {
    let mut connection = connection(pool).await?;
    customers::table
        .find(id.into_uuid())
        .select(RegistrationRow::as_select())
        .first(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?
        .map(RegistrationRow::into_record)
        .transpose()
}

/// Records that the customer's Cognito identity exists.
#[tracing::instrument(name = "db.customers.mark_identity_confirmed", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn mark_identity_confirmed(pool: &PgPool, id: CustomerId) -> Result<(), PortError> {
    let mut connection = connection(pool).await?;
    diesel::update(customers::table.find(id.into_uuid()))
        .filter(customers::identity_confirmed_at.is_null())
        .set((
            customers::identity_confirmed_at.eq(diesel::dsl::now),
            customers::updated_at.eq(diesel::dsl::now),
        ))
        .execute(&mut connection)
        .await
        .map_err(to_port_error)?;
    Ok(())
}

/// Deletes a registration whose identity was never confirmed (the undo of a failed
/// registration); a confirmed row is left alone. Whether a row was deleted.
#[tracing::instrument(name = "db.customers.delete_unconfirmed", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn delete_unconfirmed(pool: &PgPool, id: CustomerId) -> Result<bool, PortError> {
    let mut connection = connection(pool).await?;
    let deleted = diesel::delete(customers::table.find(id.into_uuid()))
        .filter(customers::identity_confirmed_at.is_null())
        .execute(&mut connection)
        .await
        .map_err(to_port_error)?;
    Ok(deleted > 0)
}

/// Deletes a registration whose e-mail was never verified and that placed no order (the
/// expiry of an abandoned registration frees its CPF). Whether a row was deleted.
#[tracing::instrument(name = "db.customers.delete_unverified", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn delete_unverified_without_orders(
    pool: &PgPool,
    id: CustomerId,
) -> Result<bool, PortError> {
    let mut connection = connection(pool).await?;
    let deleted = diesel::delete(customers::table.find(id.into_uuid()))
        .filter(customers::email_verified_at.is_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(
            orders::table.filter(orders::customer_id.eq(id.into_uuid())),
        )))
        .execute(&mut connection)
        .await
        .map_err(to_port_error)?;
    Ok(deleted > 0)
}

/// Replaces the pending code of an unverified registration (a re-sent e-mail); the failure
/// count starts again.
#[tracing::instrument(name = "db.customers.replace_code", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn replace_verification_code(
    pool: &PgPool,
    id: CustomerId,
    code: &StoredCode,
) -> Result<(), PortError> {
    let mut connection = connection(pool).await?;
    diesel::update(customers::table.find(id.into_uuid()))
        .filter(customers::email_verified_at.is_null())
        .set((
            customers::email_verification_code_sha256.eq(&code.sha256),
            customers::email_verification_expires_at.eq(code.expires_at),
            customers::email_verification_failures.eq(0),
            customers::updated_at.eq(diesel::dsl::now),
        ))
        .execute(&mut connection)
        .await
        .map_err(to_port_error)?;
    Ok(())
}

/// The CPF's unverified registration whose pending code is `code_sha256`, unexpired, with
/// fewer than `max_failures` wrong tries; nothing is spent. When none matches the failure is
/// counted.
#[tracing::instrument(name = "db.customers.check_code", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn check_email_code(
    pool: &PgPool,
    cpf: &Cpf,
    code_sha256: &str,
    max_failures: i32,
) -> Result<Option<Customer>, PortError> {
    let mut connection = connection(pool).await?;
    let matching = customers::table
        .filter(pending_code_of(cpf))
        .filter(customers::email_verification_code_sha256.eq(code_sha256))
        .filter(customers::email_verification_expires_at.gt(diesel::dsl::now))
        .filter(customers::email_verification_failures.lt(max_failures))
        .select(CustomerRow::as_select())
        .first(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?;
    match matching {
        Some(row) => row.into_customer().map(Some),
        None => {
            diesel::update(customers::table)
                .filter(pending_code_of(cpf))
                .filter(customers::email_verification_code_sha256.is_not_null())
                .set(
                    customers::email_verification_failures
                        .eq(customers::email_verification_failures + 1),
                )
                .execute(&mut connection)
                .await
                .map_err(to_port_error)?;
            Ok(None)
        }
    }
}

/// Spends the code [`check_email_code`] found and marks the e-mail verified, in one
/// statement with the same conditions (a concurrent confirmation spends it once). The
/// verified customer, if the code was still there.
#[tracing::instrument(name = "db.customers.spend_code", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn spend_email_code(
    pool: &PgPool,
    cpf: &Cpf,
    code_sha256: &str,
    max_failures: i32,
) -> Result<Option<Customer>, PortError> {
    let mut connection = connection(pool).await?;
    diesel::update(customers::table)
        .filter(pending_code_of(cpf))
        .filter(customers::email_verification_code_sha256.eq(code_sha256))
        .filter(customers::email_verification_expires_at.gt(diesel::dsl::now))
        .filter(customers::email_verification_failures.lt(max_failures))
        .set((
            customers::email_verified_at.eq(diesel::dsl::now),
            customers::email_verification_code_sha256.eq(None::<String>),
            customers::email_verification_expires_at.eq(None::<DateTime<Utc>>),
            customers::updated_at.eq(diesel::dsl::now),
        ))
        .returning(CustomerRow::as_returning())
        .get_result(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?
        .map(CustomerRow::into_customer)
        .transpose()
}

/// The condition of [`pending_code_of`].
type PendingCodeOf = diesel::dsl::And<
    diesel::dsl::And<
        diesel::dsl::Eq<customers::cpf, String>,
        diesel::dsl::IsNull<customers::email_verified_at>,
    >,
    diesel::dsl::IsNotNull<customers::identity_confirmed_at>,
>;

/// The CPF's row while its identity is confirmed and its e-mail unverified.
fn pending_code_of(cpf: &Cpf) -> PendingCodeOf {
    customers::cpf
        .eq(cpf.as_digits().to_owned())
        .and(customers::email_verified_at.is_null())
        .and(customers::identity_confirmed_at.is_not_null())
}

/// Which half-finished registrations a sweep reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingState {
    /// Identity unconfirmed: the half state a crash or an outage between the commit and the
    /// Cognito answer leaves.
    IdentityUnconfirmed,
    /// Identity confirmed, e-mail never verified.
    EmailUnverified,
}

/// CPF registrations in `state` created before `before`, oldest first.
#[tracing::instrument(name = "db.customers.pending", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn pending_before(
    pool: &PgPool,
    state: PendingState,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Customer>, PortError> {
    let mut connection = connection(pool).await?;
    let query = customers::table
        .filter(customers::cognito_username.is_not_null())
        .filter(customers::created_at.lt(before))
        .into_boxed();
    let query = match state {
        PendingState::IdentityUnconfirmed => {
            query.filter(customers::identity_confirmed_at.is_null())
        }
        PendingState::EmailUnverified => query
            .filter(customers::identity_confirmed_at.is_not_null())
            .filter(customers::email_verified_at.is_null()),
    };
    query
        .select(CustomerRow::as_select())
        .order(customers::created_at.asc())
        .limit(limit)
        .load(&mut connection)
        .await
        .map_err(to_port_error)?
        .into_iter()
        .map(CustomerRow::into_customer)
        .collect()
}

/// One customer by id.
#[tracing::instrument(name = "db.customers.find_by_id", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn find_by_id(pool: &PgPool, id: CustomerId) -> Result<Option<Customer>, PortError> {
    let mut connection = connection(pool).await?;
    customers::table
        .find(id.into_uuid())
        .select(CustomerRow::as_select())
        .first(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?
        .map(CustomerRow::into_customer)
        .transpose()
}

/// One customer by CPF.
#[tracing::instrument(name = "db.customers.find_by_cpf", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn find_by_cpf(pool: &PgPool, cpf: &Cpf) -> Result<Option<Customer>, PortError> {
    let mut connection = connection(pool).await?;
    customers::table
        .filter(customers::cpf.eq(cpf.as_digits()))
        .select(CustomerRow::as_select())
        .first(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?
        .map(CustomerRow::into_customer)
        .transpose()
}

/// A page of customers in registration order, and the total count.
#[tracing::instrument(name = "db.customers.list", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn list(
    pool: &PgPool,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Customer>, u64), PortError> {
    let mut connection = connection(pool).await?;
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let rows = customers::table
        .select(CustomerRow::as_select())
        .order((customers::created_at.asc(), customers::id.asc()))
        .limit(i64::from(limit))
        .offset(offset)
        .load(&mut connection)
        .await
        .map_err(to_port_error)?;
    let total: i64 = customers::table
        .count()
        .get_result(&mut connection)
        .await
        .map_err(to_port_error)?;
    let customers = rows
        .into_iter()
        .map(CustomerRow::into_customer)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((customers, u64::try_from(total).unwrap_or(0)))
}

fn is_duplicate(error: &DieselError) -> bool {
    violated_constraint(error).is_some_and(|name| DUPLICATE_CUSTOMER_CONSTRAINTS.contains(&name))
}
