//! The response of an allocation API in Kubecost's shape (`GET /model/allocation`): `{ code,
//! data: [ { name: allocation } ] }`, each allocation with `cpuCost`, `ramCost`, `gpuCost`,
//! `pvCost`, `sharedCost`, `totalCost`, efficiencies and the quantities behind them, so existing
//! scripts and Backstage's Cost Insights can read Cairn. Costs are numbers in the currency;
//! Cairn adds `currency` and `aggregate` beside `data`, and `idleCost` (the idle share inside
//! `totalCost`) to each allocation.

pub mod window;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::allocation::{Aggregate, ClusterCost, Totals, UNALLOCATED};
use crate::model::Window;
use crate::report::{Policy, distribute};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocationResponse {
    pub code: u16,
    pub currency: String,
    /// What the allocations were summed by: `namespace`, `controller`, `label:team`, `entity`…
    pub aggregate: String,
    /// One set per step when not accumulated; one set when accumulated.
    pub data: Vec<BTreeMap<String, AllocationItem>>,
}

/// What the allocation's name is the value of (only the aggregated property is set).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Properties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controller: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
}

impl Properties {
    /// The property `aggregate` names, set to `name`.
    pub fn of(aggregate: &Aggregate, name: &str) -> Properties {
        let value = Some(name.to_string());
        match aggregate {
            Aggregate::Cluster => Properties {
                cluster: value,
                ..Default::default()
            },
            Aggregate::Node => Properties {
                node: value,
                ..Default::default()
            },
            Aggregate::Namespace => Properties {
                namespace: value,
                ..Default::default()
            },
            Aggregate::Workload => Properties {
                controller: value,
                ..Default::default()
            },
            Aggregate::Pod => Properties {
                pod: value,
                ..Default::default()
            },
            Aggregate::Container => Properties {
                container: value,
                ..Default::default()
            },
            // Cairn's own aggregates have no Kubecost property: the name says it all.
            Aggregate::Entity | Aggregate::Team | Aggregate::System | Aggregate::Domain => Properties::default(),
            Aggregate::Label(key) => Properties {
                labels: Some(BTreeMap::from([(key.clone(), name.to_string())])),
                ..Default::default()
            },
        }
    }
}

/// One allocation, Kubecost's fields and names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocationItem {
    pub name: String,
    pub properties: Properties,
    pub window: Window,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub minutes: f64,
    pub cpu_cores: f64,
    pub cpu_core_request_average: f64,
    pub cpu_core_usage_average: f64,
    pub cpu_core_hours: f64,
    pub cpu_cost: f64,
    pub cpu_efficiency: f64,
    pub gpu_count: f64,
    pub gpu_hours: f64,
    pub gpu_cost: f64,
    pub pv_bytes: f64,
    pub pv_byte_hours: f64,
    pub pv_cost: f64,
    pub ram_bytes: f64,
    pub ram_byte_request_average: f64,
    pub ram_byte_usage_average: f64,
    pub ram_byte_hours: f64,
    pub ram_cost: f64,
    pub ram_efficiency: f64,
    pub shared_cost: f64,
    pub external_cost: f64,
    pub idle_cost: f64,
    pub total_cost: f64,
    pub total_efficiency: f64,
}

impl AllocationItem {
    /// `totals` as Kubecost writes them over `window` (averages are over the whole window).
    pub fn new(name: &str, properties: Properties, window: Window, totals: &Totals) -> AllocationItem {
        let hours = window.hours();
        let average = |x: f64| if hours > 0.0 { x / hours } else { 0.0 };
        let cpu_efficiency = totals.cpu_efficiency().unwrap_or(0.0);
        let ram_efficiency = totals.ram_efficiency().unwrap_or(0.0);
        let (cpu, ram) = (totals.cpu.units(), totals.memory.units());
        let total_efficiency = if cpu + ram > 0.0 {
            (cpu * cpu_efficiency + ram * ram_efficiency) / (cpu + ram)
        } else {
            0.0
        };
        AllocationItem {
            name: name.to_string(),
            properties,
            window,
            start: window.start,
            end: window.end,
            minutes: hours * 60.0,
            cpu_cores: average(totals.cpu_core_hours),
            cpu_core_request_average: average(totals.cpu_core_request_hours),
            cpu_core_usage_average: average(totals.cpu_core_usage_hours),
            cpu_core_hours: totals.cpu_core_hours,
            cpu_cost: cpu,
            cpu_efficiency,
            gpu_count: average(totals.gpu_hours),
            gpu_hours: totals.gpu_hours,
            gpu_cost: totals.gpu.units(),
            pv_bytes: average(totals.pv_byte_hours),
            pv_byte_hours: totals.pv_byte_hours,
            pv_cost: totals.pv.units(),
            ram_bytes: average(totals.ram_byte_hours),
            ram_byte_request_average: average(totals.ram_byte_request_hours),
            ram_byte_usage_average: average(totals.ram_byte_usage_hours),
            ram_byte_hours: totals.ram_byte_hours,
            ram_cost: ram,
            ram_efficiency,
            shared_cost: totals.shared.units(),
            external_cost: 0.0,
            idle_cost: totals.idle.units(),
            total_cost: totals.total().units(),
            total_efficiency,
        }
    }
}

impl AllocationResponse {
    /// One accumulated set from lines summed by `aggregate` (`name` is its Kubecost spelling, or
    /// Cairn's own such as `entity` or `owner`, whose properties stay empty).
    pub fn accumulated(
        currency: &str,
        name: &str,
        aggregate: Option<&Aggregate>,
        window: Window,
        lines: &BTreeMap<String, Totals>,
    ) -> AllocationResponse {
        let set = lines
            .iter()
            .map(|(key, totals)| {
                let properties = aggregate.map(|a| Properties::of(a, key)).unwrap_or_default();
                (key.clone(), AllocationItem::new(key, properties, window, totals))
            })
            .collect();
        AllocationResponse {
            code: 200,
            currency: currency.to_string(),
            aggregate: name.to_string(),
            data: vec![set],
        }
    }
}

/// Aggregated costs (one allocation per group, `group` its key, as `store::Store::grouped`
/// reads them) distributed by `policy` per cluster and summed across clusters: one set per
/// window start (a bucket, or the whole window), oldest first, each with `__idle__`,
/// `__shared__`, `__unmounted__` and `__unallocated__` lines where they are not zero.
pub fn sets(costs: Vec<ClusterCost>, policy: &Policy) -> Vec<(Window, BTreeMap<String, Totals>)> {
    let mut sets: BTreeMap<DateTime<Utc>, (Window, BTreeMap<String, Totals>)> = BTreeMap::new();
    for cost in costs {
        let report = distribute(cost, policy);
        let set = sets
            .entry(report.window.start)
            .or_insert_with(|| (report.window, BTreeMap::new()));
        let lines = report.lines(|a| a.group.clone().unwrap_or_else(|| UNALLOCATED.to_string()));
        for (key, totals) in lines {
            set.1.entry(key).or_default().merge(&totals);
        }
    }
    sets.into_values().collect()
}

impl AllocationResponse {
    /// The response for `sets` (from `sets`) summed by `aggregate` (`name` as asked).
    pub fn from_sets(
        currency: &str,
        name: &str,
        aggregate: &Aggregate,
        sets: &[(Window, BTreeMap<String, Totals>)],
    ) -> AllocationResponse {
        let data = sets
            .iter()
            .map(|(window, lines)| {
                lines
                    .iter()
                    .map(|(key, totals)| {
                        let properties = if key.starts_with("__") {
                            Properties::default()
                        } else {
                            Properties::of(aggregate, key)
                        };
                        (key.clone(), AllocationItem::new(key, properties, *window, totals))
                    })
                    .collect()
            })
            .collect();
        AllocationResponse {
            code: 200,
            currency: currency.to_string(),
            aggregate: name.to_string(),
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden;
    use crate::report::{Policy, report};
    use crate::shared::SharedNamespaces;

    #[test]
    fn the_golden_cluster_in_kubecosts_shape() {
        let policy = Policy {
            shared: SharedNamespaces {
                namespaces: vec!["kube-system".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        let r = report(&golden::cluster(), &golden::day(), &golden::prices(), &policy);
        let aggregate = Aggregate::Namespace;
        let lines = r.lines(|a| aggregate.key(a));
        let response = AllocationResponse::accumulated("USD", "namespace", Some(&aggregate), r.window, &lines);
        let json = serde_json::to_value(&response).expect("json");
        assert_eq!(json["code"], 200);
        assert_eq!(json["aggregate"], "namespace");
        let ml = &json["data"][0]["ml"];
        assert_eq!(ml["name"], "ml");
        assert_eq!(ml["properties"], serde_json::json!({ "namespace": "ml" }));
        assert_eq!(ml["window"]["start"], "2025-01-01T00:00:00Z");
        assert_eq!(ml["end"], "2025-01-02T00:00:00Z");
        assert_eq!(ml["minutes"], 1440.0);
        assert_eq!(ml["cpuCost"], 1.517328);
        assert_eq!(ml["ramCost"], 0.813504);
        assert_eq!(ml["gpuCost"], 12.624);
        assert_eq!(ml["pvCost"], 0.0);
        assert_eq!(ml["sharedCost"], 0.076196);
        assert_eq!(ml["totalCost"], 15.031028);
        assert_eq!(ml["cpuCores"], 2.0);
        assert_eq!(ml["gpuHours"], 24.0);
        // No usage known for ml: efficiency 0, as Kubecost writes it.
        assert_eq!(ml["cpuEfficiency"], 0.0);
        let shop = &json["data"][0]["shop"];
        assert_eq!(shop["pvCost"], 0.013151);
        assert_eq!(shop["pvBytes"], 10.0 * 1_073_741_824.0);
        // CPU usage 0.5 + 1.5 + 0.25 over requests 1 + 0.5 + 0 (batch has no usage known).
        assert_eq!(shop["cpuEfficiency"], 2.25 / 1.5);
        let idle = &json["data"][0]["__idle__"];
        assert_eq!(
            (&idle["cpuCost"], &idle["ramCost"], &idle["totalCost"]),
            (&2.389792.into(), &2.097315.into(), &4.487107.into())
        );
        let total: f64 = response.data[0].values().map(|i| i.total_cost).sum();
        assert!((total - 21.967054).abs() < 1e-9);
    }
}
