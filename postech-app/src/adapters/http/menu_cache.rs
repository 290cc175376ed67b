//! The public product list as prepared answers, one per category filter
//! ([`PreparedCache`]), dropped on every `postech_menu` notification: the database sends one
//! at the commit of every write of `products`, from any pod (see
//! `postech_database::kitchen::MENU_CHANNEL`).

use std::time::Duration;

use postech_database::kitchen::MENU_CHANNEL;
use prometheus::Registry;

use crate::adapters::http::prepared_cache::{CacheSpec, Keep, Prepared, PreparedCache};
use crate::adapters::postgres::listener::PgListener;
use crate::application::catalog::Catalog;
use crate::application::error::{PortError, UseCaseError};
use crate::domain::catalog::{Category, Product};

/// The menu cache; cheap to clone.
#[derive(Clone)]
pub struct MenuCache {
    catalog: Catalog,
    cache: PreparedCache<Option<Category>>,
}

impl MenuCache {
    /// A cache reading through `catalog`, dropped on the notifications `listener` hears
    /// (its task subscribes to the menu channel now), with its series in `registry`.
    pub fn start(
        catalog: Catalog,
        listener: PgListener,
        max_age: Duration,
        registry: &Registry,
    ) -> Result<Self, prometheus::Error> {
        let spec = CacheSpec {
            name: "menu_cache",
            holds: "the product list",
            channel: MENU_CHANNEL,
            max_age,
            // The unfiltered list and one per category.
            max_keys: 1 + Category::ALL.len(),
        };
        Ok(Self {
            catalog,
            cache: PreparedCache::start(spec, listener, registry)?,
        })
    }

    /// The active products of `category` (all when `None`) as a prepared JSON answer built by
    /// `prepare`.
    pub async fn products(
        &self,
        category: Option<Category>,
        prepare: fn(Vec<Product>) -> Result<Vec<u8>, serde_json::Error>,
    ) -> Result<Prepared, UseCaseError> {
        self.cache
            .get(category, |keep| async move {
                let products = match keep {
                    Keep::Yes => self.catalog.list_active(category).await?,
                    Keep::No => self.catalog.list_active_for_one_answer(category).await?,
                };
                let body = prepare(products).map_err(|error| PortError::Unexpected {
                    dependency: "json",
                    cause: error.into(),
                })?;
                Ok(Prepared::new(body))
            })
            .await
    }

    /// Drops the prepared answers now: this process just changed what the menu shows, and
    /// its next answer must show it even before the database's notification comes back.
    pub fn invalidate(&self) {
        self.cache.invalidate();
    }
}
