//! Use cases of the menu: what customers browse and what staff manage. The staff list of
//! every product is a plain read: its handler goes to `adapters::postgres::products`.

use crate::adapters::postgres::{PgPool, ReadPools, products};
use crate::application::error::{Resource, UseCaseError};
use crate::domain::catalog::{Category, Product, ProductDraft};
use crate::domain::ids::ProductId;

/// The menu use cases.
#[derive(Clone)]
pub struct Catalog {
    pool: PgPool,
    reads: ReadPools,
}

impl Catalog {
    /// The use cases over the database: writes and the staff's reads on the writer, the
    /// customers' reads through `reads` (the replica when it may answer).
    pub fn new(reads: ReadPools) -> Self {
        Self {
            pool: reads.writer().clone(),
            reads,
        }
    }

    /// The active products, optionally of one category, in name order.
    #[tracing::instrument(name = "catalog.list_active", skip_all)]
    pub async fn list_active(
        &self,
        category: Option<Category>,
    ) -> Result<Vec<Product>, UseCaseError> {
        Ok(products::list(&self.pool, category, true).await?)
    }

    /// [`Self::list_active`] through the replica when it may answer: for a list nobody keeps
    /// (the menu cache keeps only lists read on the writer, see `menu_cache.rs`).
    #[tracing::instrument(name = "catalog.list_active", skip_all)]
    pub async fn list_active_for_one_answer(
        &self,
        category: Option<Category>,
    ) -> Result<Vec<Product>, UseCaseError> {
        Ok(self
            .reads
            .read(move |pool| async move { products::list(&pool, category, true).await })
            .await?)
    }

    /// One active product; inactive ones are as good as unknown to customers.
    #[tracing::instrument(name = "catalog.active_product", skip_all)]
    pub async fn active_product(&self, id: ProductId) -> Result<Product, UseCaseError> {
        // A product missing or inactive on the replica may be new or reactivated on the
        // writer: only the writer's answer may be a 404.
        let found = self
            .reads
            .read_accepting(
                move |pool| async move { products::find(&pool, id).await },
                |found| found.as_ref().is_some_and(|product| product.active),
            )
            .await?;
        match found {
            Some(product) if product.active => Ok(product),
            _ => Err(UseCaseError::NotFound(Resource::Product)),
        }
    }

    /// Creates an active product from a draft that passes the menu rules.
    #[tracing::instrument(name = "catalog.create", skip_all)]
    pub async fn create(&self, draft: ProductDraft) -> Result<Product, UseCaseError> {
        let fields = draft.validate().map_err(UseCaseError::Invalid)?;
        let product = Product::from_validated(ProductId::new_random(), fields, true);
        products::insert(&self.pool, &product).await?;
        Ok(product)
    }

    /// Replaces every field of a product. `active: Some(true)` reactivates a deactivated
    /// product, `None` keeps its status.
    #[tracing::instrument(name = "catalog.replace", skip_all)]
    pub async fn replace(
        &self,
        id: ProductId,
        draft: ProductDraft,
        active: Option<bool>,
    ) -> Result<Product, UseCaseError> {
        let fields = draft.validate().map_err(UseCaseError::Invalid)?;
        let active = match active {
            Some(active) => active,
            None => self.existing(id).await?.active,
        };
        let product = Product::from_validated(id, fields, active);
        if products::update(&self.pool, &product).await? {
            Ok(product)
        } else {
            Err(UseCaseError::NotFound(Resource::Product))
        }
    }

    async fn existing(&self, id: ProductId) -> Result<Product, UseCaseError> {
        products::find(&self.pool, id)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Product))
    }

    /// Deactivates a product. It is never deleted: past orders keep their snapshot of it and
    /// the row stays for reporting (v1 answered 500 when a product had ever been ordered).
    #[tracing::instrument(name = "catalog.deactivate", skip_all)]
    pub async fn deactivate(&self, id: ProductId) -> Result<(), UseCaseError> {
        if products::deactivate(&self.pool, id).await? {
            Ok(())
        } else {
            Err(UseCaseError::NotFound(Resource::Product))
        }
    }
}
