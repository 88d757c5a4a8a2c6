//! Shared namespaces (`kube-system`, `monitoring`…): their allocations serve everyone, so their
//! cost, idle share included, is split over the other allocations of the cluster, `weighted` by
//! what each costs itself or `even`ly. Nothing is dropped: with no one to share to, the cost
//! stays as its own line (`__shared__`).

use serde::{Deserialize, Serialize};

use crate::allocation::Allocation;
use crate::model::{Money, split};

/// How a shared cost is split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Split {
    /// In proportion to each allocation's own cost.
    #[default]
    Weighted,
    /// The same to each allocation.
    Even,
}

/// Which namespaces are shared and how.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedNamespaces {
    #[serde(default)]
    pub namespaces: Vec<String>,
    #[serde(default)]
    pub split: Split,
}

/// Allocations after sharing: those that pay (each with its `shared` share), those whose cost
/// was shared out, and what stayed unassigned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shared {
    pub allocations: Vec<Allocation>,
    pub shared_from: Vec<Allocation>,
    pub unassigned: Money,
}

impl SharedNamespaces {
    pub fn is_shared(&self, namespace: &str) -> bool {
        self.namespaces.iter().any(|n| n == namespace)
    }

    /// Moves the shared namespaces' allocations out and splits their total cost over the rest.
    pub fn apply(&self, allocations: Vec<Allocation>) -> Shared {
        let (shared_from, mut rest): (Vec<_>, Vec<_>) =
            allocations.into_iter().partition(|a| self.is_shared(&a.namespace));
        let amount: Money = shared_from.iter().map(Allocation::total_cost).sum();
        if rest.is_empty() {
            return Shared {
                allocations: rest,
                shared_from,
                unassigned: amount,
            };
        }
        let weights: Vec<f64> = match self.split {
            Split::Weighted => rest.iter().map(|a| a.own_cost().micros() as f64).collect(),
            Split::Even => vec![1.0; rest.len()],
        };
        for (a, part) in rest.iter_mut().zip(split(amount, &weights)) {
            a.shared += part;
        }
        Shared {
            allocations: rest,
            shared_from,
            unassigned: Money::ZERO,
        }
    }
}
