//! Use cases of the menu: what customers browse and what staff manage.

use std::sync::Arc;

use crate::application::error::{Resource, UseCaseError};
use crate::application::ports::ProductRepository;
use crate::domain::catalog::{Category, Product, ProductDraft};
use crate::domain::ids::ProductId;

/// Which products a customer asked to see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Only this category; `None` for the whole menu.
    pub category: Option<Category>,
}

/// The menu use cases.
#[derive(Clone)]
pub struct Catalog {
    products: Arc<dyn ProductRepository>,
}

impl Catalog {
    /// The use cases over `products`.
    pub fn new(products: Arc<dyn ProductRepository>) -> Self {
        Self { products }
    }

    /// The active products, optionally of one category, in name order.
    pub async fn list_active(&self, filter: ProductFilter) -> Result<Vec<Product>, UseCaseError> {
        Ok(self.products.list(filter.category, true).await?)
    }

    /// One active product; inactive ones are as good as unknown to customers.
    pub async fn active_product(&self, id: ProductId) -> Result<Product, UseCaseError> {
        match self.existing(id).await? {
            product if product.active => Ok(product),
            _ => Err(UseCaseError::NotFound(Resource::Product)),
        }
    }

    /// Every product, inactive included (staff view).
    pub async fn list_all(&self) -> Result<Vec<Product>, UseCaseError> {
        Ok(self.products.list(None, false).await?)
    }

    /// Creates an active product from a draft that passes the menu rules.
    pub async fn create(&self, draft: ProductDraft) -> Result<Product, UseCaseError> {
        let fields = draft.validate().map_err(UseCaseError::Invalid)?;
        let product = Product::from_validated(ProductId::new_random(), fields, true);
        self.products.insert(&product).await?;
        Ok(product)
    }

    /// Replaces every field of a product. `active: Some(true)` reactivates a deactivated
    /// product, `None` keeps its status.
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
        if self.products.update(&product).await? {
            Ok(product)
        } else {
            Err(UseCaseError::NotFound(Resource::Product))
        }
    }

    async fn existing(&self, id: ProductId) -> Result<Product, UseCaseError> {
        self.products
            .find(id)
            .await?
            .ok_or(UseCaseError::NotFound(Resource::Product))
    }

    /// Deactivates a product. It is never deleted: past orders keep their snapshot of it and
    /// the row stays for reporting (v1 answered 500 when a product had ever been ordered).
    pub async fn deactivate(&self, id: ProductId) -> Result<(), UseCaseError> {
        if self.products.deactivate(id).await? {
            Ok(())
        } else {
            Err(UseCaseError::NotFound(Resource::Product))
        }
    }
}
