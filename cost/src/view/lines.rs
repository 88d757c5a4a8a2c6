//! Rows of cost for a team or the organisation: one per key (an entity, a team, a system, a
//! namespace…), each with its cost per resource, its shares of idle and shared costs, its
//! efficiency and the figures behind it; then what is no one's as rows of its own (`__idle__`,
//! `__shared__`, `__unmounted__`, `__unallocated__`), so the rows add up to what was paid.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ByResource, UsageSource, figures_of, merge_figures};
use crate::allocation::{Basis, ClusterCost, IDLE, SHARED, Totals, UNALLOCATED, UNMOUNTED};
use crate::model::{Figure, Money};
use crate::report::{Policy, distribute};

/// One row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    /// The key (`component:default/web`, `kube-system`…), or a reserved `__…__` name.
    pub key: String,
    pub cost: ByResource,
    /// Its share of idle capacity (when idle is shared out), and of shared namespaces.
    pub idle: Money,
    pub shared: Money,
    pub cpu_efficiency: Option<f64>,
    pub ram_efficiency: Option<f64>,
    pub usage: UsageSource,
    /// One per resource and rate; for the idle row, the nodes' capacity it is part of.
    pub figures: Vec<Figure>,
}

impl Line {
    pub fn total(&self) -> Money {
        self.cost.total() + self.idle + self.shared
    }

    /// One of the reserved rows (idle, shared, unmounted, unallocated).
    pub fn reserved(&self) -> bool {
        self.key.starts_with("__")
    }
}

/// Rows over a window, largest first, reserved rows last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lines {
    pub currency: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub lines: Vec<Line>,
    /// What measured usage in the clusters read over the range (filled by the reader:
    /// `store::Store::meters`; empty: not known).
    #[serde(default)]
    pub meters: Vec<super::Meter>,
}

impl Lines {
    pub fn total(&self) -> Money {
        self.lines.iter().map(Line::total).sum()
    }
}

/// Distributes `costs` (grouped reads, each allocation's `group` its key) by `policy` per
/// cluster and sums them by key. `reserved`: keep the no-one's rows (the organisation) or leave
/// them out (a team, whose shares are in its rows' `idle` and `shared`).
pub fn build(
    currency: &str,
    from_ms: i64,
    to_ms: i64,
    costs: Vec<ClusterCost>,
    policy: &Policy,
    reserved: bool,
) -> Lines {
    struct Acc<'a> {
        cost: ByResource,
        idle: Money,
        shared: Money,
        totals: Totals,
        measured: f64,
        unmeasured: f64,
        figures: Vec<&'a Figure>,
    }
    let reports: Vec<_> = costs.into_iter().map(|c| distribute(c, policy)).collect();
    let mut by_key: BTreeMap<String, Acc> = BTreeMap::new();
    for a in reports.iter().flat_map(|r| &r.allocations) {
        let key = a.group.clone().unwrap_or_else(|| UNALLOCATED.to_string());
        let acc = by_key.entry(key).or_insert_with(|| Acc {
            cost: ByResource::default(),
            idle: Money::ZERO,
            shared: Money::ZERO,
            totals: Totals::default(),
            measured: 0.0,
            unmeasured: 0.0,
            figures: Vec::new(),
        });
        acc.cost.add(a);
        acc.idle += a.idle;
        acc.shared += a.shared;
        acc.totals.add(a);
        if a.cpu_basis == Basis::Requests {
            acc.unmeasured += a.hours();
        } else {
            acc.measured += a.hours();
        }
        acc.figures.extend(figures_of([a]));
    }
    let mut lines: Vec<Line> = by_key
        .into_iter()
        .map(|(key, acc)| Line {
            key,
            cost: acc.cost,
            idle: acc.idle,
            shared: acc.shared,
            cpu_efficiency: acc.totals.cpu_efficiency(),
            ram_efficiency: acc.totals.ram_efficiency(),
            usage: UsageSource::of(acc.measured, acc.unmeasured),
            figures: merge_figures(acc.figures),
        })
        .collect();
    if reserved {
        lines.extend(no_ones(&reports));
    }
    lines.sort_by(|a, b| a.reserved().cmp(&b.reserved()).then(b.total().cmp(&a.total())));
    Lines {
        currency: currency.to_string(),
        from_ms,
        to_ms,
        lines,
        meters: Vec::new(),
    }
}

/// The rows of what is no one's, where not zero.
fn no_ones(reports: &[crate::report::ClusterReport]) -> Vec<Line> {
    let row = |key: &str, cost: ByResource, figures: Vec<Figure>| Line {
        key: key.to_string(),
        cost,
        idle: Money::ZERO,
        shared: Money::ZERO,
        cpu_efficiency: None,
        ram_efficiency: None,
        usage: UsageSource::Nothing,
        figures,
    };
    let mut idle = ByResource::default();
    let (mut shared, mut unmounted) = (Money::ZERO, Money::ZERO);
    let mut nodes: Vec<&Figure> = Vec::new();
    let mut volumes: Vec<&Figure> = Vec::new();
    for r in reports {
        if r.idle_kept != Money::ZERO {
            idle.cpu += r.idle.cpu;
            idle.memory += r.idle.memory;
            idle.gpu += r.idle.gpu;
            nodes.extend(r.nodes.iter().flat_map(|n| [&n.cpu, &n.memory, &n.gpu]));
        }
        shared += r.shared_unassigned;
        unmounted += r.unmounted();
        volumes.extend(
            r.volumes
                .iter()
                .filter(|v| v.unmounted() != Money::ZERO)
                .map(|v| &v.figure),
        );
    }
    let mut out = Vec::new();
    if idle.total() != Money::ZERO {
        out.push(row(IDLE, idle, merge_figures(nodes)));
    }
    if shared != Money::ZERO {
        out.push(row(
            SHARED,
            ByResource {
                cpu: shared,
                ..Default::default()
            },
            Vec::new(),
        ));
    }
    if unmounted != Money::ZERO {
        out.push(row(
            UNMOUNTED,
            ByResource {
                storage: unmounted,
                ..Default::default()
            },
            merge_figures(volumes),
        ));
    }
    out
}

/// What a reserved row is, in words.
pub fn reserved_label(key: &str) -> Option<&'static str> {
    Some(match key {
        IDLE => "Idle: node capacity paid for and not allocated (its figures are the nodes' whole capacity)",
        SHARED => "Shared namespaces' cost with no one to share it to",
        UNMOUNTED => "Volumes paid for that no pod mounted",
        UNALLOCATED => "Unallocated: workloads no catalog entity claims",
        _ => return None,
    })
}
