//! One cluster's costs over a window, distributed: allocation, then idle (own line or shared),
//! then shared namespaces split over the rest. Conserved: allocations (with their shares) + idle
//! kept + shared unassigned + unmounted volumes = what the nodes and volumes cost, to the
//! micro-unit, whatever the policy (kubecost#2359: sharing idle must not change the total).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::allocation::{self, Allocation, Cluster, ClusterCost, NodeCost, Totals, VolumeCost};
use crate::idle::{Idle, IdleShare, idle, share_idle};
use crate::model::{Money, Window};
use crate::prices::PriceSettings;
use crate::shared::SharedNamespaces;

/// How idle and shared costs are distributed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    #[serde(default)]
    pub idle: IdleShare,
    #[serde(default)]
    pub shared: SharedNamespaces,
}

/// A cluster's costs, every currency unit accounted for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReport {
    pub cluster: String,
    pub window: Window,
    pub currency: String,
    pub nodes: Vec<NodeCost>,
    pub volumes: Vec<VolumeCost>,
    /// The cluster's idle cost per resource, before any was shared.
    pub idle: Idle,
    /// The idle cost kept as its own line.
    pub idle_kept: Money,
    /// Allocations that pay, with their shares of idle and shared costs.
    pub allocations: Vec<Allocation>,
    /// Allocations of shared namespaces, whose cost was moved to the others.
    pub shared_from: Vec<Allocation>,
    /// Shared cost with no one to share it to.
    pub shared_unassigned: Money,
}

/// Allocates `cluster` over `window` and distributes idle and shared costs by `policy`.
pub fn report(cluster: &Cluster, window: &Window, prices: &PriceSettings, policy: &Policy) -> ClusterReport {
    distribute(allocation::compute(cluster, window, prices), policy)
}

/// Distributes idle and shared costs of an allocated cluster (computed here, or read back from
/// the stored history by `store::Store::cluster_costs`) by `policy`.
pub fn distribute(mut cost: ClusterCost, policy: &Policy) -> ClusterReport {
    let idle = idle(&cost);
    let idle_kept = share_idle(&idle, &mut cost.allocations, policy.idle);
    let shared = policy.shared.apply(cost.allocations);
    ClusterReport {
        cluster: cost.cluster,
        window: cost.window,
        currency: cost.currency,
        nodes: cost.nodes,
        volumes: cost.volumes,
        idle,
        idle_kept,
        allocations: shared.allocations,
        shared_from: shared.shared_from,
        shared_unassigned: shared.unassigned,
    }
}

impl ClusterReport {
    /// What was paid for: the nodes' capacity and the volumes.
    pub fn assets(&self) -> Money {
        self.nodes.iter().map(NodeCost::total).sum::<Money>() + self.volumes.iter().map(|v| v.figure.cost).sum()
    }

    pub fn unmounted(&self) -> Money {
        self.volumes.iter().map(VolumeCost::unmounted).sum()
    }

    /// Everything distributed: equals `assets()`.
    pub fn distributed(&self) -> Money {
        self.allocations.iter().map(Allocation::total_cost).sum::<Money>()
            + self.idle_kept
            + self.shared_unassigned
            + self.unmounted()
    }

    /// The allocations summed by `key`, with `__idle__`, `__shared__` and `__unmounted__` lines
    /// for what is no one's (when not zero), so the lines add up to `assets()`.
    pub fn lines(&self, key: impl Fn(&Allocation) -> String) -> BTreeMap<String, Totals> {
        let mut lines = allocation::rollup(&self.allocations, key);
        let mut extra = |name: &str, set: &dyn Fn(&mut Totals)| {
            let line = lines.entry(name.to_string()).or_default();
            set(line);
            line.window = Some(self.window);
        };
        // Idle is kept whole or not at all: its line has it per resource, as Kubecost's does.
        if self.idle_kept != Money::ZERO {
            extra(allocation::IDLE, &|t| {
                t.cpu += self.idle.cpu;
                t.memory += self.idle.memory;
                t.gpu += self.idle.gpu;
            });
        }
        if self.shared_unassigned != Money::ZERO {
            extra(allocation::SHARED, &|t| t.shared += self.shared_unassigned);
        }
        if self.unmounted() != Money::ZERO {
            extra(allocation::UNMOUNTED, &|t| t.pv += self.unmounted());
        }
        lines
    }
}
