//! Every SQL statement of delivery: its own tables (`records`: reported deployments, incidents,
//! their links; `decisions`: owners' verdicts on suspected deployments) and read-only reads of
//! others' (`reads`). Over the catalog's store: the same pool, and its write gate, so SQLite
//! keeps one writer.

mod decisions;
mod reads;
mod records;

pub use catalog::store::StoreError;
pub use reads::RolloutRow;
pub use records::{IncidentRow, NewIncident, ReportedDeployment, Upsert};

/// Delivery's statements over the catalog's database.
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
}

fn query_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}
