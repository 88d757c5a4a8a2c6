//! Every SQL statement of the deployments: the rollout history (`rollouts`) and what maps
//! workloads to entities (`workload_mapping`, read from the catalog's tables). Over the catalog's
//! store: the same pool, and its write gate, so SQLite keeps one writer.

mod rollouts;
mod workload_mapping;

pub use catalog::store::StoreError;
pub use rollouts::MAX_ROLLOUTS;
pub(crate) use rollouts::{Change, Head, Replaced, Start, StoredRollout};
pub use workload_mapping::{
    ANNOTATION_DISCOVERED, ANNOTATION_ID, ANNOTATION_LABEL_SELECTOR, ANNOTATION_NAMESPACE, MappableEntity,
};

/// The deployments' statements over the catalog's database.
#[derive(Clone, Debug)]
pub struct Store {
    catalog: catalog::store::Store,
}

impl Store {
    pub fn new(catalog: catalog::store::Store) -> Store {
        Store { catalog }
    }

    /// The pool (the catalog's).
    pub fn pool(&self) -> &sqlx::AnyPool {
        self.catalog.pool()
    }

    async fn writing(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.catalog.writing().await
    }
}

fn query_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}
