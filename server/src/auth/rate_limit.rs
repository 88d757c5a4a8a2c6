//! A fixed-window counter per key (a client address): enough to slow down guessing and floods
//! of sign-ins. Per replica; bounded in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys remembered; past it the stalest windows are forgotten first.
const MAX_KEYS: usize = 10_000;

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            limit,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key`; `Err(seconds)` to wait when the limit is reached.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() >= MAX_KEYS && !counts.contains_key(key) {
            counts.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            if counts.len() >= MAX_KEYS {
                // Still full of live windows: a flood of addresses. Forget the oldest tenth.
                let mut starts: Vec<Instant> = counts.values().map(|(s, _)| *s).collect();
                starts.sort();
                let cut = starts[starts.len() / 10];
                counts.retain(|_, (start, _)| *start > cut);
            }
        }
        let entry = counts.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let wait = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Whether `key` is over its limit, without counting.
    pub fn exceeded(&self, key: &str) -> bool {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts
            .get(key)
            .is_some_and(|(start, n)| start.elapsed() < self.window && *n >= self.limit)
    }
}

/// "Written recently" marks per key (a session, a token), so that of many requests arriving
/// together when a once-a-minute write falls due, only one writes. Per replica; bounded.
#[derive(Default)]
pub struct WriteOnce {
    written: Mutex<HashMap<String, Instant>>,
}

impl WriteOnce {
    /// True for the first caller per `key` within `every`; the others skip their write.
    pub fn claim(&self, key: &str, every: Duration) -> bool {
        let now = Instant::now();
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if written.len() >= MAX_KEYS {
            written.retain(|_, at| now.duration_since(*at) < every);
            if written.len() >= MAX_KEYS {
                written.clear();
            }
        }
        match written.get(key) {
            Some(at) if now.duration_since(*at) < every => false,
            _ => {
                written.insert(key.to_string(), now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_write_per_key_and_period() {
        let once = WriteOnce::default();
        assert!(once.claim("a", Duration::from_secs(60)));
        assert!(!once.claim("a", Duration::from_secs(60)));
        assert!(once.claim("b", Duration::from_secs(60)));
        assert!(once.claim("a", Duration::ZERO));
    }

    #[test]
    fn limits_per_key_within_the_window() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_err());
        assert!(limiter.exceeded("a"));
        assert!(limiter.check("b").is_ok());
    }

    #[test]
    fn a_new_window_starts_afresh() {
        let limiter = RateLimiter::new(1, Duration::from_millis(20));
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(limiter.check("a").is_ok());
    }
}
