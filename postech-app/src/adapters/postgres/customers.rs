//! Customers in PostgreSQL.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use postech_database::schema::customers;
use uuid::Uuid;

use super::{PgPool, connection, to_port_error, violated_constraint};
use crate::application::customers::{IdentityError, RegistrationError};
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
}

/// How the registration transaction ended, before it is mapped to the port's error.
enum Failure {
    Database(DieselError),
    Confirmation(IdentityError),
}

impl From<DieselError> for Failure {
    fn from(error: DieselError) -> Self {
        Failure::Database(error)
    }
}

/// Inserts `customer` inside a transaction, then awaits `confirmation` (if any) and commits
/// only when it succeeds: the row exists only if the confirmation did. The confirmation is
/// never polled when the insert fails (e.g. a duplicate CPF), so it has no side effect then.
#[tracing::instrument(name = "db.customers.insert_confirmed", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn insert_confirmed(
    pool: &PgPool,
    customer: &Customer,
    confirmation: Option<BoxFuture<'_, Result<(), IdentityError>>>,
) -> Result<(), RegistrationError> {
    let mut connection = connection(pool).await?;
    let digits = customer.cpf.as_ref().map(Cpf::as_digits);
    let row = NewCustomerRow {
        id: customer.id.into_uuid(),
        name: customer.name.as_deref(),
        email: customer.email.as_deref(),
        cpf: digits,
        // The Cognito username of a customer is their CPF (ARCHITECTURE.md).
        cognito_username: digits,
    };
    let mut confirmed = false;
    let confirmed_flag = &mut confirmed;
    let outcome = connection
        .transaction::<(), Failure, _>(async move |connection| {
            diesel::insert_into(customers::table)
                .values(&row)
                .execute(connection)
                .await?;
            if let Some(confirmation) = confirmation {
                confirmation.await.map_err(Failure::Confirmation)?;
                *confirmed_flag = true;
            }
            Ok(())
        })
        .await;
    match outcome {
        Ok(()) => Ok(()),
        Err(Failure::Confirmation(error)) => Err(RegistrationError::ConfirmationFailed(error)),
        Err(Failure::Database(error)) if is_duplicate(&error) => {
            Err(RegistrationError::AlreadyRegistered)
        }
        Err(Failure::Database(error)) if confirmed => Err(
            RegistrationError::CommitFailedAfterConfirmation(to_port_error(error)),
        ),
        Err(Failure::Database(error)) => Err(RegistrationError::Port(to_port_error(error))),
    }
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
