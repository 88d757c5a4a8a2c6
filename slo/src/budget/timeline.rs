//! The burn rate along a window, one point per step: what the Reliability tab draws under the
//! deploy markers and incidents. Each point is that step's bad over total events against the
//! error budget's fraction (1× spends exactly the budget over the window), with its counts.

use serde::{Deserialize, Serialize};

use super::buckets::Buckets;

/// One step of the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RatePoint {
    /// Start of the step (unix seconds).
    pub at: i64,
    /// `None` without events in the step.
    pub rate: Option<f64>,
    pub bad: f64,
    pub total: f64,
}

/// The burn rate of every `step` from `from` to `to` (the last step may be shorter).
pub fn timeline(buckets: &Buckets, from: i64, to: i64, step: i64, objective: f64) -> Vec<RatePoint> {
    let step = step.max(buckets.step());
    let allowed = 1.0 - objective;
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let end = (at + step).min(to);
        let sum = buckets.sum(at, end);
        out.push(RatePoint {
            at,
            rate: (sum.total > 0.0 && allowed > 0.0).then(|| sum.bad() / sum.total / allowed),
            bad: sum.bad(),
            total: sum.total,
        });
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::buckets::Count;

    #[test]
    fn each_step_is_its_own_bad_over_total_against_the_budget() {
        // Two hours of 5-minute steps, 100 events each; the second hour has 1 bad per step.
        let counts = (0..24)
            .map(|i| {
                let bad = if i >= 12 { 1.0 } else { 0.0 };
                Some(Count {
                    good: 100.0 - bad,
                    total: 100.0,
                })
            })
            .collect();
        let buckets = Buckets::new(0, 300, counts).expect("buckets");
        let points = timeline(&buckets, 0, 7_200, 3_600, 0.99);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].rate, Some(0.0));
        assert_eq!((points[1].bad, points[1].total), (12.0, 1_200.0));
        // 1% bad against a 1% budget: burning exactly at 1×.
        assert!((points[1].rate.expect("rate") - 1.0).abs() < 1e-9);
        let empty = timeline(&buckets, 7_200, 10_800, 3_600, 0.99);
        assert_eq!(empty[0].rate, None);
    }
}
