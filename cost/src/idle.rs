//! Idle: node capacity paid for but not allocated, per resource and cluster. It is its own line
//! unless shared out over the allocations in Kubecost's terms: `weighted` (each resource's idle
//! in proportion to what each allocation costs of that resource) or `even` (the same to each).
//! Idle is negative when usage above requests outgrew the nodes; it is shared the same way.

use serde::{Deserialize, Serialize};

use crate::allocation::{Allocation, ClusterCost};
use crate::model::{Money, Resource, split};

/// Whether and how idle is shared out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IdleShare {
    /// Its own line (`__idle__`).
    #[default]
    Separate,
    /// In proportion to each allocation's cost of the same resource.
    Weighted,
    /// Evenly, per allocation.
    Even,
}

/// A cluster's idle cost per resource: what its nodes cost less what was allocated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Idle {
    pub cpu: Money,
    pub memory: Money,
    pub gpu: Money,
}

impl Idle {
    pub fn total(&self) -> Money {
        self.cpu + self.memory + self.gpu
    }

    fn by_resource(&self) -> [(Resource, Money); 3] {
        [
            (Resource::Cpu, self.cpu),
            (Resource::Memory, self.memory),
            (Resource::Gpu, self.gpu),
        ]
    }
}

/// The idle cost of a cluster's nodes.
pub fn idle(cost: &ClusterCost) -> Idle {
    let paid = |r: Resource| cost.nodes.iter().map(|n| n.get(r)).sum::<Money>();
    let used = |r: Resource| cost.allocations.iter().map(|a| resource_cost(a, r)).sum::<Money>();
    Idle {
        cpu: paid(Resource::Cpu) - used(Resource::Cpu),
        memory: paid(Resource::Memory) - used(Resource::Memory),
        gpu: paid(Resource::Gpu) - used(Resource::Gpu),
    }
}

fn resource_cost(a: &Allocation, r: Resource) -> Money {
    match r {
        Resource::Cpu => a.cpu.cost,
        Resource::Memory => a.memory.cost,
        Resource::Gpu => a.gpu.cost,
        Resource::Storage => a.pv_cost(),
    }
}

/// Adds each allocation's share of `idle` to its `idle` and returns what stays its own line: all
/// of it when `Separate` or when there is no allocation to give it to, nothing otherwise.
pub fn share_idle(idle: &Idle, allocations: &mut [Allocation], policy: IdleShare) -> Money {
    if policy == IdleShare::Separate || allocations.is_empty() {
        return idle.total();
    }
    match policy {
        IdleShare::Even => give(allocations, split(idle.total(), &vec![1.0; allocations.len()])),
        _ => {
            for (resource, amount) in idle.by_resource() {
                let weights: Vec<f64> = allocations
                    .iter()
                    .map(|a| resource_cost(a, resource).micros() as f64)
                    .collect();
                give(allocations, split(amount, &weights));
            }
        }
    }
    Money::ZERO
}

fn give(allocations: &mut [Allocation], parts: Vec<Money>) {
    for (a, part) in allocations.iter_mut().zip(parts) {
        a.idle += part;
    }
}
