//! What the catalog read, remembered until the catalog changes: a change this process commits
//! forgets everything at once (the catalog's generation moves; relations join entities, so one
//! entity's change alters others' answers), a change another replica commits is seen within the
//! time to live. Bounded by the bytes held (each entry's weight, roughly); past the bound, entries
//! of past generations go first, then any (the map's order is as good as random).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What an entry costs besides its weight (key, map slot, timestamps).
const OVERHEAD: usize = 128;

struct Entry<V> {
    generation: u64,
    at: Instant,
    weight: usize,
    /// A reader was told to read it again ([`Cache::get_or_stale`]).
    refreshing: bool,
    value: V,
}

/// What [`Cache::get_or_stale`] found.
pub(crate) enum Found<V> {
    /// Current: answer with it.
    Fresh(V),
    /// Past its time to live, of the current generation, and nobody is reading it again: answer
    /// with it, and read it again.
    Stale(V),
    /// Read it now.
    Missing,
}

struct Entries<K, V> {
    map: HashMap<K, Entry<V>>,
    bytes: usize,
}

pub(crate) struct Cache<K, V> {
    ttl: Duration,
    max_bytes: usize,
    generation: Arc<AtomicU64>,
    entries: Mutex<Entries<K, V>>,
}

impl<K, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("ttl", &self.ttl)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
    /// A cache over the catalog's `generation` (moved after every committed change); a time to
    /// live or a bound of zero keeps nothing.
    pub(crate) fn new(ttl: Duration, max_bytes: usize, generation: Arc<AtomicU64>) -> Cache<K, V> {
        Cache {
            ttl,
            max_bytes,
            generation,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                bytes: 0,
            }),
        }
    }

    fn off(&self) -> bool {
        self.ttl.is_zero() || self.max_bytes == 0
    }

    /// The generation a read starts in: what it stores is kept only while no change followed.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        if self.off() {
            return None;
        }
        let generation = self.generation();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.map.get(key)?;
        if entry.generation == generation && entry.at.elapsed() < self.ttl {
            return Some(entry.value.clone());
        }
        if let Some(stale) = entries.map.remove(key) {
            entries.bytes -= stale.weight;
        }
        None
    }

    /// Like [`Cache::get`], but past its time to live an entry of the current generation is
    /// still given: to one reader as [`Found::Stale`] (it reads it again, in the background), to
    /// the others as current until that reader is done (at most two more times to live).
    pub(crate) fn get_or_stale(&self, key: &K) -> Found<V> {
        if self.off() {
            return Found::Missing;
        }
        let generation = self.generation();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.map.get_mut(key) else {
            return Found::Missing;
        };
        let age = entry.at.elapsed();
        if entry.generation != generation {
            Found::Missing
        } else if age < self.ttl {
            Found::Fresh(entry.value.clone())
        } else if !entry.refreshing {
            entry.refreshing = true;
            Found::Stale(entry.value.clone())
        } else if age < self.ttl * 3 {
            Found::Fresh(entry.value.clone())
        } else {
            Found::Missing
        }
    }

    /// Keeps `value` (about `weight` bytes), read by a read that began in `generation`.
    pub(crate) fn put(&self, key: K, generation: u64, value: V, weight: usize) {
        let weight = weight + OVERHEAD;
        if self.off() || weight > self.max_bytes / 4 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.bytes + weight > self.max_bytes {
            entries.make_room(self.max_bytes - self.max_bytes / 4, self.generation());
        }
        entries.bytes += weight;
        let entry = Entry {
            generation,
            at: Instant::now(),
            weight,
            refreshing: false,
            value,
        };
        if let Some(old) = entries.map.insert(key, entry) {
            entries.bytes -= old.weight;
        }
    }
}

impl<K, V> Entries<K, V> {
    /// Drops entries of past generations, then any until at most `target` bytes are held.
    fn make_room(&mut self, target: usize, generation: u64) {
        let mut freed = 0;
        self.map.retain(|_, e| {
            let keep = e.generation == generation;
            if !keep {
                freed += e.weight;
            }
            keep
        });
        self.bytes -= freed;
        let mut excess = self.bytes.saturating_sub(target);
        let mut dropped = 0;
        self.map.retain(|_, e| {
            if excess == 0 {
                return true;
            }
            excess = excess.saturating_sub(e.weight);
            dropped += e.weight;
            false
        });
        self.bytes -= dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_or_the_time_to_live_forgets_what_was_read() {
        let generation = Arc::new(AtomicU64::new(0));
        let cache: Cache<&str, u32> = Cache::new(Duration::from_secs(60), 1 << 20, generation.clone());
        cache.put("a", cache.generation(), 1, 10);
        assert_eq!(cache.get(&"a"), Some(1));
        assert_eq!(cache.get(&"b"), None);
        generation.fetch_add(1, Ordering::AcqRel);
        assert_eq!(cache.get(&"a"), None, "a committed change forgets it");
        // A read that began before a change must not be kept as current.
        let before = cache.generation();
        generation.fetch_add(1, Ordering::AcqRel);
        cache.put("a", before, 1, 10);
        assert_eq!(cache.get(&"a"), None);
        let off: Cache<&str, u32> = Cache::new(Duration::ZERO, 1 << 20, generation.clone());
        off.put("a", off.generation(), 1, 10);
        assert_eq!(off.get(&"a"), None, "a time to live of zero keeps nothing");
        let short: Cache<&str, u32> = Cache::new(Duration::from_millis(10), 1 << 20, generation);
        short.put("a", short.generation(), 1, 10);
        std::thread::sleep(Duration::from_millis(15));
        assert_eq!(short.get(&"a"), None, "past its time to live");
    }

    #[test]
    fn past_its_time_to_live_one_reader_reads_it_again() {
        let cache: Cache<&str, u32> = Cache::new(Duration::from_millis(20), 1 << 20, Arc::new(AtomicU64::new(0)));
        cache.put("a", 0, 1, 10);
        assert!(matches!(cache.get_or_stale(&"a"), Found::Fresh(1)));
        std::thread::sleep(Duration::from_millis(25));
        assert!(
            matches!(cache.get_or_stale(&"a"), Found::Stale(1)),
            "the first reader reads it again"
        );
        assert!(
            matches!(cache.get_or_stale(&"a"), Found::Fresh(1)),
            "the others are answered meanwhile"
        );
        assert_eq!(cache.get(&"a"), None, "never as current to a plain read");
        cache.put("a", 0, 1, 10);
        std::thread::sleep(Duration::from_millis(25));
        assert!(matches!(cache.get_or_stale(&"a"), Found::Stale(1)));
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            matches!(cache.get_or_stale(&"a"), Found::Missing),
            "a reading that never ended"
        );
        cache.generation.fetch_add(1, Ordering::AcqRel);
        cache.put("b", 1, 2, 10);
        assert!(matches!(cache.get_or_stale(&"a"), Found::Missing), "another generation");
    }

    #[test]
    fn the_memory_stays_within_its_bound() {
        let cache: Cache<u32, u32> = Cache::new(Duration::from_secs(60), 100_000, Arc::new(AtomicU64::new(0)));
        for i in 0..1_000 {
            cache.put(i, 0, i, 1_000);
            let entries = cache.entries.lock().unwrap();
            assert!(entries.bytes <= 100_000, "{} bytes held", entries.bytes);
            assert_eq!(entries.bytes, entries.map.values().map(|e| e.weight).sum::<usize>());
        }
        assert_eq!(cache.get(&999), Some(999), "the latest is kept");
        cache.put(1_000, 0, 1_000, 60_000);
        assert_eq!(cache.get(&1_000), None, "too large to keep");
    }
}
