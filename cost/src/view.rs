//! What the cost pages show, built from aggregated reads (`store::Store::grouped`'s
//! `ClusterCost`s) by pure code, so the pages and their tests share it:
//!
//! - `entity`: an entity's Cost tab: cost per UTC day and resource, the change against the
//!   previous period, efficiency, every figure as quantity × hours × rate, and what each rollout
//!   changed (`rollout`);
//! - `lines`: rows of a team's or the organisation's cost (a row per entity, team, system…;
//!   idle, shared and unallocated as their own rows), with their evidence.

pub mod entity;
pub mod lines;
pub mod rollout;

use serde::{Deserialize, Serialize};

use crate::allocation::Allocation;
use crate::model::{Figure, Money, Resource};

/// `2025-01-31`: the UTC day `ms` falls in.
pub fn day_label(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Figures of one resource at one rate (same amount, same source) summed: quantity × hours
/// adds up, so the sum still reads as quantity × hours × rate.
pub fn merge_figures<'a>(figures: impl IntoIterator<Item = &'a Figure>) -> Vec<Figure> {
    let mut out: Vec<Figure> = Vec::new();
    for f in figures {
        if f.hours <= 0.0 && f.cost == Money::ZERO {
            continue;
        }
        match out.iter_mut().find(|o| {
            o.resource == f.resource && o.price.rate.amount == f.price.rate.amount && o.price.source == f.price.source
        }) {
            Some(o) => {
                let units = o.quantity * o.hours + f.quantity * f.hours;
                o.hours += f.hours;
                o.quantity = if o.hours > 0.0 { units / o.hours } else { 0.0 };
                o.cost += f.cost;
            }
            None => out.push(f.clone()),
        }
    }
    out.sort_by(|a, b| a.resource.cmp(&b.resource).then(b.cost.cmp(&a.cost)));
    out
}

/// Every figure of `allocations` (CPU, memory, GPU, volume shares), not yet merged.
pub fn figures_of<'a>(allocations: impl IntoIterator<Item = &'a Allocation>) -> Vec<&'a Figure> {
    allocations
        .into_iter()
        .flat_map(|a| {
            [&a.cpu, &a.memory, &a.gpu]
                .into_iter()
                .chain(a.volumes.iter().map(|v| &v.figure))
        })
        .collect()
}

/// Cost per resource type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByResource {
    pub cpu: Money,
    pub memory: Money,
    pub gpu: Money,
    pub storage: Money,
}

impl ByResource {
    pub fn total(&self) -> Money {
        self.cpu + self.memory + self.gpu + self.storage
    }

    pub fn add(&mut self, a: &Allocation) {
        self.cpu += a.cpu.cost;
        self.memory += a.memory.cost;
        self.gpu += a.gpu.cost;
        self.storage += a.pv_cost();
    }

    pub fn get(&self, r: Resource) -> Money {
        match r {
            Resource::Cpu => self.cpu,
            Resource::Memory => self.memory,
            Resource::Gpu => self.gpu,
            Resource::Storage => self.storage,
        }
    }
}

/// What measured usage: the metrics API (metrics-server), or Prometheus' cAdvisor series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Meter {
    MetricsApi,
    Prometheus,
}

impl Meter {
    /// As the history keeps it (`cost_usage_sources.source`).
    pub fn as_str(self) -> &'static str {
        match self {
            Meter::MetricsApi => "metrics-api",
            Meter::Prometheus => "prometheus",
        }
    }

    pub fn parse(text: &str) -> Option<Meter> {
        match text {
            "metrics-api" => Some(Meter::MetricsApi),
            "prometheus" => Some(Meter::Prometheus),
            _ => None,
        }
    }

    /// `meters` named in a sentence (`A and B`); none known: the metrics API, the only source
    /// before Prometheus could be.
    pub fn names(meters: &[Meter]) -> String {
        match meters {
            [] => Meter::MetricsApi.name().to_string(),
            [one] => one.name().to_string(),
            [first @ .., last] => format!(
                "{} and {}",
                first.iter().map(|m| m.name()).collect::<Vec<_>>().join(", "),
                last.name()
            ),
        }
    }

    /// How a page names it.
    pub fn name(self) -> &'static str {
        match self {
            Meter::MetricsApi => "the metrics API (metrics.k8s.io)",
            Meter::Prometheus => {
                "Prometheus (rate of container_cpu_usage_seconds_total, container_memory_working_set_bytes)"
            }
        }
    }
}

/// Where usage came from over what is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UsageSource {
    /// Usage was measured (metrics.k8s.io) all along.
    Measured,
    /// Measured part of the time; requests alone the rest.
    Partly,
    /// Never measured: CPU and memory are priced on requests alone.
    RequestsOnly,
    /// Nothing was observed.
    Nothing,
}

impl UsageSource {
    /// From the seconds observed with and without usage.
    pub fn of(measured_hours: f64, unmeasured_hours: f64) -> UsageSource {
        match (measured_hours > 0.0, unmeasured_hours > 0.0) {
            (true, false) => UsageSource::Measured,
            (true, true) => UsageSource::Partly,
            (false, true) => UsageSource::RequestsOnly,
            (false, false) => UsageSource::Nothing,
        }
    }

    /// The sentence a page shows, naming what measured usage (`meters`, over the clusters and
    /// days shown; none known: the metrics API, the only source before Prometheus could be).
    pub fn sentence(self, meters: &[Meter]) -> String {
        let by = Meter::names(meters);
        match self {
            UsageSource::Measured => {
                format!("Usage measured by {by}: CPU and memory cost max(request, usage).")
            }
            UsageSource::Partly => {
                format!("Usage was measured by {by} only part of the time: the rest is priced on requests alone.")
            }
            UsageSource::RequestsOnly => "No usage was measured (neither the metrics API nor Prometheus): CPU and \
                 memory are priced on requests alone, and efficiency is unknown."
                .to_string(),
            UsageSource::Nothing => "Nothing was observed running for it in this period.".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Price, Rate, RateSource};

    #[test]
    fn figures_at_one_rate_merge_and_still_read_as_quantity_hours_rate() {
        let price = Price {
            rate: Rate::new(Resource::Cpu, 0.031611),
            source: RateSource::Default,
        };
        let a = Figure::new(Resource::Cpu, 1.0, 24.0, &price);
        let b = Figure::new(Resource::Cpu, 0.5, 24.0, &price);
        let merged = merge_figures([&a, &b]);
        assert_eq!(merged.len(), 1);
        let m = &merged[0];
        assert_eq!((m.quantity, m.hours), (0.75, 48.0));
        assert_eq!(m.cost, a.cost + b.cost);
        assert_eq!(Money::from_units(m.quantity * m.hours * 0.031611), m.cost);
    }

    #[test]
    fn the_usage_sentence_names_what_measured_it() {
        let measured = UsageSource::Measured;
        assert!(measured.sentence(&[]).contains("the metrics API (metrics.k8s.io)"));
        let prometheus = measured.sentence(&[Meter::Prometheus]);
        assert!(prometheus.starts_with("Usage measured by Prometheus"), "{prometheus}");
        assert!(
            prometheus.contains("container_memory_working_set_bytes"),
            "{prometheus}"
        );
        let both = UsageSource::Partly.sentence(&[Meter::MetricsApi, Meter::Prometheus]);
        assert!(both.contains("(metrics.k8s.io) and Prometheus"), "{both}");
        assert!(UsageSource::RequestsOnly.sentence(&[]).contains("requests alone"));
        for m in [Meter::MetricsApi, Meter::Prometheus] {
            assert_eq!(Meter::parse(m.as_str()), Some(m));
        }
    }
}
