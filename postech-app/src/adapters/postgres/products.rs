//! The menu in PostgreSQL.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use postech_database::schema::products;
use uuid::Uuid;

use super::money::SqlMoney;
use super::{PgPool, connection, to_port_error};
use crate::application::error::PortError;
use crate::domain::catalog::{Category, Product};
use crate::domain::ids::ProductId;

/// A `products` row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = products, check_for_backend(diesel::pg::Pg))]
pub(super) struct ProductRow {
    pub id: Uuid,
    pub category_id: Uuid,
    pub name: String,
    pub description: String,
    pub price: SqlMoney,
    pub image_url: Option<String>,
    pub stock_available: i32,
    pub active: bool,
}

impl ProductRow {
    pub(super) fn into_product(self) -> Result<Product, PortError> {
        let category =
            Category::from_id(self.category_id).ok_or_else(|| PortError::Unexpected {
                dependency: "database",
                cause: format!(
                    "product {} has unknown category {}",
                    self.id, self.category_id
                )
                .into(),
            })?;
        Ok(Product {
            id: ProductId::from(self.id),
            name: self.name,
            description: self.description,
            price: self.price.0,
            category,
            image_url: self.image_url,
            stock_available: u32::try_from(self.stock_available).unwrap_or(0),
            active: self.active,
        })
    }
}

/// The writable columns of a product (timestamps are the database's).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = products, treat_none_as_null = true)]
struct ProductChanges<'a> {
    category_id: Uuid,
    name: &'a str,
    description: &'a str,
    price: SqlMoney,
    image_url: Option<&'a str>,
    stock_available: i32,
    active: bool,
}

impl<'a> ProductChanges<'a> {
    fn of(product: &'a Product) -> Self {
        Self {
            category_id: product.category.id(),
            name: &product.name,
            description: &product.description,
            price: SqlMoney(product.price),
            image_url: product.image_url.as_deref(),
            // The domain caps stock at 10 000, far inside i32.
            stock_available: i32::try_from(product.stock_available).unwrap_or(i32::MAX),
            active: product.active,
        }
    }
}

/// Products in name order; `only_active` hides deactivated ones.
#[tracing::instrument(name = "db.products.list", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn list(
    pool: &PgPool,
    category: Option<Category>,
    only_active: bool,
) -> Result<Vec<Product>, PortError> {
    let mut connection = connection(pool).await?;
    let mut query = products::table
        .select(ProductRow::as_select())
        .order((products::name.asc(), products::id.asc()))
        .into_boxed();
    if let Some(category) = category {
        query = query.filter(products::category_id.eq(category.id()));
    }
    if only_active {
        query = query.filter(products::active.eq(true));
    }
    let rows = query.load(&mut connection).await.map_err(to_port_error)?;
    rows.into_iter().map(ProductRow::into_product).collect()
}

/// One product, active or not.
#[tracing::instrument(name = "db.products.find", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn find(pool: &PgPool, id: ProductId) -> Result<Option<Product>, PortError> {
    let mut connection = connection(pool).await?;
    products::table
        .find(id.into_uuid())
        .select(ProductRow::as_select())
        .first(&mut connection)
        .await
        .optional()
        .map_err(to_port_error)?
        .map(ProductRow::into_product)
        .transpose()
}

/// Stores a new product.
#[tracing::instrument(name = "db.products.insert", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn insert(pool: &PgPool, product: &Product) -> Result<(), PortError> {
    let mut connection = connection(pool).await?;
    diesel::insert_into(products::table)
        .values((
            products::id.eq(product.id.into_uuid()),
            ProductChanges::of(product),
        ))
        .execute(&mut connection)
        .await
        .map(|_| ())
        .map_err(to_port_error)
}

/// Replaces a product's fields; `false` when there is no such product.
#[tracing::instrument(name = "db.products.update", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn update(pool: &PgPool, product: &Product) -> Result<bool, PortError> {
    let mut connection = connection(pool).await?;
    diesel::update(products::table.find(product.id.into_uuid()))
        .set(ProductChanges::of(product))
        .execute(&mut connection)
        .await
        .map(|updated| updated == 1)
        .map_err(to_port_error)
}

/// Marks a product inactive; `false` when there is no such product.
#[tracing::instrument(name = "db.products.deactivate", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
pub async fn deactivate(pool: &PgPool, id: ProductId) -> Result<bool, PortError> {
    let mut connection = connection(pool).await?;
    diesel::update(products::table.find(id.into_uuid()))
        .set(products::active.eq(false))
        .execute(&mut connection)
        .await
        .map(|updated| updated == 1)
        .map_err(to_port_error)
}
