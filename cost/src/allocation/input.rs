//! What allocation is computed from: a cluster's nodes, pods, claims and volumes as plain data,
//! filled by the Kubernetes watches (and usage by `metrics.k8s.io` or Prometheus) later.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Window;

/// One cluster as seen over a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub name: String,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub claims: Vec<Claim>,
    pub volumes: Vec<Volume>,
}

/// What a node offers (its capacity: what is paid for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capacity {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub gpus: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub name: String,
    /// Node pools are priced by a label (`node.kubernetes.io/instance-type`…).
    pub labels: BTreeMap<String, String>,
    pub capacity: Capacity,
    /// When it existed; `None`: the whole window.
    pub active: Option<Window>,
}

/// The workload that owns a pod: a Deployment rather than its ReplicaSet, a StatefulSet, a Job…
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    pub kind: String,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub owner: Option<Owner>,
    /// The catalog entity its workload is mapped to (`component:default/checkout`), if any.
    #[serde(default)]
    pub entity: Option<String>,
    /// That entity's owner (`group:default/payments`), if any.
    #[serde(default)]
    pub team: Option<String>,
    /// The node it runs on; `None` (pending) costs nothing.
    pub node: Option<String>,
    pub containers: Vec<Container>,
    /// Names of the claims it mounts, in its namespace.
    pub claims: Vec<String>,
    /// When it ran; `None`: the whole window.
    pub active: Option<Window>,
}

/// What a container asked for (0 where it set no request).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requests {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub gpus: u32,
}

/// What a container used on average over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub cpu_millis: f64,
    pub memory_bytes: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub requests: Requests,
    /// `None` when no metrics source is configured or it had no samples.
    pub usage: Option<Usage>,
}

/// A persistent volume claim and the volume it is bound to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    pub namespace: String,
    pub name: String,
    pub volume: Option<String>,
}

/// A persistent volume: its capacity is paid for whether or not a pod mounts it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    pub capacity_bytes: u64,
    pub storage_class: Option<String>,
    pub active: Option<Window>,
}
