//! Facets read from the kept counts, remembered for a moment: the catalog page and clients ask
//! the same few facets again and again, and a facet of thousands of values (every owner) takes
//! tens of milliseconds to add up and send at 100 000 entities. A change this process commits
//! forgets them at once (the generation moves); a change another replica commits is seen within
//! the time to live (`catalog.facetCacheTtl`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Most facets remembered; the memory starts again when full.
const MAX_ENTRIES: usize = 256;

/// A facet as stored (`relations.ownedBy`, `spec.owner`…) and the kinds it counts (`None`: every kind).
type Key = (String, Option<Vec<String>>);
type Counts = Arc<Vec<(String, i64)>>;

pub(crate) struct FacetCache {
    ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<Key, (u64, Instant, Counts)>>,
}

impl std::fmt::Debug for FacetCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacetCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl FacetCache {
    pub(crate) fn new(ttl: Duration) -> FacetCache {
        FacetCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The generation a read starts in: what it stores is kept only while no change followed.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Called after a change to the counts is committed.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn get(&self, key: &Key) -> Option<Counts> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (generation, at, counts) = entries.get(key)?;
        (*generation == self.generation() && at.elapsed() < self.ttl).then(|| counts.clone())
    }

    /// Keeps `counts`, read in `generation` (a change since then makes them stale at once).
    pub(crate) fn put(&self, key: Key, generation: u64, counts: Counts) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (generation, Instant::now(), counts));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_or_the_time_to_live_forgets_a_facet() {
        let cache = FacetCache::new(Duration::from_secs(60));
        let key: Key = ("spec.owner".into(), None);
        let counts: Counts = Arc::new(vec![("team-a".into(), 2)]);
        cache.put(key.clone(), cache.generation(), counts.clone());
        assert_eq!(cache.get(&key), Some(counts.clone()));
        cache.changed();
        assert_eq!(cache.get(&key), None, "a committed change forgets it");
        // A read that began before a change must not be kept as current.
        let before = cache.generation();
        cache.changed();
        cache.put(key.clone(), before, counts.clone());
        assert_eq!(cache.get(&key), None);
        let off = FacetCache::new(Duration::ZERO);
        off.put(key.clone(), off.generation(), counts);
        assert_eq!(off.get(&key), None, "a time to live of zero keeps nothing");
    }
}
