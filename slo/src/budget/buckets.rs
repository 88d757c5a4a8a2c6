//! Good and total events per step (5 minutes), and their sums over any stretch in O(1) from
//! prefix sums. Event counts are whole numbers in practice, and f64 adds whole numbers exactly
//! up to 2^53, so the sums are exact.

use serde::{Deserialize, Serialize};

use crate::model::Numerator;

/// The events of one step. `good` never exceeds `total`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub good: f64,
    pub total: f64,
}

impl Count {
    /// From a numerator (good or bad) and the total. A bad count above the total (series scraped
    /// at different moments) is capped at the total: the step is all bad, never negative good.
    pub fn from_numerator(numerator: Numerator, events: f64, total: f64) -> Count {
        let events = events.max(0.0);
        let total = total.max(0.0);
        match numerator {
            Numerator::Good => Count {
                good: events.min(total),
                total,
            },
            Numerator::Bad => Count {
                good: (total - events).max(0.0),
                total,
            },
        }
    }
}

/// Sums over a stretch of steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sum {
    pub good: f64,
    pub total: f64,
    /// Steps of the stretch that had data.
    pub steps_with_data: usize,
}

impl Sum {
    pub fn bad(&self) -> f64 {
        self.total - self.good
    }

    /// Good over total; `None` without events.
    pub fn ratio(&self) -> Option<f64> {
        (self.total > 0.0).then(|| self.good / self.total)
    }
}

/// A series of steps from `start` (unix seconds, a multiple of `step`).
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets {
    start: i64,
    step: i64,
    counts: Vec<Option<Count>>,
    /// prefix[i] = sums of counts[..i].
    prefix: Vec<(f64, f64, usize)>,
}

impl Buckets {
    /// `counts[i]` covers `[start + i·step, start + (i+1)·step)`; `None` where there was no data.
    pub fn new(start: i64, step: i64, counts: Vec<Option<Count>>) -> Result<Buckets, String> {
        if step <= 0 || start % step != 0 {
            return Err(format!("buckets must start on a multiple of their step ({step} s)"));
        }
        let mut prefix = Vec::with_capacity(counts.len() + 1);
        let (mut good, mut total, mut with_data) = (0.0, 0.0, 0usize);
        prefix.push((good, total, with_data));
        for (i, count) in counts.iter().enumerate() {
            if let Some(c) = count {
                if !(c.good.is_finite() && c.total.is_finite() && c.good >= 0.0 && c.good <= c.total) {
                    return Err(format!("bucket {i} is not 0 <= good <= total: {c:?}"));
                }
                good += c.good;
                total += c.total;
                with_data += 1;
            }
            prefix.push((good, total, with_data));
        }
        Ok(Buckets {
            start,
            step,
            counts,
            prefix,
        })
    }

    pub fn start(&self) -> i64 {
        self.start
    }

    pub fn step(&self) -> i64 {
        self.step
    }

    /// The end of the last step.
    pub fn end(&self) -> i64 {
        self.start + self.counts.len() as i64 * self.step
    }

    pub fn counts(&self) -> &[Option<Count>] {
        &self.counts
    }

    /// The start of the first step with data.
    pub fn first_data(&self) -> Option<i64> {
        self.counts
            .iter()
            .position(Option::is_some)
            .map(|i| self.start + i as i64 * self.step)
    }

    /// The index of the first step starting at or after `at`, clamped to the series.
    fn index(&self, at: i64) -> usize {
        let offset = (at - self.start).max(0);
        let i = (offset + self.step - 1) / self.step;
        (i as usize).min(self.counts.len())
    }

    /// The sums of the steps lying wholly within `[from, to)`.
    pub fn sum(&self, from: i64, to: i64) -> Sum {
        let a = self.index(from);
        let b = self.index_end(to).max(a);
        let (g0, t0, d0) = self.prefix[a];
        let (g1, t1, d1) = self.prefix[b];
        Sum {
            good: g1 - g0,
            total: t1 - t0,
            steps_with_data: d1 - d0,
        }
    }

    /// The index just past the last step ending at or before `to`.
    fn index_end(&self, to: i64) -> usize {
        let offset = to - self.start;
        if offset <= 0 {
            return 0;
        }
        ((offset / self.step) as usize).min(self.counts.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[(f64, f64)]) -> Buckets {
        let counts = values
            .iter()
            .map(|&(good, total)| Some(Count { good, total }))
            .collect();
        Buckets::new(600, 300, counts).expect("test data")
    }

    #[test]
    fn sums_cover_whole_steps_within_the_range() {
        let b = series(&[(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)]);
        assert_eq!(b.end(), 1_500);
        let s = b.sum(600, 1_500);
        assert_eq!((s.good, s.total, s.steps_with_data), (9.0, 12.0, 3));
        let s = b.sum(900, 1_200);
        assert_eq!((s.good, s.total), (3.0, 4.0));
        // A step cut by either end is left out.
        let s = b.sum(700, 1_400);
        assert_eq!((s.good, s.total), (3.0, 4.0));
        assert_eq!(b.sum(0, 100_000).total, 12.0);
        assert_eq!(b.sum(1_400, 700).total, 0.0);
    }

    #[test]
    fn steps_without_data_are_counted_apart() {
        let b = Buckets::new(0, 300, vec![None, Some(Count { good: 1.0, total: 1.0 }), None]).expect("test data");
        assert_eq!(b.first_data(), Some(300));
        assert_eq!(b.sum(0, 900).steps_with_data, 1);
    }

    #[test]
    fn inconsistent_counts_are_refused_or_capped() {
        assert!(Buckets::new(1, 300, vec![]).is_err());
        assert!(Buckets::new(0, 300, vec![Some(Count { good: 2.0, total: 1.0 })]).is_err());
        assert_eq!(
            Count::from_numerator(Numerator::Bad, 5.0, 3.0),
            Count { good: 0.0, total: 3.0 }
        );
        assert_eq!(
            Count::from_numerator(Numerator::Good, 5.0, 3.0),
            Count { good: 3.0, total: 3.0 }
        );
    }
}
