//! Facets read from the kept counts, remembered sorted and serialized: the catalog page and
//! clients ask the same few facets again and again, and a facet of thousands of values (every
//! owner) takes tens of milliseconds to add up, sort and send at 100 000 entities. A change this
//! process commits forgets them at once (the catalog's generation moves); a change another
//! replica commits is seen within the time to live (`catalog.facetCacheTtl`). Past the time to
//! live, one reader reads the facet again in the background while the others are answered with
//! what was remembered, so readers never queue behind the database for it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::query::Facet;

/// Most facets remembered; the memory starts again when full.
const MAX_ENTRIES: usize = 256;

/// A facet as stored (`relations.ownedBy`, `spec.owner`…) and the kinds it counts (`None`: every kind).
pub(crate) type Key = (String, Option<Vec<String>>);

/// A facet's values, most frequent first, and the same as the API sends them.
#[derive(Debug)]
pub struct FacetValues {
    pub values: Vec<Facet>,
    /// `[{"value": …, "count": …}, …]`.
    pub json: Arc<[u8]>,
}

impl FacetValues {
    pub(crate) fn new(values: Vec<Facet>) -> FacetValues {
        let json = serde_json::to_vec(&values).unwrap_or_else(|_| b"[]".to_vec());
        FacetValues {
            values,
            json: json.into(),
        }
    }
}

/// What the cache says of a facet.
pub(crate) enum Cached {
    /// Current: answer with it.
    Fresh(Arc<FacetValues>),
    /// Past its time to live and nobody is reading it again: answer with it, and read it again.
    Stale(Arc<FacetValues>),
    /// Read it now.
    Missing,
}

struct Entry {
    generation: u64,
    at: Instant,
    refreshing: bool,
    values: Arc<FacetValues>,
}

pub(crate) struct FacetCache {
    ttl: Duration,
    /// The catalog's generation, shared with the entity cache.
    generation: Arc<AtomicU64>,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl std::fmt::Debug for FacetCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacetCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl FacetCache {
    /// A cache over the catalog's `generation` (moved after every committed change).
    pub(crate) fn new(ttl: Duration, generation: Arc<AtomicU64>) -> FacetCache {
        FacetCache {
            ttl,
            generation,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The generation a read starts in: what it stores is kept only while no change followed.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn get(&self, key: &Key) -> Cached {
        if self.ttl.is_zero() {
            return Cached::Missing;
        }
        let generation = self.generation();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.get_mut(key) else {
            return Cached::Missing;
        };
        let age = entry.at.elapsed();
        if entry.generation != generation {
            Cached::Missing
        } else if age < self.ttl {
            Cached::Fresh(entry.values.clone())
        } else if !entry.refreshing {
            entry.refreshing = true;
            Cached::Stale(entry.values.clone())
        } else if age < self.ttl * 3 {
            // Another reader is reading it again.
            Cached::Fresh(entry.values.clone())
        } else {
            // That reading failed or hangs: read it now.
            Cached::Missing
        }
    }

    /// Keeps `values`, read in `generation` (a change since then makes them stale at once).
    pub(crate) fn put(&self, key: Key, generation: u64, values: Arc<FacetValues>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                at: Instant::now(),
                refreshing: false,
                values,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(cached: Cached) -> Option<Arc<FacetValues>> {
        match cached {
            Cached::Fresh(values) => Some(values),
            _ => None,
        }
    }

    #[test]
    fn a_change_or_the_time_to_live_forgets_a_facet() {
        let generation = Arc::new(AtomicU64::new(0));
        let cache = FacetCache::new(Duration::from_secs(60), generation.clone());
        let key: Key = ("spec.owner".into(), None);
        let values = Arc::new(FacetValues::new(vec![Facet {
            value: "team-a".into(),
            count: 2,
        }]));
        assert_eq!(&*values.json, br#"[{"value":"team-a","count":2}]"#);
        cache.put(key.clone(), cache.generation(), values.clone());
        assert!(fresh(cache.get(&key)).is_some());
        generation.fetch_add(1, Ordering::AcqRel);
        assert!(
            matches!(cache.get(&key), Cached::Missing),
            "a committed change forgets it"
        );
        // A read that began before a change must not be kept as current.
        let before = cache.generation();
        generation.fetch_add(1, Ordering::AcqRel);
        cache.put(key.clone(), before, values.clone());
        assert!(matches!(cache.get(&key), Cached::Missing));
        let off = FacetCache::new(Duration::ZERO, generation);
        off.put(key.clone(), off.generation(), values);
        assert!(
            matches!(off.get(&key), Cached::Missing),
            "a time to live of zero keeps nothing"
        );
    }

    #[test]
    fn past_its_time_to_live_one_reader_reads_it_again() {
        let cache = FacetCache::new(Duration::from_millis(20), Arc::new(AtomicU64::new(0)));
        let key: Key = ("kind".into(), None);
        cache.put(key.clone(), 0, Arc::new(FacetValues::new(Vec::new())));
        std::thread::sleep(Duration::from_millis(25));
        assert!(
            matches!(cache.get(&key), Cached::Stale(_)),
            "the first reader reads it again"
        );
        assert!(fresh(cache.get(&key)).is_some(), "the others are answered meanwhile");
        std::thread::sleep(Duration::from_millis(50));
        assert!(matches!(cache.get(&key), Cached::Missing), "a reading that never ended");
    }
}
