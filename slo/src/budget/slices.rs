//! Timeslices budgeting: the window cut into slices from its start; a slice is good when its own
//! good/total reaches the slice target, bad when it does not, and empty (nothing failed, so it
//! counts as good) without events. RatioTimeslices: each slice contributes its ratio's shortfall.
//! Only complete slices are judged. The budget is a share of all the window's slices, so it
//! starts whole at the window's start, like time on a clock.

use serde::{Deserialize, Serialize};

use super::buckets::Buckets;
use super::window::Span;

/// The slices of a window so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slices {
    pub slice_seconds: i64,
    pub good: usize,
    pub bad: usize,
    pub empty: usize,
    /// Slices the whole window holds.
    pub in_window: usize,
    /// Σ (1 − ratio) over slices with events (the shortfall RatioTimeslices counts).
    pub shortfall: f64,
    /// Σ ratio over slices with events.
    pub ratio_sum: f64,
}

impl Slices {
    /// Judged slices with events.
    pub fn with_events(&self) -> usize {
        self.good + self.bad
    }
}

/// Judges the complete slices of `span`; `target` is the slice target (`None` for RatioTimeslices,
/// whose slices are not judged good or bad but still counted by events).
pub fn judge(buckets: &Buckets, span: &Span, slice_seconds: i64, target: Option<f64>) -> Slices {
    let mut out = Slices {
        slice_seconds,
        good: 0,
        bad: 0,
        empty: 0,
        in_window: (span.length() / slice_seconds).max(0) as usize,
        shortfall: 0.0,
        ratio_sum: 0.0,
    };
    let mut from = span.start;
    while from + slice_seconds <= span.end {
        let sum = buckets.sum(from, from + slice_seconds);
        match sum.ratio() {
            None => out.empty += 1,
            Some(ratio) => {
                out.shortfall += 1.0 - ratio;
                out.ratio_sum += ratio;
                if target.is_none_or(|t| ratio >= t) {
                    out.good += 1;
                } else {
                    out.bad += 1;
                }
            }
        }
        from += slice_seconds;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::buckets::Count;

    #[test]
    fn slices_are_judged_by_their_own_ratio() {
        // 15-minute slices of three 5-minute steps; an hour, the last slice incomplete.
        let counts = [
            (100.0, 100.0),
            (100.0, 100.0),
            (97.0, 100.0), // slice 0: 297/300 = 0.99 → good at 0.99
            (0.0, 0.0),
            (0.0, 0.0),
            (0.0, 0.0), // slice 1: no events → empty
            (90.0, 100.0),
            (100.0, 100.0),
            (100.0, 100.0), // slice 2: 290/300 < 0.99 → bad
            (100.0, 100.0),
            (100.0, 100.0),
        ];
        let counts = counts
            .iter()
            .map(|&(good, total)| Some(Count { good, total }))
            .collect();
        let b = Buckets::new(0, 300, counts).expect("test data");
        let span = Span {
            start: 0,
            end: 3_300,
            close: 3_600,
        };
        let s = judge(&b, &span, 900, Some(0.99));
        assert_eq!((s.good, s.bad, s.empty, s.in_window), (1, 1, 1, 4));
        assert!((s.shortfall - (0.01 + 10.0 / 300.0)).abs() < 1e-12);
    }
}
