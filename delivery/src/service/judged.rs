//! Each entity's judged deployments, kept in memory while nothing they are judged from changes.
//! The database says what changed: `delivery_stamps` (bumped by triggers on every write, whichever
//! replica made it). So the organisation's metrics over a year judge again only the entities whose
//! data moved since the last request, and read nothing else but the stamps.
//!
//! An entry is also dropped after `ttl`: what the judgement reads besides the database (the
//! entity's repository annotations, the Git history and pull requests behind lead time) is
//! picked up within that time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::AssessedDeployment;

/// What one entry was judged over: the deployments read (`around`) and its stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Key {
    pub stamp: i64,
    pub around: (i64, i64),
}

struct Entry {
    key: Key,
    judged: Arc<Vec<AssessedDeployment>>,
    at: Instant,
    used: u64,
}

pub(super) struct Judged {
    entries: Mutex<State>,
    /// Most deployments held over every entity.
    limit: usize,
    ttl: Duration,
}

#[derive(Default)]
struct State {
    by_entity: HashMap<String, Entry>,
    held: usize,
    clock: u64,
}

impl Judged {
    pub fn new(limit: usize, ttl: Duration) -> Judged {
        Judged {
            entries: Mutex::new(State::default()),
            limit,
            ttl,
        }
    }

    /// The entity's judged deployments, if they were judged under `key` less than `ttl` ago.
    pub fn get(&self, entity: &str, key: Key, now: Instant) -> Option<Arc<Vec<AssessedDeployment>>> {
        let mut state = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.clock += 1;
        let clock = state.clock;
        let entry = state.by_entity.get_mut(entity)?;
        if entry.key != key || now.duration_since(entry.at) >= self.ttl {
            return None;
        }
        entry.used = clock;
        Some(entry.judged.clone())
    }

    /// Keeps `judged` for the entity under `key`; the least recently used go when the limit is
    /// reached. A set larger than a tenth of the limit is not kept.
    pub fn put(&self, entity: &str, key: Key, judged: Arc<Vec<AssessedDeployment>>, now: Instant) {
        let size = judged.len().max(1);
        if size > self.limit / 10 {
            return;
        }
        let mut state = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(old) = state.by_entity.remove(entity) {
            state.held -= old.judged.len().max(1);
        }
        if state.held + size > self.limit {
            // Down to nine tenths, so a full cache does not evict on every insertion.
            let mut by_use: Vec<(u64, String)> = state.by_entity.iter().map(|(e, x)| (x.used, e.clone())).collect();
            by_use.sort_unstable();
            for (_, victim) in by_use {
                if state.held + size <= self.limit / 10 * 9 {
                    break;
                }
                if let Some(gone) = state.by_entity.remove(&victim) {
                    state.held -= gone.judged.len().max(1);
                }
            }
        }
        state.clock += 1;
        let used = state.clock;
        state.held += size;
        state.by_entity.insert(
            entity.to_string(),
            Entry {
                key,
                judged,
                at: now,
                used,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(n: usize) -> Arc<Vec<AssessedDeployment>> {
        Arc::new(
            (0..n)
                .map(|i| AssessedDeployment {
                    id: format!("d{i}"),
                    entity: "component:default/a".into(),
                    version: "v1".into(),
                    commit: None,
                    source: crate::model::DeploymentSource::Reported,
                    started_ms: 0,
                    finished_ms: 1,
                    failures: Vec::new(),
                    rework: Vec::new(),
                    recovered_ms: None,
                    recovered_by: None,
                    changes: None,
                })
                .collect(),
        )
    }

    const KEY: Key = Key {
        stamp: 3,
        around: (0, 10),
    };

    #[test]
    fn an_entry_serves_its_own_stamp_and_range_until_it_expires() {
        let cache = Judged::new(1000, Duration::from_secs(60));
        let now = Instant::now();
        cache.put("component:default/a", KEY, judged(5), now);
        assert_eq!(cache.get("component:default/a", KEY, now).map(|j| j.len()), Some(5));
        let moved = Key { stamp: 4, ..KEY };
        assert!(
            cache.get("component:default/a", moved, now).is_none(),
            "a new stamp is a miss"
        );
        let wider = Key { around: (0, 11), ..KEY };
        assert!(
            cache.get("component:default/a", wider, now).is_none(),
            "another range is a miss"
        );
        assert!(cache.get("component:default/b", KEY, now).is_none());
        assert!(
            cache
                .get("component:default/a", KEY, now + Duration::from_secs(60))
                .is_none(),
            "expired"
        );
    }

    #[test]
    fn the_least_recently_used_go_when_the_limit_is_reached() {
        let cache = Judged::new(100, Duration::from_secs(60));
        let now = Instant::now();
        for name in ["a", "b", "c", "d"] {
            cache.put(name, KEY, judged(10), now);
        }
        assert!(cache.get("a", KEY, now).is_some(), "a is used: b is now the oldest");
        for name in ["e", "f", "g", "h", "i", "j", "k"] {
            cache.put(name, KEY, judged(10), now);
        }
        assert!(cache.get("b", KEY, now).is_none(), "b went first");
        assert!(cache.get("k", KEY, now).is_some());
        assert!(cache.get("a", KEY, now).is_some(), "a was used since");
        assert!(cache.entries.lock().expect("not poisoned").held <= 100);
        cache.put("huge", KEY, judged(11), now);
        assert!(
            cache.get("huge", KEY, now).is_none(),
            "more than a tenth of the limit is not kept"
        );
    }
}
