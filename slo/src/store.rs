//! Every SQL statement of the SLOs: their own tables (`definitions`: what was collected and the
//! sync claims; `buckets`: the 5-minute counts; `summaries`: each SLO's figures as of its last
//! sync) and read-only reads of the catalog's entities and the rollout history (`reads`). Over
//! the catalog's store: the same pool and its write gate, so SQLite keeps one writer.

mod buckets;
mod definitions;
mod reads;
mod summaries;

pub use catalog::store::StoreError;
pub use definitions::{Collected, DefinitionRow, ProblemRow};
pub use reads::{Deploy, Environment, ListingEntity};
pub use summaries::{StoredFigures, digest};

/// The SLOs' statements over the catalog's database.
#[derive(Clone, Debug)]
pub struct Store {
    catalog: catalog::store::Store,
}

impl Store {
    pub fn new(catalog: catalog::store::Store) -> Store {
        Store { catalog }
    }

    fn pool(&self) -> &sqlx::AnyPool {
        self.catalog.pool()
    }

    async fn writing(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.catalog.writing().await
    }

    /// The catalog's store (owners of entities).
    pub fn catalog(&self) -> &catalog::store::Store {
        &self.catalog
    }
}

fn query_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}
