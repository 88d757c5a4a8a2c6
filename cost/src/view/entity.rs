//! An entity's Cost tab: per UTC day, what it cost per resource type (today so far included),
//! the change of its last whole days against as many days before them, efficiency (usage over
//! request), where usage came from, every figure merged by rate (quantity × hours × rate, the
//! rate's source), and what each rollout changed.

use serde::{Deserialize, Serialize};

use super::rollout::{Rollout, RolloutImpact, impacts};
use super::{ByResource, Meter, UsageSource, figures_of, merge_figures};
use crate::allocation::{Basis, ClusterCost, Totals};
use crate::model::{Figure, Money};

const DAY: i64 = 86_400_000;

/// One UTC day of an entity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Day {
    pub start_ms: i64,
    pub cost: ByResource,
    /// The figures behind it, one per resource and rate.
    pub figures: Vec<Figure>,
    /// Today: not over yet.
    pub partial: bool,
}

/// What an entity's Cost tab shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityCost {
    pub entity: String,
    pub currency: String,
    /// Whole days compared (and shown, with today).
    pub days: u32,
    /// Today's midnight (UTC): the whole days are the `days` before it.
    pub today_ms: i64,
    /// `days` whole days and today, oldest first.
    pub daily: Vec<Day>,
    /// The whole days' cost, and the `days` before them.
    pub period: ByResource,
    pub previous: ByResource,
    /// period / previous − 1 (None when nothing was spent before).
    pub change: Option<f64>,
    /// Over every day shown, today so far included.
    pub cpu_efficiency: Option<f64>,
    pub ram_efficiency: Option<f64>,
    pub usage: UsageSource,
    /// What measured usage over the days shown, in the clusters it ran in (filled by the reader:
    /// `store::Store::meters`; empty: not known, the metrics API before Prometheus could be).
    #[serde(default)]
    pub meters: Vec<Meter>,
    /// Today so far.
    pub today: ByResource,
    /// Every shown day's figures (today's included), one per resource and rate.
    pub figures: Vec<Figure>,
    pub rollouts: Vec<RolloutImpact>,
}

/// Builds the tab from `costs` (an entity's grouped read per day, over the `2 × days` whole days
/// before `today_ms` and today) and its `rollouts` (those started since the shown period began).
pub fn build(
    entity: &str,
    currency: &str,
    days: u32,
    today_ms: i64,
    costs: &[ClusterCost],
    rollouts: &[Rollout],
    compare_days: u32,
) -> EntityCost {
    let span = i64::from(days) * DAY;
    let from = today_ms - span;
    let day_of = |c: &ClusterCost| c.window.start.timestamp_millis();
    let daily: Vec<Day> = (0..=i64::from(days))
        .map(|i| {
            let start_ms = from + i * DAY;
            let of_day: Vec<&ClusterCost> = costs.iter().filter(|c| day_of(c) == start_ms).collect();
            let mut cost = ByResource::default();
            of_day.iter().flat_map(|c| &c.allocations).for_each(|a| cost.add(a));
            Day {
                start_ms,
                cost,
                figures: merge_figures(figures_of(of_day.iter().flat_map(|c| &c.allocations))),
                partial: start_ms >= today_ms,
            }
        })
        .collect();
    let in_range = |lo: i64, hi: i64| costs.iter().filter(move |c| (lo..hi).contains(&day_of(c)));
    let sum = |lo: i64, hi: i64| {
        let mut by = ByResource::default();
        in_range(lo, hi).flat_map(|c| &c.allocations).for_each(|a| by.add(a));
        by
    };
    let (period, previous) = (sum(from, today_ms), sum(from - span, from));
    let change = (previous.total() > Money::ZERO)
        .then(|| period.total().micros() as f64 / previous.total().micros() as f64 - 1.0);
    let mut totals = Totals::default();
    let (mut measured, mut unmeasured) = (0.0, 0.0);
    // Efficiency, usage and figures over every day shown, today so far included.
    let shown_to = today_ms + DAY;
    for a in in_range(from, shown_to).flat_map(|c| &c.allocations) {
        totals.add(a);
        if a.cpu_basis == Basis::Requests {
            unmeasured += a.hours();
        } else {
            measured += a.hours();
        }
    }
    let daily_totals: Vec<(i64, Money)> = costs
        .iter()
        .map(|c| (day_of(c), c.allocations.iter().map(|a| a.own_cost()).sum()))
        .collect();
    EntityCost {
        entity: entity.to_string(),
        currency: currency.to_string(),
        days,
        today_ms,
        daily,
        period,
        previous,
        today: sum(today_ms, shown_to),
        change,
        cpu_efficiency: totals.cpu_efficiency(),
        ram_efficiency: totals.ram_efficiency(),
        usage: UsageSource::of(measured, unmeasured),
        meters: Vec::new(),
        figures: merge_figures(figures_of(in_range(from, shown_to).flat_map(|c| &c.allocations))),
        rollouts: impacts(rollouts, &daily_totals, compare_days, from - span, today_ms),
    }
}
