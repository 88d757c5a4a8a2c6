//! One cluster over a window → what each node and volume costs (what is paid for) and what each
//! container is allocated.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::input::{Claim, Cluster, Container, Node, Owner, Pod, Volume};
use crate::model::{Figure, GIB, Money, Price, Resource, Window};
use crate::prices::{NodePrices, PriceSettings};

/// Which quantity a CPU or memory figure was priced on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Basis {
    /// No usage was known: the request alone.
    Requests,
    /// Usage was known and at most the request: the request.
    Request,
    /// Usage was known and above the request: the usage.
    Usage,
}

/// A container's share of a persistent volume its pod mounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeShare {
    pub claim: String,
    pub volume: String,
    /// Pods mounting the claim in the window; the capacity is split evenly between them, then
    /// between each pod's containers.
    pub pods: u32,
    pub figure: Figure,
}

/// What one container is allocated over the part of the window it ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    pub cluster: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub node: String,
    pub owner: Option<Owner>,
    /// The catalog entity and its owning team, when the workload is mapped to one.
    #[serde(default)]
    pub entity: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    /// What an aggregated read (`store::Grouping`) summed the containers it stands for by, when
    /// it stands for many: the line's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub window: Window,
    pub cpu: Figure,
    pub cpu_basis: Basis,
    pub memory: Figure,
    pub memory_basis: Basis,
    pub gpu: Figure,
    pub volumes: Vec<VolumeShare>,
    pub cpu_request_cores: f64,
    pub cpu_usage_cores: Option<f64>,
    pub memory_request_bytes: f64,
    pub memory_usage_bytes: Option<f64>,
    /// Its share of the cluster's idle cost, when idle is shared out.
    pub idle: Money,
    /// Its share of the shared namespaces' cost.
    pub shared: Money,
}

impl Allocation {
    pub fn hours(&self) -> f64 {
        self.window.hours()
    }

    pub fn pv_cost(&self) -> Money {
        self.volumes.iter().map(|v| v.figure.cost).sum()
    }

    /// What it used itself: CPU + memory + GPU + volumes.
    pub fn own_cost(&self) -> Money {
        self.cpu.cost + self.memory.cost + self.gpu.cost + self.pv_cost()
    }

    /// Its own cost with its shares of idle and shared costs.
    pub fn total_cost(&self) -> Money {
        self.own_cost() + self.idle + self.shared
    }
}

/// What a node costs over the window: its whole capacity, used or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCost {
    pub name: String,
    pub cpu: Figure,
    pub memory: Figure,
    pub gpu: Figure,
}

impl NodeCost {
    pub fn total(&self) -> Money {
        self.cpu.cost + self.memory.cost + self.gpu.cost
    }

    pub fn get(&self, resource: Resource) -> Money {
        match resource {
            Resource::Cpu => self.cpu.cost,
            Resource::Memory => self.memory.cost,
            Resource::Gpu => self.gpu.cost,
            Resource::Storage => Money::ZERO,
        }
    }
}

/// What a persistent volume costs over the window, and how much of it pods were given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeCost {
    pub name: String,
    pub claim: Option<String>,
    pub figure: Figure,
    pub mounted: Money,
}

impl VolumeCost {
    /// Paid for, but no pod mounted it (or not all the time).
    pub fn unmounted(&self) -> Money {
        self.figure.cost - self.mounted
    }
}

/// A cluster's costs over a window before idle and shared costs are distributed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterCost {
    pub cluster: String,
    pub window: Window,
    pub currency: String,
    pub nodes: Vec<NodeCost>,
    pub volumes: Vec<VolumeCost>,
    pub allocations: Vec<Allocation>,
}

impl ClusterCost {
    pub fn node_cost(&self) -> Money {
        self.nodes.iter().map(NodeCost::total).sum()
    }

    pub fn volume_cost(&self) -> Money {
        self.volumes.iter().map(|v| v.figure.cost).sum()
    }

    pub fn unmounted(&self) -> Money {
        self.volumes.iter().map(VolumeCost::unmounted).sum()
    }
}

/// Prices every node and volume of `cluster` and allocates every container that ran in `window`.
pub fn compute(cluster: &Cluster, window: &Window, prices: &PriceSettings) -> ClusterCost {
    let node_prices: HashMap<&str, (NodePrices, &Node)> = cluster
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), (prices.node_prices(&cluster.name, &n.labels), n)))
        .collect();
    let nodes = cluster
        .nodes
        .iter()
        .map(|n| node_cost(n, &node_prices[n.name.as_str()].0, window))
        .collect();
    let mut allocations = Vec::new();
    for pod in &cluster.pods {
        let Some(node_name) = pod.node.as_deref() else { continue };
        let (prices_here, node_active) = match node_prices.get(node_name) {
            Some((p, n)) => (p.clone(), n.active),
            // A node the watch has not seen (yet): priced like a node without labels.
            None => (prices.node_prices(&cluster.name, &BTreeMap::new()), None),
        };
        let ran = window.clamp(pod.active.as_ref()).clamp(node_active.as_ref());
        if ran.hours() <= 0.0 {
            continue;
        }
        for container in &pod.containers {
            allocations.push(allocate(&cluster.name, pod, node_name, container, &prices_here, ran));
        }
    }
    let volumes = attach_volumes(cluster, window, prices, &mut allocations);
    ClusterCost {
        cluster: cluster.name.clone(),
        window: *window,
        currency: prices.currency.clone(),
        nodes,
        volumes,
        allocations,
    }
}

fn node_cost(node: &Node, prices: &NodePrices, window: &Window) -> NodeCost {
    let hours = window.overlap_hours(node.active.as_ref());
    let c = node.capacity;
    NodeCost {
        name: node.name.clone(),
        cpu: Figure::new(Resource::Cpu, c.cpu_millis as f64 / 1000.0, hours, &prices.cpu),
        memory: Figure::new(Resource::Memory, c.memory_bytes as f64 / GIB, hours, &prices.memory),
        gpu: Figure::new(Resource::Gpu, f64::from(c.gpus), hours, &prices.gpu),
    }
}

/// max(request, usage) and which of the two it was.
fn basis(request: f64, usage: Option<f64>) -> (f64, Basis) {
    match usage {
        None => (request, Basis::Requests),
        Some(u) if u > request => (u, Basis::Usage),
        Some(_) => (request, Basis::Request),
    }
}

fn allocate(
    cluster: &str,
    pod: &Pod,
    node: &str,
    container: &Container,
    prices: &NodePrices,
    ran: Window,
) -> Allocation {
    let hours = ran.hours();
    let r = container.requests;
    let cpu_request = r.cpu_millis as f64 / 1000.0;
    let cpu_usage = container.usage.map(|u| u.cpu_millis / 1000.0);
    let memory_request = r.memory_bytes as f64;
    let memory_usage = container.usage.map(|u| u.memory_bytes);
    let (cpu, cpu_basis) = basis(cpu_request, cpu_usage);
    let (memory, memory_basis) = basis(memory_request, memory_usage);
    Allocation {
        cluster: cluster.to_string(),
        namespace: pod.namespace.clone(),
        pod: pod.name.clone(),
        container: container.name.clone(),
        node: node.to_string(),
        owner: pod.owner.clone(),
        entity: pod.entity.clone(),
        team: pod.team.clone(),
        group: None,
        labels: pod.labels.clone(),
        window: ran,
        cpu: Figure::new(Resource::Cpu, cpu, hours, &prices.cpu),
        cpu_basis,
        memory: Figure::new(Resource::Memory, memory / GIB, hours, &prices.memory),
        memory_basis,
        gpu: Figure::new(Resource::Gpu, f64::from(r.gpus), hours, &prices.gpu),
        volumes: Vec::new(),
        cpu_request_cores: cpu_request,
        cpu_usage_cores: cpu_usage,
        memory_request_bytes: memory_request,
        memory_usage_bytes: memory_usage,
        idle: Money::ZERO,
        shared: Money::ZERO,
    }
}

/// Prices each volume over the window and gives each pod mounting its claim an even share of
/// its capacity for the hours both existed, split evenly between the pod's containers. What no
/// pod was given stays with the volume (`unmounted`).
fn attach_volumes(
    cluster: &Cluster,
    window: &Window,
    prices: &PriceSettings,
    allocations: &mut [Allocation],
) -> Vec<VolumeCost> {
    let claim_of: HashMap<&str, &Claim> = cluster
        .claims
        .iter()
        .filter_map(|c| Some((c.volume.as_deref()?, c)))
        .collect();
    let mut costs = Vec::new();
    for volume in &cluster.volumes {
        let claim = claim_of.get(volume.name.as_str()).copied();
        let price = prices.storage_price(&cluster.name, volume.storage_class.as_deref());
        let gib = volume.capacity_bytes as f64 / GIB;
        let figure = Figure::new(
            Resource::Storage,
            gib,
            window.overlap_hours(volume.active.as_ref()),
            &price,
        );
        let mounted = match claim {
            Some(claim) => share_volume(cluster, volume, claim, &price, allocations),
            None => Money::ZERO,
        };
        let claim = claim.map(|c| format!("{}/{}", c.namespace, c.name));
        costs.push(VolumeCost {
            name: volume.name.clone(),
            claim,
            figure,
            mounted,
        });
    }
    costs
}

fn share_volume(
    cluster: &Cluster,
    volume: &Volume,
    claim: &Claim,
    price: &Price,
    allocations: &mut [Allocation],
) -> Money {
    let mounting: BTreeSet<&str> = cluster
        .pods
        .iter()
        .filter(|p| p.namespace == claim.namespace && p.claims.contains(&claim.name))
        .map(|p| p.name.as_str())
        .collect();
    let mut containers: BTreeMap<&str, u32> = BTreeMap::new();
    for a in allocations
        .iter()
        .filter(|a| a.namespace == claim.namespace && mounting.contains(a.pod.as_str()))
    {
        *containers.entry(a.pod.as_str()).or_default() += 1;
    }
    let containers: BTreeMap<String, u32> = containers.into_iter().map(|(pod, n)| (pod.to_string(), n)).collect();
    let pods = containers.len() as u32;
    let gib = volume.capacity_bytes as f64 / GIB;
    let mut mounted = Money::ZERO;
    for a in allocations.iter_mut() {
        if a.namespace != claim.namespace {
            continue;
        }
        let Some(&n) = containers.get(&a.pod) else { continue };
        let hours = a.window.overlap_hours(volume.active.as_ref());
        let figure = Figure::new(Resource::Storage, gib / f64::from(pods) / f64::from(n), hours, price);
        mounted += figure.cost;
        a.volumes.push(VolumeShare {
            claim: claim.name.clone(),
            volume: volume.name.clone(),
            pods,
            figure,
        });
    }
    mounted
}
