//! What a rollout changed: the average daily cost over the whole days before it against the
//! whole days after it (the rollout's own day and today, unfinished, left out), so a page can say
//! "rollout 41 raised this service's cost by 32% a day".

use serde::{Deserialize, Serialize};

use crate::model::Money;

const DAY: i64 = 86_400_000;

/// A rollout as the deployments crate records it (the fields a cost page needs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    /// The workload's rollout number (1, 2, …).
    pub seq: i64,
    /// `cluster/namespace/Kind/name`.
    pub workload: String,
    /// The images it rolled out.
    pub version: String,
    /// `completed`, `failed`, `rolled-back`, `in-progress`.
    pub outcome: String,
    pub started_ms: i64,
}

/// A rollout with the daily cost around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutImpact {
    pub rollout: Rollout,
    /// The UTC day it started (its midnight).
    pub day_ms: i64,
    /// Average cost per day over `before_days` whole days before its day, and `after_days` after.
    pub before: Option<Money>,
    pub before_days: u32,
    pub after: Option<Money>,
    pub after_days: u32,
    /// after / before − 1, when both are known and before is not zero.
    pub change: Option<f64>,
}

impl RolloutImpact {
    /// `rollout 41 of prod/shop/Deployment/web raised this entity's cost by 32% a day
    /// (USD 1.20 → USD 1.58 a day, 3 days before and after)`, or why it cannot say yet.
    pub fn sentence(&self, currency: &str) -> String {
        let who = format!("rollout {} of {}", self.rollout.seq, self.rollout.workload);
        match (self.before, self.after, self.change) {
            (Some(b), Some(a), Some(change)) => {
                let verb = if change > 0.0005 {
                    format!("raised this entity's cost by {:.0}% a day", change * 100.0)
                } else if change < -0.0005 {
                    format!("lowered this entity's cost by {:.0}% a day", -change * 100.0)
                } else {
                    "left this entity's daily cost unchanged".to_string()
                };
                format!(
                    "{who} {verb} ({} → {} a day, {} day{} before and {} after)",
                    b.display(currency),
                    a.display(currency),
                    self.before_days,
                    if self.before_days == 1 { "" } else { "s" },
                    self.after_days
                )
            }
            (Some(b), Some(a), None) => format!(
                "{who}: {} a day before, {} a day after (nothing to compare with before it)",
                b.display(currency),
                a.display(currency)
            ),
            (_, None, _) => format!("{who}: no whole day after it yet to compare"),
            (None, Some(_), _) => format!("{who}: no whole day before it in the history to compare"),
        }
    }
}

/// The impact of each rollout from the daily totals (`(day midnight, total)`, any order; days
/// missing count as no cost), comparing up to `compare_days` whole days each side, none at or
/// after `today_ms` (unfinished) and none before `history_from_ms` (not read).
pub fn impacts(
    rollouts: &[Rollout],
    daily: &[(i64, Money)],
    compare_days: u32,
    history_from_ms: i64,
    today_ms: i64,
) -> Vec<RolloutImpact> {
    let cost_of = |day: i64| daily.iter().filter(|(d, _)| *d == day).map(|(_, m)| *m).sum::<Money>();
    rollouts
        .iter()
        .map(|r| {
            let day_ms = r.started_ms.div_euclid(DAY) * DAY;
            let k = i64::from(compare_days);
            let before: Vec<i64> = (1..=k)
                .map(|i| day_ms - i * DAY)
                .filter(|d| *d >= history_from_ms)
                .collect();
            let after: Vec<i64> = (1..=k).map(|i| day_ms + i * DAY).filter(|d| *d < today_ms).collect();
            let average = |days: &[i64]| {
                (!days.is_empty()).then(|| {
                    let sum: Money = days.iter().map(|d| cost_of(*d)).sum();
                    Money(sum.micros() / days.len() as i64)
                })
            };
            let (b, a) = (average(&before), average(&after));
            let change = match (b, a) {
                (Some(b), Some(a)) if b.micros() > 0 => Some(a.micros() as f64 / b.micros() as f64 - 1.0),
                _ => None,
            };
            RolloutImpact {
                rollout: r.clone(),
                day_ms,
                before: b,
                before_days: before.len() as u32,
                after: a,
                after_days: after.len() as u32,
                change,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollout(seq: i64, started_ms: i64) -> Rollout {
        Rollout {
            seq,
            workload: "prod/shop/Deployment/web".into(),
            version: "app=web:2".into(),
            outcome: "completed".into(),
            started_ms,
        }
    }

    #[test]
    fn compares_whole_days_before_and_after() {
        // Days 0..10; 1.00 a day before day 5, 1.32 from day 6; today is day 10.
        let daily: Vec<(i64, Money)> = (0..10)
            .map(|d| {
                (
                    d * DAY,
                    Money::from_units(if d < 5 {
                        1.0
                    } else if d == 5 {
                        1.1
                    } else {
                        1.32
                    }),
                )
            })
            .collect();
        let r = impacts(&[rollout(41, 5 * DAY + 3_600_000)], &daily, 3, 0, 10 * DAY);
        let i = &r[0];
        assert_eq!(i.day_ms, 5 * DAY);
        assert_eq!(
            (i.before, i.after),
            (Some(Money::from_units(1.0)), Some(Money::from_units(1.32)))
        );
        assert!((i.change.expect("change") - 0.32).abs() < 1e-9);
        assert_eq!(
            i.sentence("USD"),
            "rollout 41 of prod/shop/Deployment/web raised this entity's cost by 32% a day (USD 1.00 → USD 1.32 a day, 3 days before and 3 after)"
        );
        // Yesterday's rollout: only unfinished days after it.
        let late = &impacts(&[rollout(42, 9 * DAY)], &daily, 3, 0, 10 * DAY)[0];
        assert_eq!(late.after, None);
        assert!(late.sentence("USD").contains("no whole day after it yet"));
        // History read from day 4 on: one day before.
        let short = &impacts(&[rollout(43, 5 * DAY)], &daily, 3, 4 * DAY, 10 * DAY)[0];
        assert_eq!(short.before_days, 1);
    }
}
