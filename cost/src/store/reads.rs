//! What the API and pages read back: the history's hourly or daily rows over a window, priced
//! with the settings' prices (each node's by its cluster and labels, each volume's by its storage
//! class), as the pure model's types, so every figure is quantity × hours × rate with where the
//! rate came from, and `report::distribute` shares idle and shared costs as it does for a
//! computed cluster, conserved.
//!
//! - `cluster_costs`: per cluster and bucket (hour or day), every node's cost, every volume's,
//!   and every container's allocation (`ClusterCost`): idle is the nodes' cost less the
//!   allocations', per resource, so `report::distribute(cost, policy)` conserves the total;
//! - sums by an `Aggregate` are the database's (`grouped`), not these rows summed here.
//!
//! An allocation read back covers the time its container was observed in the bucket: its
//! `window` starts at the bucket and lasts that long; quantities are averages over it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, query_error};
use crate::allocation::{Allocation, Basis, ClusterCost, NodeCost, Owner, VolumeCost, VolumeShare};
use crate::model::{Figure, GIB, Money, Resource, Window};
use crate::prices::{NodePrices, PriceSettings};

/// Which rows to read: hourly or daily.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grain {
    Hour,
    Day,
}

impl Grain {
    pub(super) fn code(self) -> i64 {
        match self {
            Grain::Hour => 1,
            Grain::Day => 2,
        }
    }

    fn millis(self) -> i64 {
        match self {
            Grain::Hour => 3_600_000,
            Grain::Day => 86_400_000,
        }
    }
}

/// The bucket starting at `start_ms` (`[start, start + an hour or a day)`).
pub fn bucket_window(grain: Grain, start_ms: i64) -> Window {
    Window::new(at(start_ms), at(start_ms + grain.millis()))
}

pub(super) fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Most rows one read returns: 90 days of 10 000 containers' daily rows, and some.
pub const MAX_ROWS: i64 = 2_000_000;

/// A container's row as read.
struct AllocationRow {
    id: i64,
    cluster: String,
    start_ms: i64,
    namespace: String,
    pod: String,
    container: String,
    node: String,
    workload_kind: String,
    workload: String,
    entity: String,
    team: String,
    labels: String,
    q: [i64; 10],
}

impl Store {
    /// Every cluster's (or one's) costs per `grain` bucket starting in `[from_ms, to_ms)`, oldest
    /// first: nodes, volumes and allocations priced by `prices`.
    pub async fn cluster_costs(
        &self,
        cluster: Option<&str>,
        grain: Grain,
        from_ms: i64,
        to_ms: i64,
        prices: &PriceSettings,
    ) -> Result<Vec<ClusterCost>, StoreError> {
        let mut costs: BTreeMap<(i64, String), ClusterCost> = BTreeMap::new();
        let mut node_prices: HashMap<(String, String), NodePrices> = HashMap::new();
        for row in self.node_rows(cluster, grain, from_ms, to_ms).await? {
            let (name, start_ms, labels, q) = row;
            let (cluster, name) = name;
            let labels: BTreeMap<String, String> = serde_json::from_str(&labels).unwrap_or_default();
            let p = prices.node_prices(&cluster, &labels);
            let seconds = q[0].max(1) as f64;
            let hours = q[0] as f64 / 3600.0;
            let node = NodeCost {
                name: name.clone(),
                cpu: Figure::new(Resource::Cpu, q[1] as f64 / 1000.0 / seconds, hours, &p.cpu),
                memory: Figure::new(Resource::Memory, q[2] as f64 / GIB / seconds, hours, &p.memory),
                gpu: Figure::new(Resource::Gpu, q[3] as f64 / seconds, hours, &p.gpu),
            };
            node_prices.insert((cluster.clone(), name), p);
            entry(&mut costs, &cluster, grain, start_ms, &prices.currency)
                .nodes
                .push(node);
        }
        let mut allocations: HashMap<(i64, i64), usize> = HashMap::new();
        for row in self.allocation_rows(cluster, grain, from_ms, to_ms).await? {
            let p = node_prices
                .entry((row.cluster.clone(), row.node.clone()))
                .or_insert_with(|| prices.node_prices(&row.cluster, &BTreeMap::new()))
                .clone();
            let cost = entry(&mut costs, &row.cluster, grain, row.start_ms, &prices.currency);
            allocations.insert((row.start_ms, row.id), cost.allocations.len());
            cost.allocations.push(allocation(&row, &p));
        }
        self.attach_volumes(cluster, grain, from_ms, to_ms, prices, &mut costs, &allocations)
            .await?;
        Ok(costs.into_values().collect())
    }

    async fn node_rows(
        &self,
        cluster: Option<&str>,
        grain: Grain,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<((String, String), i64, String, [i64; 4])>, StoreError> {
        let rows = sqlx::query(
            "SELECT n.cluster, n.name, u.start_ms, n.labels, u.seconds, u.cpu, u.memory, u.gpu \
             FROM cost_node_usage u JOIN cost_nodes n ON n.id = u.node \
             WHERE u.grain = $1 AND u.start_ms >= $2 AND u.start_ms < $3 AND ($4 = '' OR n.cluster = $4) \
             ORDER BY u.start_ms, n.cluster, n.name LIMIT $5",
        )
        .bind(grain.code())
        .bind(from_ms)
        .bind(to_ms)
        .bind(cluster.unwrap_or(""))
        .bind(MAX_ROWS)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading the cost of nodes"))?;
        rows.iter()
            .map(|r| {
                let ints = ints(r, 4, 4)?;
                Ok((
                    (text(r, 0)?, text(r, 1)?),
                    int(r, 2)?,
                    text(r, 3)?,
                    [ints[0], ints[1], ints[2], ints[3]],
                ))
            })
            .collect()
    }

    async fn allocation_rows(
        &self,
        cluster: Option<&str>,
        grain: Grain,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<AllocationRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.cluster, u.start_ms, a.namespace, a.pod, a.container, a.node, a.workload_kind, \
               a.workload, a.entity, a.team, a.labels, u.seconds, u.usage_seconds, u.cpu_request, u.cpu_usage, \
               u.cpu_allocated, u.memory_request, u.memory_usage, u.memory_allocated, u.gpu \
             FROM cost_allocation_usage u JOIN cost_allocations a ON a.id = u.allocation \
             WHERE u.grain = $1 AND u.start_ms >= $2 AND u.start_ms < $3 AND ($4 = '' OR a.cluster = $4) \
             ORDER BY u.start_ms, a.id LIMIT $5",
        )
        .bind(grain.code())
        .bind(from_ms)
        .bind(to_ms)
        .bind(cluster.unwrap_or(""))
        .bind(MAX_ROWS)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading the cost of allocations"))?;
        rows.iter()
            .map(|r| {
                let q = ints(r, 12, 9)?;
                Ok(AllocationRow {
                    id: int(r, 0)?,
                    cluster: text(r, 1)?,
                    start_ms: int(r, 2)?,
                    namespace: text(r, 3)?,
                    pod: text(r, 4)?,
                    container: text(r, 5)?,
                    node: text(r, 6)?,
                    workload_kind: text(r, 7)?,
                    workload: text(r, 8)?,
                    entity: text(r, 9)?,
                    team: text(r, 10)?,
                    labels: text(r, 11)?,
                    q: [q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], 0],
                })
            })
            .collect()
    }

    /// Prices each volume and gives each allocation its share.
    #[expect(clippy::too_many_arguments, reason = "one statement's parts, each used once")]
    async fn attach_volumes(
        &self,
        cluster: Option<&str>,
        grain: Grain,
        from_ms: i64,
        to_ms: i64,
        prices: &PriceSettings,
        costs: &mut BTreeMap<(i64, String), ClusterCost>,
        allocations: &HashMap<(i64, i64), usize>,
    ) -> Result<(), StoreError> {
        let rows = sqlx::query(
            "SELECT v.cluster, u.start_ms, v.name, v.storage_class, v.claim, u.allocation, u.seconds, u.bytes \
             FROM cost_volume_usage u JOIN cost_volumes v ON v.id = u.volume \
             WHERE u.grain = $1 AND u.start_ms >= $2 AND u.start_ms < $3 AND ($4 = '' OR v.cluster = $4) \
             ORDER BY u.start_ms, v.cluster, v.name, u.allocation LIMIT $5",
        )
        .bind(grain.code())
        .bind(from_ms)
        .bind(to_ms)
        .bind(cluster.unwrap_or(""))
        .bind(MAX_ROWS)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading the cost of volumes"))?;
        for r in &rows {
            let (cluster, start_ms, name, class, claim) =
                (text(r, 0)?, int(r, 1)?, text(r, 2)?, text(r, 3)?, text(r, 4)?);
            let (allocation, seconds, bytes) = (int(r, 5)?, int(r, 6)?, int(r, 7)?);
            let price = prices.storage_price(&cluster, Some(class.as_str()).filter(|c| !c.is_empty()));
            let figure = Figure::new(
                Resource::Storage,
                bytes as f64 / GIB / seconds.max(1) as f64,
                seconds as f64 / 3600.0,
                &price,
            );
            let cost = entry(costs, &cluster, grain, start_ms, &prices.currency);
            if allocation == 0 {
                cost.volumes.push(VolumeCost {
                    name,
                    claim: Some(claim).filter(|c| !c.is_empty()),
                    figure,
                    mounted: Money::ZERO,
                });
                continue;
            }
            let Some(&index) = allocations.get(&(start_ms, allocation)) else {
                continue;
            };
            if let Some(volume) = cost.volumes.iter_mut().find(|v| v.name == name) {
                volume.mounted += figure.cost;
            }
            let claim_name = claim.rsplit('/').next().unwrap_or_default().to_string();
            cost.allocations[index].volumes.push(VolumeShare {
                claim: claim_name,
                volume: name,
                pods: 0,
                figure,
            });
        }
        // How many pods shared each volume in the bucket.
        for cost in costs.values_mut() {
            let mut pods: HashMap<&str, std::collections::BTreeSet<(&str, &str)>> = HashMap::new();
            for a in &cost.allocations {
                for v in &a.volumes {
                    pods.entry(v.volume.as_str())
                        .or_default()
                        .insert((&a.namespace, &a.pod));
                }
            }
            let counts: HashMap<String, u32> = pods.into_iter().map(|(v, p)| (v.to_string(), p.len() as u32)).collect();
            for a in &mut cost.allocations {
                for v in &mut a.volumes {
                    v.pods = counts.get(&v.volume).copied().unwrap_or(0);
                }
            }
        }
        Ok(())
    }
}

fn entry<'a>(
    costs: &'a mut BTreeMap<(i64, String), ClusterCost>,
    cluster: &str,
    grain: Grain,
    start_ms: i64,
    currency: &str,
) -> &'a mut ClusterCost {
    costs
        .entry((start_ms, cluster.to_string()))
        .or_insert_with(|| ClusterCost {
            cluster: cluster.to_string(),
            window: bucket_window(grain, start_ms),
            currency: currency.to_string(),
            nodes: Vec::new(),
            volumes: Vec::new(),
            allocations: Vec::new(),
        })
}

/// A container's row as an allocation: averages over the time it was observed, priced at its
/// node's prices.
fn allocation(row: &AllocationRow, prices: &NodePrices) -> Allocation {
    let owner = (!row.workload.is_empty()).then(|| Owner {
        kind: row.workload_kind.clone(),
        name: row.workload.clone(),
    });
    Allocation {
        cluster: row.cluster.clone(),
        namespace: row.namespace.clone(),
        pod: row.pod.clone(),
        container: row.container.clone(),
        node: row.node.clone(),
        owner,
        entity: Some(row.entity.clone()).filter(|e| !e.is_empty()),
        team: Some(row.team.clone()).filter(|t| !t.is_empty()),
        labels: serde_json::from_str(&row.labels).unwrap_or_default(),
        ..priced(&row.q, row.start_ms, prices)
    }
}

/// The figures of quantities summed over the time observed from `start_ms` (`q`: seconds, usage
/// seconds, CPU request, usage, allocated, memory request, usage, allocated, GPU), as averages
/// so quantity × hours is the total, priced at `prices`. Whose they are is left empty: a
/// container's row and a group's sums fill that in.
pub(super) fn priced(q: &[i64], start_ms: i64, prices: &NodePrices) -> Allocation {
    let [
        seconds,
        usage_seconds,
        cpu_request,
        cpu_usage,
        cpu_allocated,
        memory_request,
        memory_usage,
        memory_allocated,
        gpu,
    ] = [q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8]];
    let s = seconds.max(1) as f64;
    let hours = seconds as f64 / 3600.0;
    let known = usage_seconds > 0;
    let basis = |requested: i64, allocated: i64| match (known, allocated > requested) {
        (false, _) => Basis::Requests,
        (true, true) => Basis::Usage,
        (true, false) => Basis::Request,
    };
    let start = at(start_ms);
    Allocation {
        cluster: String::new(),
        namespace: String::new(),
        pod: String::new(),
        container: String::new(),
        node: String::new(),
        owner: None,
        entity: None,
        team: None,
        group: None,
        labels: BTreeMap::new(),
        window: Window::new(start, start + chrono::Duration::seconds(seconds)),
        cpu: Figure::new(Resource::Cpu, cpu_allocated as f64 / 1000.0 / s, hours, &prices.cpu),
        cpu_basis: basis(cpu_request, cpu_allocated),
        memory: Figure::new(
            Resource::Memory,
            memory_allocated as f64 / GIB / s,
            hours,
            &prices.memory,
        ),
        memory_basis: basis(memory_request, memory_allocated),
        gpu: Figure::new(Resource::Gpu, gpu as f64 / s, hours, &prices.gpu),
        volumes: Vec::new(),
        cpu_request_cores: cpu_request as f64 / 1000.0 / s,
        cpu_usage_cores: known.then(|| cpu_usage as f64 / 1000.0 / usage_seconds as f64),
        memory_request_bytes: memory_request as f64 / s,
        memory_usage_bytes: known.then(|| memory_usage as f64 / usage_seconds as f64),
        idle: Money::ZERO,
        shared: Money::ZERO,
    }
}

pub(super) fn text(row: &AnyRow, i: usize) -> Result<String, StoreError> {
    row.try_get(i).map_err(query_error("reading the cost history"))
}

pub(super) fn int(row: &AnyRow, i: usize) -> Result<i64, StoreError> {
    row.try_get(i).map_err(query_error("reading the cost history"))
}

fn ints(row: &AnyRow, from: usize, count: usize) -> Result<Vec<i64>, StoreError> {
    (from..from + count).map(|i| int(row, i)).collect()
}
