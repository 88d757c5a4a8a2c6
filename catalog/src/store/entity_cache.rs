//! Entities as the API sends them (body, relations and status, serialized), remembered by
//! reference and uid (`store::cache`; `catalog.entityCache`): a lookup by name is the catalog's
//! most frequent read, and pages and clients ask for the same entities again and again.

use std::sync::Arc;

use serde_json::Value;

/// An entity as the API answers it, and what the pages show beside it.
#[derive(Debug)]
pub struct EntityJson {
    /// Backstage's JSON shape, relations included, serialized.
    pub json: Arc<[u8]>,
    pub location_id: String,
    pub source: String,
    /// Problems of the latest read, when this is the last good version.
    pub errors: Option<Value>,
}

impl EntityJson {
    /// Bytes this holds, roughly.
    pub(crate) fn weight(&self) -> usize {
        self.json.len() + self.location_id.len() + self.source.len() + self.errors.as_ref().map_or(0, |_| 512)
    }
}

/// Where an entity is looked up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Lookup {
    Ref,
    Uid,
}

/// Entities by (lookup, value); `None` for an entity known not to exist.
pub(crate) type EntityCache = super::cache::Cache<(Lookup, String), Option<Arc<EntityJson>>>;
