//! Every SQL statement of the catalog. The pool speaks SQLite or PostgreSQL through `sqlx::Any`;
//! statements are written once where the dialects agree (`$1` placeholders work in both).

mod cache;
mod entities;
mod entity_cache;
mod facet_cache;
mod facets;
mod locations;
mod ownership;
mod query;
mod schedule;
pub mod search;
mod write;

use sqlx::AnyPool;

pub use entities::StoredEntity;
pub use entity_cache::EntityJson;
pub use facet_cache::FacetValues;
pub use locations::{LocationRow, LocationStatus, ProblemRow};
pub use ownership::UserMatch;
pub use query::{EntityPage, Facet, MAX_LIMIT, Order, PageJson, PageRequest};
pub use schedule::Outcome as RefreshOutcome;
pub use write::{Candidate, CandidateResult, Known, ORPHAN_ANNOTATION, Orphans, Prepared, Refresh, RefreshSummary};

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
    pub postgres: bool,
    /// Writers take a permit. SQLite has one writer: a refresh holds its transaction open while it
    /// reads, and another writer waiting on the database's busy timeout would fail after seconds,
    /// so writers queue here instead. PostgreSQL lets a few refreshes write side by side.
    write_gate: std::sync::Arc<tokio::sync::Semaphore>,
    /// Moved after every change this process commits: what the caches below read before it is
    /// stale.
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    facet_cache: std::sync::Arc<facet_cache::FacetCache>,
    entity_cache: std::sync::Arc<entity_cache::EntityCache>,
    /// Pages listed, by request.
    page_cache: std::sync::Arc<cache::Cache<String, std::sync::Arc<PageJson>>>,
}

/// How long a facet read from the kept counts is remembered when nothing changes in this process
/// (`catalog.facetCacheTtl`): what another replica changes shows within it.
pub const DEFAULT_FACET_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// How long an entity read by reference or uid is remembered when nothing changes in this
/// process (`catalog.entityCache.ttl`): what another replica changes shows within it.
pub const DEFAULT_ENTITY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// Most bytes of entities remembered (`catalog.entityCache.maxBytes`).
pub const DEFAULT_ENTITY_CACHE_BYTES: usize = 32 << 20;

/// How long a page of a listing or search is remembered when nothing changes in this process
/// (`catalog.queryCache.ttl`).
pub const DEFAULT_QUERY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// Most bytes of pages remembered (`catalog.queryCache.maxBytes`).
pub const DEFAULT_QUERY_CACHE_BYTES: usize = 16 << 20;

impl Store {
    /// A store over an open, migrated pool; `postgres` says which database it is.
    pub fn new(pool: AnyPool, postgres: bool) -> Store {
        let writers = if postgres { 4 } else { 1 };
        let generation = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        Store {
            pool,
            postgres,
            write_gate: std::sync::Arc::new(tokio::sync::Semaphore::new(writers)),
            facet_cache: std::sync::Arc::new(facet_cache::FacetCache::new(
                DEFAULT_FACET_CACHE_TTL,
                generation.clone(),
            )),
            entity_cache: std::sync::Arc::new(entity_cache::EntityCache::new(
                DEFAULT_ENTITY_CACHE_TTL,
                DEFAULT_ENTITY_CACHE_BYTES,
                generation.clone(),
            )),
            page_cache: std::sync::Arc::new(cache::Cache::new(
                DEFAULT_QUERY_CACHE_TTL,
                DEFAULT_QUERY_CACHE_BYTES,
                generation.clone(),
            )),
            generation,
        }
    }

    /// This store with facets remembered for `ttl` (zero: read every time).
    pub fn with_facet_cache_ttl(mut self, ttl: std::time::Duration) -> Store {
        self.facet_cache = std::sync::Arc::new(facet_cache::FacetCache::new(ttl, self.generation.clone()));
        self
    }

    /// This store with entities remembered for `ttl`, at most `max_bytes` of them (either zero:
    /// read every time).
    pub fn with_entity_cache(mut self, ttl: std::time::Duration, max_bytes: usize) -> Store {
        self.entity_cache =
            std::sync::Arc::new(entity_cache::EntityCache::new(ttl, max_bytes, self.generation.clone()));
        self
    }

    /// This store with pages of listings and searches remembered for `ttl`, at most `max_bytes`
    /// of them (either zero: read every time).
    pub fn with_query_cache(mut self, ttl: std::time::Duration, max_bytes: usize) -> Store {
        self.page_cache = std::sync::Arc::new(cache::Cache::new(ttl, max_bytes, self.generation.clone()));
        self
    }

    /// Says that a change to the catalog was committed: facets and entities remembered are read
    /// again.
    pub(crate) fn committed(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Waits for a turn to write (see `write_gate`). Public so that other stores over the same
    /// database (scaffolder tasks) queue with the catalog's writers.
    pub async fn writing(&self) -> tokio::sync::SemaphorePermit<'_> {
        // The semaphore is never closed.
        self.write_gate.acquire().await.expect("the write gate is never closed")
    }

    /// [`Store::writing`] for a writer that outlives the borrow (a refresh).
    pub(crate) async fn writing_owned(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.write_gate
            .clone()
            .acquire_owned()
            .await
            .expect("the write gate is never closed")
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
