//! A window of time: the interval a cost covers, and when a node, pod or volume existed in it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `[start, end)` in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Window {
        Window { start, end }
    }

    /// Its length in hours (0 when it ends before it starts).
    pub fn hours(&self) -> f64 {
        let millis = (self.end - self.start).num_milliseconds();
        if millis <= 0 { 0.0 } else { millis as f64 / 3_600_000.0 }
    }

    /// Hours of this window that `other` (a lifetime; `None`: all of it) covers.
    pub fn overlap_hours(&self, other: Option<&Window>) -> f64 {
        match other {
            None => self.hours(),
            Some(other) => Window::new(self.start.max(other.start), self.end.min(other.end)).hours(),
        }
    }

    /// The part of this window that `other` (`None`: all of it) covers.
    pub fn clamp(&self, other: Option<&Window>) -> Window {
        match other {
            None => *self,
            Some(other) => Window::new(self.start.max(other.start), self.end.min(other.end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).single().expect("a valid time")
    }

    #[test]
    fn overlaps_in_hours() {
        let day = Window::new(at(2025, 1, 1, 0), at(2025, 1, 2, 0));
        assert_eq!(day.hours(), 24.0);
        let evening = Window::new(at(2025, 1, 1, 18), at(2025, 1, 3, 0));
        assert_eq!(day.overlap_hours(Some(&evening)), 6.0);
        assert_eq!(day.overlap_hours(None), 24.0);
        let before = Window::new(at(2024, 1, 1, 0), at(2024, 1, 2, 0));
        assert_eq!(day.overlap_hours(Some(&before)), 0.0);
    }
}
