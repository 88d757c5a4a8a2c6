//! Allocations summed by a key: a cluster, namespace, workload, pod, label, or whatever the
//! caller maps them to (an entity, its owner). Kubecost's reserved names mark the lines that are
//! no one's: `__idle__`, `__unallocated__` (no value for the key), `__shared__`, `__unmounted__`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::compute::Allocation;
use crate::model::{GIB, Money, Window};

/// Idle capacity kept as its own line.
pub const IDLE: &str = "__idle__";
/// Allocations without a value for the key (no label, no owner).
pub const UNALLOCATED: &str = "__unallocated__";
/// Shared namespaces' cost left with no one to share it to.
pub const SHARED: &str = "__shared__";
/// Volumes paid for that no pod mounted.
pub const UNMOUNTED: &str = "__unmounted__";

/// What to sum allocations by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Aggregate {
    Cluster,
    Node,
    Namespace,
    /// `namespace/Kind/name` of the owning workload.
    Workload,
    /// `namespace/pod`.
    Pod,
    /// `namespace/pod/container`.
    Container,
    /// A pod label's value.
    Label(String),
    /// The catalog entity (`component:default/checkout`).
    Entity,
    /// The entity's owner (`group:default/payments`).
    Team,
    /// The System the entity is part of (`system:default/shop`), from the catalog.
    System,
    /// The Domain its System is part of (`domain:default/commerce`), from the catalog.
    Domain,
}

impl Aggregate {
    /// Kubecost's spelling: `cluster`, `node`, `namespace`, `controller` (or `workload`), `pod`,
    /// `container`, `label:<key>`; and Cairn's `entity`, `owner` (or `team`), `system`, `domain`.
    pub fn parse(text: &str) -> Option<Aggregate> {
        Some(match text {
            "cluster" => Aggregate::Cluster,
            "node" => Aggregate::Node,
            "namespace" => Aggregate::Namespace,
            "controller" | "workload" => Aggregate::Workload,
            "pod" => Aggregate::Pod,
            "container" => Aggregate::Container,
            "entity" => Aggregate::Entity,
            "owner" | "team" => Aggregate::Team,
            "system" => Aggregate::System,
            "domain" => Aggregate::Domain,
            _ => Aggregate::Label(text.strip_prefix("label:").filter(|k| label_key(k))?.to_string()),
        })
    }

    pub fn key(&self, a: &Allocation) -> String {
        match self {
            Aggregate::Cluster => a.cluster.clone(),
            Aggregate::Node => a.node.clone(),
            Aggregate::Namespace => a.namespace.clone(),
            Aggregate::Workload => match &a.owner {
                Some(o) => format!("{}/{}/{}", a.namespace, o.kind, o.name),
                None => UNALLOCATED.to_string(),
            },
            Aggregate::Pod => format!("{}/{}", a.namespace, a.pod),
            Aggregate::Container => format!("{}/{}/{}", a.namespace, a.pod, a.container),
            Aggregate::Label(k) => a.labels.get(k).cloned().unwrap_or_else(|| UNALLOCATED.to_string()),
            Aggregate::Entity => a.entity.clone().unwrap_or_else(|| UNALLOCATED.to_string()),
            Aggregate::Team => a.team.clone().unwrap_or_else(|| UNALLOCATED.to_string()),
            // Known to the catalog, not to a container: only aggregated reads carry them.
            Aggregate::System | Aggregate::Domain => a.group.clone().unwrap_or_else(|| UNALLOCATED.to_string()),
        }
    }
}

/// A Kubernetes label key's characters (`app.kubernetes.io/name`), at most 317 of them.
fn label_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 317
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
}

/// Costs and the quantities behind them, summed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub cpu: Money,
    pub memory: Money,
    pub gpu: Money,
    pub pv: Money,
    /// Shares of idle capacity.
    pub idle: Money,
    /// Shares of shared namespaces.
    pub shared: Money,
    /// What was allocated (max(request, usage)) × hours.
    pub cpu_core_hours: f64,
    pub cpu_core_request_hours: f64,
    pub ram_byte_hours: f64,
    pub ram_byte_request_hours: f64,
    pub gpu_hours: f64,
    pub pv_byte_hours: f64,
    /// Over the allocations whose usage is known only: efficiency compares these two.
    pub cpu_measured_request_hours: f64,
    pub cpu_core_usage_hours: f64,
    pub ram_measured_request_hours: f64,
    pub ram_byte_usage_hours: f64,
    pub usage_known: bool,
    /// From the earliest start to the latest end of what was summed.
    pub window: Option<Window>,
}

impl Totals {
    pub fn add(&mut self, a: &Allocation) {
        let h = a.hours();
        self.cpu += a.cpu.cost;
        self.memory += a.memory.cost;
        self.gpu += a.gpu.cost;
        self.pv += a.pv_cost();
        self.idle += a.idle;
        self.shared += a.shared;
        self.cpu_core_hours += a.cpu.quantity * h;
        self.cpu_core_request_hours += a.cpu_request_cores * h;
        self.ram_byte_hours += a.memory.quantity * GIB * h;
        self.ram_byte_request_hours += a.memory_request_bytes * h;
        self.gpu_hours += a.gpu.quantity * h;
        self.pv_byte_hours += a
            .volumes
            .iter()
            .map(|v| v.figure.quantity * GIB * v.figure.hours)
            .sum::<f64>();
        if let (Some(cpu), Some(ram)) = (a.cpu_usage_cores, a.memory_usage_bytes) {
            self.usage_known = true;
            self.cpu_measured_request_hours += a.cpu_request_cores * h;
            self.cpu_core_usage_hours += cpu * h;
            self.ram_measured_request_hours += a.memory_request_bytes * h;
            self.ram_byte_usage_hours += ram * h;
        }
        self.window = Some(match self.window {
            None => a.window,
            Some(w) => Window::new(w.start.min(a.window.start), w.end.max(a.window.end)),
        });
    }

    /// Adds `more` (the sum of two lines).
    pub fn merge(&mut self, more: &Totals) {
        self.cpu += more.cpu;
        self.memory += more.memory;
        self.gpu += more.gpu;
        self.pv += more.pv;
        self.idle += more.idle;
        self.shared += more.shared;
        self.cpu_core_hours += more.cpu_core_hours;
        self.cpu_core_request_hours += more.cpu_core_request_hours;
        self.ram_byte_hours += more.ram_byte_hours;
        self.ram_byte_request_hours += more.ram_byte_request_hours;
        self.gpu_hours += more.gpu_hours;
        self.pv_byte_hours += more.pv_byte_hours;
        self.cpu_measured_request_hours += more.cpu_measured_request_hours;
        self.cpu_core_usage_hours += more.cpu_core_usage_hours;
        self.ram_measured_request_hours += more.ram_measured_request_hours;
        self.ram_byte_usage_hours += more.ram_byte_usage_hours;
        self.usage_known |= more.usage_known;
        self.window = match (self.window, more.window) {
            (Some(a), Some(b)) => Some(Window::new(a.start.min(b.start), a.end.max(b.end))),
            (a, b) => a.or(b),
        };
    }

    /// Everything: own costs, idle and shared shares.
    pub fn total(&self) -> Money {
        self.cpu + self.memory + self.gpu + self.pv + self.idle + self.shared
    }

    /// Usage over request, where usage is known (Kubecost's: 1 when usage ran without a request).
    pub fn cpu_efficiency(&self) -> Option<f64> {
        efficiency(
            self.usage_known,
            self.cpu_core_usage_hours,
            self.cpu_measured_request_hours,
        )
    }

    pub fn ram_efficiency(&self) -> Option<f64> {
        efficiency(
            self.usage_known,
            self.ram_byte_usage_hours,
            self.ram_measured_request_hours,
        )
    }
}

fn efficiency(known: bool, usage: f64, request: f64) -> Option<f64> {
    if !known {
        None
    } else if request > 0.0 {
        Some(usage / request)
    } else if usage > 0.0 {
        Some(1.0)
    } else {
        Some(0.0)
    }
}

/// Sums `allocations` by `key`.
pub fn rollup<'a>(
    allocations: impl IntoIterator<Item = &'a Allocation>,
    key: impl Fn(&Allocation) -> String,
) -> BTreeMap<String, Totals> {
    let mut out: BTreeMap<String, Totals> = BTreeMap::new();
    for a in allocations {
        out.entry(key(a)).or_default().add(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubecosts_aggregates() {
        assert_eq!(Aggregate::parse("namespace"), Some(Aggregate::Namespace));
        assert_eq!(Aggregate::parse("controller"), Some(Aggregate::Workload));
        assert_eq!(Aggregate::parse("label:app"), Some(Aggregate::Label("app".into())));
        assert_eq!(Aggregate::parse("label:"), None);
        assert_eq!(Aggregate::parse("label:a\"b"), None);
        assert_eq!(Aggregate::parse("system"), Some(Aggregate::System));
        assert_eq!(Aggregate::parse("service"), None);
    }

    #[test]
    fn efficiency_is_usage_over_request() {
        assert_eq!(efficiency(false, 1.0, 2.0), None);
        assert_eq!(efficiency(true, 1.0, 4.0), Some(0.25));
        assert_eq!(efficiency(true, 1.0, 0.0), Some(1.0));
        assert_eq!(efficiency(true, 0.0, 0.0), Some(0.0));
    }
}
