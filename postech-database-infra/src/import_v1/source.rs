//! Reading v1: its revision, its shape, its row counts, and its rows as streams in key order.
//!
//! Everything runs in the one read-only, repeatable-read transaction of the run, so every
//! read sees the same snapshot. Large tables are read through server-side cursors sorted by
//! the order id, and merged in memory: an order's lines, payments and queue row arrive with
//! it, and a row pointing at a missing order is seen too (a lookup by the batch's order ids
//! would silently skip it). v1 has no secondary index, so the lines (its primary key starts
//! with `pedido_id`) are read in index order and the payments are sorted once.

use std::collections::VecDeque;

use chrono::NaiveDateTime;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text, Timestamp};
use uuid::Uuid;

use super::error::ImportError;

/// The Alembic revisions whose schema this import reads (v1's history had two heads).
pub const SUPPORTED_REVISIONS: [&str; 2] = ["9c4a9953f05f", "e6cb164e3c94"];

/// The columns the import reads, with the `information_schema` types it accepts.
const EXPECTED_COLUMNS: &[(&str, &str, &[&str])] = &[
    ("tb_categorias", "id", &["uuid"]),
    ("tb_categorias", "nome", TEXT_TYPES),
    ("tb_clientes", "id", &["uuid"]),
    ("tb_clientes", "nome", TEXT_TYPES),
    ("tb_clientes", "cpf", TEXT_TYPES),
    ("tb_clientes", "email", TEXT_TYPES),
    ("tb_produtos", "id", &["uuid"]),
    ("tb_produtos", "nome", TEXT_TYPES),
    ("tb_produtos", "preco", &["double precision"]),
    ("tb_produtos", "categoria_id", &["uuid"]),
    ("tb_produtos", "descricao", TEXT_TYPES),
    ("tb_produtos", "status", &["boolean"]),
    ("tb_produtos", "imagem_url", TEXT_TYPES),
    ("tb_produtos", "estoque_disponivel", &["integer"]),
    ("tb_pedidos", "id", &["uuid"]),
    ("tb_pedidos", "cliente_id", &["uuid"]),
    ("tb_pedidos", "status", TEXT_TYPES),
    (
        "tb_pedidos",
        "data_criacao",
        &["timestamp without time zone"],
    ),
    ("tb_pedidos", "observacoes", TEXT_TYPES),
    ("tb_itens_pedido", "pedido_id", &["uuid"]),
    ("tb_itens_pedido", "produto_id", &["uuid"]),
    ("tb_itens_pedido", "quantidade", &["integer"]),
    ("tb_pagamentos", "id", &["uuid"]),
    ("tb_pagamentos", "pedido_id", &["uuid"]),
    ("tb_pagamentos", "status", TEXT_TYPES),
    (
        "tb_pagamentos",
        "data_criacao",
        &["timestamp without time zone"],
    ),
    (
        "tb_pagamentos",
        "data_confirmacao",
        &["timestamp without time zone"],
    ),
    ("tb_pagamentos", "qrcode_url", TEXT_TYPES),
    ("tb_pagamentos", "qrcode_id", TEXT_TYPES),
    ("tb_pagamentos", "external_reference", TEXT_TYPES),
    ("tb_pagamentos", "payment_id", TEXT_TYPES),
    ("tb_pagamentos", "valor", &["double precision"]),
    ("tb_fila_pedidos", "id", &["uuid"]),
    ("tb_fila_pedidos", "status", TEXT_TYPES),
    ("tb_fila_pedidos", "payload", TEXT_TYPES),
];

const TEXT_TYPES: &[&str] = &["character varying", "text"];

/// The v1 tables, in the order of [`super::rules::Entity::ALL`].
pub const V1_TABLES: [&str; 7] = [
    "tb_categorias",
    "tb_produtos",
    "tb_clientes",
    "tb_pedidos",
    "tb_itens_pedido",
    "tb_pagamentos",
    "tb_fila_pedidos",
];

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
}

/// The Alembic revisions recorded in `alembic_version` (one per applied head), checked to be
/// supported, and the columns the import reads checked to exist with the expected types.
pub fn check_shape(connection: &mut PgConnection) -> Result<Vec<String>, ImportError> {
    let has_version_table: Vec<TextRow> =
        diesel::sql_query("SELECT 'yes' AS value WHERE to_regclass('alembic_version') IS NOT NULL")
            .load(connection)
            .map_err(ImportError::query("looking for v1's alembic_version table"))?;
    if has_version_table.is_empty() {
        return Err(ImportError::NotV1 {
            problem: "it has no alembic_version table".to_owned(),
        });
    }
    let revisions: Vec<String> = diesel::sql_query(
        "SELECT version_num::text AS value FROM alembic_version ORDER BY version_num",
    )
    .load::<TextRow>(connection)
    .map_err(ImportError::query("reading v1's Alembic revision"))?
    .into_iter()
    .map(|row| row.value)
    .collect();
    let unsupported: Vec<&String> = revisions
        .iter()
        .filter(|revision| !SUPPORTED_REVISIONS.contains(&revision.as_str()))
        .collect();
    if revisions.is_empty() || !unsupported.is_empty() {
        return Err(ImportError::UnsupportedRevision {
            found: if revisions.is_empty() {
                "none".to_owned()
            } else {
                revisions.join(", ")
            },
        });
    }

    let live: Vec<ColumnRow> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                data_type::text AS data_type \
           FROM information_schema.columns \
          WHERE table_schema = current_schema() AND table_name LIKE 'tb\\_%'",
    )
    .load(connection)
    .map_err(ImportError::query("reading v1's columns"))?;
    let problems: Vec<String> = EXPECTED_COLUMNS
        .iter()
        .filter_map(|(table, column, types)| {
            match live
                .iter()
                .find(|row| row.table_name == *table && row.column_name == *column)
            {
                None => Some(format!("{table}.{column} is missing")),
                Some(row) if !types.contains(&row.data_type.as_str()) => Some(format!(
                    "{table}.{column} is {} (expected {})",
                    row.data_type,
                    types.join(" or ")
                )),
                Some(_) => None,
            }
        })
        .collect();
    if !problems.is_empty() {
        return Err(ImportError::NotV1 {
            problem: problems.join("; "),
        });
    }
    Ok(revisions)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// The row count of every v1 table, in [`V1_TABLES`] order.
pub fn row_counts(connection: &mut PgConnection) -> Result<[u64; 7], ImportError> {
    let mut counts = [0u64; 7];
    for (count, table) in counts.iter_mut().zip(V1_TABLES) {
        let row: Count = diesel::sql_query(format!("SELECT count(*) AS count FROM {table}"))
            .get_result(connection)
            .map_err(ImportError::query("counting v1's rows"))?;
        *count = u64::try_from(row.count).unwrap_or_default();
    }
    Ok(counts)
}

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamp)]
    now: NaiveDateTime,
}

/// The snapshot's time (the transaction's start), in UTC.
pub fn snapshot_time(connection: &mut PgConnection) -> Result<NaiveDateTime, ImportError> {
    let row: Now = diesel::sql_query("SELECT (now() AT TIME ZONE 'UTC') AS now")
        .get_result(connection)
        .map_err(ImportError::query("reading the v1 snapshot time"))?;
    Ok(row.now)
}

/// A `tb_categorias` row.
#[derive(Debug, Clone, QueryableByName)]
pub struct V1Category {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub nome: String,
}

/// A `tb_produtos` row.
#[derive(Debug, Clone, QueryableByName)]
pub struct V1Product {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub nome: String,
    #[diesel(sql_type = Double)]
    pub preco: f64,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub categoria_id: Uuid,
    #[diesel(sql_type = Text)]
    pub descricao: String,
    #[diesel(sql_type = Bool)]
    pub status: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub imagem_url: Option<String>,
    #[diesel(sql_type = Integer)]
    pub estoque_disponivel: i32,
}

/// A `tb_clientes` row.
#[derive(Clone, QueryableByName)]
pub struct V1Customer {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    pub nome: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub cpf: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
}

/// Personal data stays out of debug output (and so out of any log or panic message).
impl std::fmt::Debug for V1Customer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("V1Customer")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A `tb_pedidos` row.
#[derive(Debug, Clone, QueryableByName)]
pub struct V1Order {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub cliente_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub data_criacao: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub observacoes: Option<String>,
}

/// A `tb_itens_pedido` row.
#[derive(Debug, Clone, QueryableByName)]
pub struct V1Item {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub pedido_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub produto_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub quantidade: i32,
}

/// A `tb_pagamentos` row.
#[derive(Debug, Clone, QueryableByName)]
pub struct V1Payment {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub pedido_id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub data_criacao: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub data_confirmacao: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub qrcode_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub qrcode_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub external_reference: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub payment_id: Option<String>,
    #[diesel(sql_type = Double)]
    pub valor: f64,
}

/// A `tb_fila_pedidos` row (its `payload` is not read: postech derives the queue).
#[derive(Debug, Clone, QueryableByName)]
pub struct V1QueueEntry {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// Every category, by id.
pub fn categories(connection: &mut PgConnection) -> Result<Vec<V1Category>, ImportError> {
    diesel::sql_query("SELECT id, nome::text AS nome FROM tb_categorias ORDER BY id")
        .load(connection)
        .map_err(ImportError::query("reading v1's categories"))
}

/// Every product, by id. A menu is small; holding it whole lets every order line be priced
/// without a query.
pub fn products(connection: &mut PgConnection) -> Result<Vec<V1Product>, ImportError> {
    diesel::sql_query(
        "SELECT id, nome::text AS nome, preco, categoria_id, descricao::text AS descricao, \
                status, imagem_url::text AS imagem_url, estoque_disponivel \
           FROM tb_produtos ORDER BY id",
    )
    .load(connection)
    .map_err(ImportError::query("reading v1's products"))
}

/// The cursor queries, each sorted by the key the merge walks.
pub const CUSTOMERS_QUERY: &str = "SELECT id, nome::text AS nome, cpf::text AS cpf, \
    email::text AS email FROM tb_clientes ORDER BY id";
/// Orders by id.
pub const ORDERS_QUERY: &str = "SELECT id, cliente_id, status::text AS status, data_criacao, \
    observacoes::text AS observacoes FROM tb_pedidos ORDER BY id";
/// Lines by order, then product (the primary key's order).
pub const ITEMS_QUERY: &str =
    "SELECT pedido_id, produto_id, quantidade FROM tb_itens_pedido ORDER BY pedido_id, produto_id";
/// Payments by order, then by confirmation and creation time (the first approval is the one
/// kept), then id.
pub const PAYMENTS_QUERY: &str = "SELECT id, pedido_id, status::text AS status, data_criacao, \
    data_confirmacao, qrcode_url::text AS qrcode_url, qrcode_id::text AS qrcode_id, \
    external_reference::text AS external_reference, payment_id::text AS payment_id, valor \
    FROM tb_pagamentos ORDER BY pedido_id, data_confirmacao NULLS LAST, data_criacao NULLS LAST, id";
/// Queue rows by id (= order id).
pub const QUEUE_QUERY: &str = "SELECT id, status::text AS status FROM tb_fila_pedidos ORDER BY id";

/// A server-side cursor over one query, fetched `fetch_size` rows at a time.
pub struct Cursor<T> {
    name: &'static str,
    fetch_size: usize,
    buffer: VecDeque<T>,
    exhausted: bool,
}

impl<T: QueryableByName<Pg> + 'static> Cursor<T> {
    /// Declares the cursor (in the current transaction).
    pub fn open(
        connection: &mut PgConnection,
        name: &'static str,
        query: &str,
        fetch_size: usize,
    ) -> Result<Self, ImportError> {
        diesel::sql_query(format!("DECLARE {name} NO SCROLL CURSOR FOR {query}"))
            .execute(connection)
            .map_err(ImportError::query("opening a cursor on v1"))?;
        Ok(Self {
            name,
            fetch_size,
            buffer: VecDeque::new(),
            exhausted: false,
        })
    }

    fn fill(&mut self, connection: &mut PgConnection) -> Result<(), ImportError> {
        if self.buffer.is_empty() && !self.exhausted {
            let rows: Vec<T> = diesel::sql_query(format!(
                "FETCH FORWARD {} FROM {}",
                self.fetch_size, self.name
            ))
            .load(connection)
            .map_err(ImportError::query("reading v1 rows"))?;
            self.exhausted = rows.len() < self.fetch_size;
            self.buffer.extend(rows);
        }
        Ok(())
    }

    /// The next row, without taking it.
    pub fn peek(&mut self, connection: &mut PgConnection) -> Result<Option<&T>, ImportError> {
        self.fill(connection)?;
        Ok(self.buffer.front())
    }

    /// Takes the next row.
    pub fn next_row(&mut self, connection: &mut PgConnection) -> Result<Option<T>, ImportError> {
        self.fill(connection)?;
        Ok(self.buffer.pop_front())
    }

    /// Takes up to `limit` rows.
    pub fn next_batch(
        &mut self,
        connection: &mut PgConnection,
        limit: usize,
    ) -> Result<Vec<T>, ImportError> {
        let mut rows = Vec::with_capacity(limit);
        while rows.len() < limit {
            match self.next_row(connection)? {
                Some(row) => rows.push(row),
                None => break,
            }
        }
        Ok(rows)
    }

    /// Takes every row whose key is at most `last` (rows come sorted by that key).
    pub fn take_through(
        &mut self,
        connection: &mut PgConnection,
        last: Uuid,
        key: impl Fn(&T) -> Uuid,
    ) -> Result<Vec<T>, ImportError> {
        let mut rows = Vec::new();
        while let Some(row) = self.peek(connection)? {
            if key(row) > last {
                break;
            }
            if let Some(row) = self.next_row(connection)? {
                rows.push(row);
            }
        }
        Ok(rows)
    }
}
