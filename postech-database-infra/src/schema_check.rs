//! Compares the diesel definitions of [`crate::schema`] with the columns of a live database.
//!
//! The expected side is derived from the `table!` types themselves (`Table::all_columns()`,
//! `Column::NAME`, each column's SQL type), so it cannot drift from `schema.rs`. Every table
//! of `schema.rs` must be listed in [`expected_columns`]; a table the database has and that
//! list lacks shows up as drift, which is the reminder to add it.

use std::collections::BTreeMap;
use std::fmt;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{self, Bool, Text};

use crate::error::MigratorError;
use crate::schema;

/// What `information_schema.columns` calls a diesel SQL type, and whether it is nullable.
pub trait PgColumnType {
    /// The accepted `information_schema.columns.data_type` values. Diesel maps `text`,
    /// `varchar` and `char(n)` to the same Rust type, so all three are accepted for it.
    const DATA_TYPES: &'static [&'static str];
    /// Whether the column is `Nullable<...>`.
    const NULLABLE: bool = false;
}

macro_rules! pg_column_types {
    ($($sql_type:ty => [$($name:literal),+]),+ $(,)?) => {
        $(impl PgColumnType for $sql_type {
            const DATA_TYPES: &'static [&'static str] = &[$($name),+];
        })+
    };
}

pg_column_types! {
    sql_types::Uuid => ["uuid"],
    sql_types::Text => ["text", "character varying", "character"],
    sql_types::Numeric => ["numeric"],
    sql_types::Timestamptz => ["timestamp with time zone"],
    sql_types::Timestamp => ["timestamp without time zone"],
    sql_types::Bool => ["boolean"],
    sql_types::SmallInt => ["smallint"],
    sql_types::Integer => ["integer"],
    sql_types::BigInt => ["bigint"],
    schema::sql_types::Xid8 => ["xid8"],
}

// information_schema names every array type `ARRAY`, whatever its element type.
impl<T> PgColumnType for sql_types::Array<T> {
    const DATA_TYPES: &'static [&'static str] = &["ARRAY"];
}

impl<T: PgColumnType> PgColumnType for sql_types::Nullable<T> {
    const DATA_TYPES: &'static [&'static str] = T::DATA_TYPES;
    const NULLABLE: bool = true;
}

/// A column as `schema.rs` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedColumn {
    /// Table name.
    pub table: &'static str,
    /// Column name.
    pub column: &'static str,
    /// Accepted `information_schema` data types.
    pub data_types: &'static [&'static str],
    /// Whether NULL is allowed.
    pub nullable: bool,
}

/// A column as the database has it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct LiveColumn {
    /// Table name.
    #[diesel(sql_type = Text)]
    pub table: String,
    /// Column name.
    #[diesel(sql_type = Text)]
    pub column: String,
    /// `information_schema.columns.data_type`.
    #[diesel(sql_type = Text)]
    pub data_type: String,
    /// Whether NULL is allowed.
    #[diesel(sql_type = Bool)]
    pub nullable: bool,
}

/// One difference between `schema.rs` and the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnDrift {
    /// `schema.rs` declares a column the database lacks.
    MissingInDatabase {
        /// `table.column`.
        column: String,
    },
    /// The database has a column `schema.rs` does not declare.
    MissingInSchemaRs {
        /// `table.column`.
        column: String,
        /// Its database type.
        data_type: String,
    },
    /// The types differ.
    TypeMismatch {
        /// `table.column`.
        column: String,
        /// What `schema.rs` accepts.
        expected: Vec<&'static str>,
        /// What the database has.
        live: String,
    },
    /// One side allows NULL, the other does not.
    NullabilityMismatch {
        /// `table.column`.
        column: String,
        /// Whether `schema.rs` says `Nullable`.
        schema_rs_nullable: bool,
    },
}

impl fmt::Display for ColumnDrift {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingInDatabase { column } => {
                write!(
                    formatter,
                    "{column}: declared in schema.rs, absent from the database"
                )
            }
            Self::MissingInSchemaRs { column, data_type } => write!(
                formatter,
                "{column} ({data_type}): in the database, not declared in schema.rs"
            ),
            Self::TypeMismatch {
                column,
                expected,
                live,
            } => write!(
                formatter,
                "{column}: schema.rs expects {}, the database has {live}",
                expected.join(" or ")
            ),
            Self::NullabilityMismatch {
                column,
                schema_rs_nullable,
            } => {
                let (declared, live) = if *schema_rs_nullable {
                    ("Nullable", "NOT NULL")
                } else {
                    ("not Nullable", "nullable")
                };
                write!(
                    formatter,
                    "{column}: {declared} in schema.rs, {live} in the database"
                )
            }
        }
    }
}

/// Describes a tuple of diesel columns.
pub trait DescribeColumns {
    /// Appends one [`ExpectedColumn`] per column of the tuple.
    fn describe(table: &'static str, out: &mut Vec<ExpectedColumn>);
}

macro_rules! describe_column_tuples {
    ($($column:ident)+) => {
        impl<$($column),+> DescribeColumns for ($($column,)+)
        where
            $($column: Column, <$column as Expression>::SqlType: PgColumnType,)+
        {
            fn describe(table: &'static str, out: &mut Vec<ExpectedColumn>) {
                $(out.push(ExpectedColumn {
                    table,
                    column: $column::NAME,
                    data_types: <<$column as Expression>::SqlType as PgColumnType>::DATA_TYPES,
                    nullable: <<$column as Expression>::SqlType as PgColumnType>::NULLABLE,
                });)+
            }
        }
    };
}

macro_rules! describe_all_arities {
    ($first:ident $($rest:ident)*) => {
        describe_column_tuples!($first $($rest)*);
        describe_all_arities!($($rest)*);
    };
    () => {};
}

describe_all_arities!(C20 C19 C18 C17 C16 C15 C14 C13 C12 C11 C10 C9 C8 C7 C6 C5 C4 C3 C2 C1);

/// Appends the columns of the diesel table `T`, named `name` in the database. Public so that a
/// consumer with its own `table!` definitions can check them the same way.
pub fn describe_table<T>(name: &'static str, out: &mut Vec<ExpectedColumn>)
where
    T: Table,
    T::AllColumns: DescribeColumns,
{
    T::AllColumns::describe(name, out);
}

/// Every column of every table of [`crate::schema`].
pub fn expected_columns() -> Vec<ExpectedColumn> {
    let mut out = Vec::new();
    describe_table::<schema::categories::table>("categories", &mut out);
    describe_table::<schema::products::table>("products", &mut out);
    describe_table::<schema::customers::table>("customers", &mut out);
    describe_table::<schema::orders::table>("orders", &mut out);
    describe_table::<schema::order_items::table>("order_items", &mut out);
    describe_table::<schema::order_status_history::table>("order_status_history", &mut out);
    describe_table::<schema::payments::table>("payments", &mut out);
    describe_table::<schema::v1_import_notes::table>("v1_import_notes", &mut out);
    out
}

/// The columns of every table and view of the connection's current schema, except diesel's
/// own bookkeeping table.
pub fn live_columns(connection: &mut PgConnection) -> Result<Vec<LiveColumn>, MigratorError> {
    diesel::sql_query(
        "SELECT c.table_name::text AS table, c.column_name::text AS column, \
                c.data_type::text AS data_type, (c.is_nullable = 'YES') AS nullable \
           FROM information_schema.columns c \
          WHERE c.table_schema = current_schema() \
            AND c.table_name <> '__diesel_schema_migrations' \
          ORDER BY c.table_name, c.ordinal_position",
    )
    .load(connection)
    .map_err(MigratorError::query("reading the live columns"))
}

/// The differences between `expected` and `live`, in table and column order.
pub fn compare(expected: &[ExpectedColumn], live: &[LiveColumn]) -> Vec<ColumnDrift> {
    let mut live_by_name: BTreeMap<String, &LiveColumn> = live
        .iter()
        .map(|column| (format!("{}.{}", column.table, column.column), column))
        .collect();
    let mut drift = Vec::new();
    for expected in expected {
        let name = format!("{}.{}", expected.table, expected.column);
        match live_by_name.remove(&name) {
            None => drift.push(ColumnDrift::MissingInDatabase { column: name }),
            Some(live) if !expected.data_types.contains(&live.data_type.as_str()) => {
                drift.push(ColumnDrift::TypeMismatch {
                    column: name,
                    expected: expected.data_types.to_vec(),
                    live: live.data_type.clone(),
                });
            }
            Some(live) if live.nullable != expected.nullable => {
                drift.push(ColumnDrift::NullabilityMismatch {
                    column: name,
                    schema_rs_nullable: expected.nullable,
                });
            }
            Some(_) => {}
        }
    }
    drift.extend(
        live_by_name
            .into_iter()
            .map(|(column, live)| ColumnDrift::MissingInSchemaRs {
                column,
                data_type: live.data_type.clone(),
            }),
    );
    drift
}
