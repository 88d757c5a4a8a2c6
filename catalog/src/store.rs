//! Every SQL statement of the catalog. The pool speaks SQLite or PostgreSQL through `sqlx::Any`;
//! statements are written once where the dialects agree (`$1` placeholders work in both).

mod entities;
mod locations;
mod query;
pub mod search;
mod write;

use sqlx::AnyPool;

pub use entities::StoredEntity;
pub use locations::{LocationRow, LocationStatus, ProblemRow};
pub use query::{EntityPage, Facet, Order, PageRequest};
pub use write::{Candidate, CandidateResult, Known, Prepared, Refresh, RefreshSummary};

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("catalog storage failed while {context}: {source}")]
    Query { context: &'static str, source: sqlx::Error },
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is corrupt ({0})")]
    Corrupt(String),
}

pub(crate) fn query_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}

/// The catalog's tables.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// PostgreSQL rather than SQLite: a few statements differ (bulk inserts, full-text search).
    postgres: bool,
}

impl Store {
    /// A store over an open, migrated pool; `postgres` says which database it is.
    pub fn new(pool: AnyPool, postgres: bool) -> Store {
        Store { pool, postgres }
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
