//! Every SQL statement of cost allocation (migrations 0012, 0018): the sampled history (`write`) and
//! what the API and pages read back from it, priced (`reads`). Over the catalog's store: the same
//! pool, and its write gate, so SQLite keeps one writer.
//!
//! The history holds quantities, never money: a sample becomes integrals over its interval
//! (millicore-seconds, byte-seconds, GPU-seconds) per container, node and volume, added to the
//! sample's hourly and daily rows in the same transaction as the sample itself and its claim on
//! the interval, so an interval is written once by one replica, or not at all.

mod backfill;
mod cache;
mod entities;
pub mod generate;
mod grouped;
mod meters;
mod reads;
mod rows;
mod write;

use std::collections::HashMap;
use std::sync::Mutex;

pub use catalog::store::StoreError;
pub use entities::MAX_OWNED;
pub use grouped::{Grouping, Only};
pub use reads::{Grain, bucket_window};
pub use write::Written;

/// Cost allocation's statements over the catalog's database.
#[derive(Debug)]
pub struct Store {
    catalog: catalog::store::Store,
    /// Row ids of the containers, nodes and volumes written lately, so a sample only asks the
    /// database for the ids of new ones. Cleared when it grows past `ID_CACHE`.
    ids: Mutex<Ids>,
    /// Sums of whole past days (`cache`).
    past: cache::PastSums,
}

/// Ids remembered at most; a cluster of 10 000 containers fits many times over.
const ID_CACHE: usize = 200_000;

#[derive(Debug, Default)]
struct Ids {
    /// `(cluster, key, labels JSON)` → id.
    allocations: HashMap<(String, crate::sample::AllocationKey, String), i64>,
    /// `(cluster, name, labels JSON)` → id.
    nodes: HashMap<(String, String, String), i64>,
    /// `(cluster, name, class, claim)` → id.
    volumes: HashMap<(String, String, String, String), i64>,
}

impl Store {
    pub fn new(catalog: catalog::store::Store) -> Store {
        Store {
            catalog,
            ids: Mutex::default(),
            past: {
                let defaults = crate::settings::CostSettings::default();
                cache::PastSums::new(defaults.cache_ttl, defaults.cache_entries)
            },
        }
    }

    /// Keeps sums of whole past days `ttl` at most, `entries` of them (`cost.cache`).
    pub fn with_cache(mut self, ttl: std::time::Duration, entries: usize) -> Store {
        self.past = cache::PastSums::new(ttl, entries);
        self
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        self.catalog.pool()
    }

    fn postgres(&self) -> bool {
        self.catalog.postgres
    }
}

fn query_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}
