//! Sums of whole past days, kept: a day before today no longer changes (samples are written
//! into the interval's own day), so a grouped read over N days asks the database for today's rows
//! only once it has summed the rest; kept `cost.cache.ttl` at most (history written into the
//! past, the demo's backfill, shows within it), at most `cost.cache.entries` of them, and dropped
//! when the day turns (today's midnight is part of the key).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{StoreError, query_error};

const DAY_MS: i64 = 86_400_000;

/// Today's midnight (UTC).
pub(super) fn today(now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(DAY_MS)
}

/// One column of a summed row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Cell {
    Text(String),
    Int(i64),
}

/// A row of a grouped statement, read.
#[derive(Clone, Debug)]
pub(super) struct Raw(Vec<Cell>);

impl Raw {
    pub(super) fn read(row: &AnyRow) -> Result<Raw, StoreError> {
        (0..row.len())
            .map(|i| match row.try_get::<i64, _>(i) {
                Ok(n) => Ok(Cell::Int(n)),
                Err(_) => row
                    .try_get::<String, _>(i)
                    .map(Cell::Text)
                    .map_err(query_error("reading the cost history")),
            })
            .collect::<Result<_, _>>()
            .map(Raw)
    }

    pub(super) fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.0.get(i) {
            Some(Cell::Text(t)) => Ok(t.clone()),
            Some(Cell::Int(n)) => Ok(n.to_string()),
            None => Err(StoreError::Query {
                context: "reading the cost history",
                source: sqlx::Error::ColumnIndexOutOfBounds {
                    index: i,
                    len: self.0.len(),
                },
            }),
        }
    }

    pub(super) fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.0.get(i) {
            Some(Cell::Int(n)) => Ok(*n),
            _ => Err(StoreError::Query {
                context: "reading the cost history",
                source: sqlx::Error::ColumnDecode {
                    index: i.to_string(),
                    source: "not a number".into(),
                },
            }),
        }
    }

    /// Rows with the same leading columns added up, their last `sums` columns summed.
    pub(super) fn summed(rows: impl IntoIterator<Item = Raw>, sums: usize) -> Vec<Raw> {
        let mut out: Vec<Raw> = Vec::new();
        let mut at: HashMap<Vec<Cell>, usize> = HashMap::new();
        for row in rows {
            let split = row.0.len().saturating_sub(sums);
            let key = row.0[..split].to_vec();
            match at.get(&key) {
                Some(&i) => {
                    for (into, more) in out[i].0[split..].iter_mut().zip(&row.0[split..]) {
                        if let (Cell::Int(a), Cell::Int(b)) = (into, more) {
                            *a += b;
                        }
                    }
                }
                None => {
                    at.insert(key, out.len());
                    out.push(row);
                }
            }
        }
        out
    }
}

/// Summed rows of past days by statement, parameters and range.
#[derive(Debug)]
pub(super) struct PastSums {
    ttl: Duration,
    entries: usize,
    kept: Mutex<HashMap<String, (Instant, Arc<Vec<Raw>>)>>,
}

impl PastSums {
    pub(super) fn new(ttl: Duration, entries: usize) -> PastSums {
        PastSums {
            ttl,
            entries,
            kept: Mutex::default(),
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<Arc<Vec<Raw>>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, rows)| rows.clone())
    }

    pub(super) fn put(&self, key: String, rows: Arc<Vec<Raw>>) {
        if self.entries == 0 || self.ttl.is_zero() {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|_, (at, _)| at.elapsed() < self.ttl);
        if kept.len() >= self.entries {
            // The oldest goes.
            if let Some(oldest) = kept.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone()) {
                kept.remove(&oldest);
            }
        }
        kept.insert(key, (Instant::now(), rows));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_the_same_key_add_up() {
        let row = |k: &str, a: i64, b: i64| Raw(vec![Cell::Text(k.into()), Cell::Int(0), Cell::Int(a), Cell::Int(b)]);
        let out = Raw::summed([row("x", 1, 2), row("y", 5, 5), row("x", 10, 20)], 2);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].int(2).ok(), out[0].int(3).ok()), (Some(11), Some(22)));
        assert_eq!(out[1].text(0).ok().as_deref(), Some("y"));
    }

    #[test]
    fn kept_within_its_time_and_count() {
        let sums = PastSums::new(Duration::from_secs(60), 1);
        sums.put("a".into(), Arc::new(Vec::new()));
        assert!(sums.get("a").is_some());
        sums.put("b".into(), Arc::new(Vec::new()));
        assert!(sums.get("a").is_none() && sums.get("b").is_some(), "one entry at most");
        let none = PastSums::new(Duration::ZERO, 10);
        none.put("a".into(), Arc::new(Vec::new()));
        assert!(none.get("a").is_none());
    }
}
