//! Aggregated reads: the history summed by the database (`GROUP BY` over hourly or daily rows),
//! never every container's row brought back. Each group is one key (an entity, team, system,
//! namespace…) on one node of one cluster, per bucket or over the whole range, read back as one
//! `Allocation` standing for its containers (`group` holds the key): priced at its node's rates,
//! so `report::distribute` shares idle and shared costs over the groups as it does over
//! containers, conserved. Weighted shares are the same either way; `even` ones are per group.
//!
//! Nodes and the volumes' capacity are read only for an unrestricted read (the organisation):
//! idle is a cluster's, not an entity's.

use std::collections::{BTreeMap, HashMap};

use super::cache::Raw;
use super::reads::{Grain, at, bucket_window, priced};
use super::{Store, StoreError, query_error};
use crate::allocation::{Aggregate, Allocation, ClusterCost, NodeCost, VolumeCost, VolumeShare};
use crate::model::{Figure, GIB, Money, Resource, Window};
use crate::prices::{NodePrices, PriceSettings};

/// Which containers a grouped read covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Only {
    /// Everything, with the nodes and volumes paid for (so idle and unmounted show).
    Everything,
    /// One entity's containers (`component:default/checkout`).
    Entity(String),
    /// The containers of every entity a team owns now (its `ownedBy` relation in the catalog;
    /// the owner recorded when sampled for containers no entity claims any more).
    Owner(String),
    /// The containers whose key by an aggregate is a value ('' for none): a drill-down.
    Key(Aggregate, String),
}

/// What to sum, over which rows.
#[derive(Clone, Debug)]
pub struct Grouping {
    pub aggregate: Aggregate,
    pub grain: Grain,
    pub from_ms: i64,
    pub to_ms: i64,
    /// One `ClusterCost` per bucket and cluster; false: one per cluster over the whole range.
    pub per_bucket: bool,
    pub only: Only,
    /// Namespaces whose containers keep their namespace (to be shared out by
    /// `report::Policy::shared`); the others' are summed together.
    pub shared_namespaces: Vec<String>,
}

/// The catalog's relations a key may need: each entity's current owner, system, and the
/// system's domain (at most one of each: the smallest, should a file declare two).
const OWNERS: &str = "LEFT JOIN (SELECT source_ref, MIN(target_ref) AS owner FROM relations \
     WHERE type = 'ownedBy' GROUP BY source_ref) o ON o.source_ref = a.entity";
const SYSTEMS: &str = "LEFT JOIN (SELECT source_ref, MIN(target_ref) AS system FROM relations \
     WHERE type = 'partOf' AND target_ref LIKE 'system:%' GROUP BY source_ref) s ON s.source_ref = a.entity";
const DOMAINS: &str = "LEFT JOIN (SELECT source_ref, MIN(target_ref) AS domain FROM relations \
     WHERE type = 'partOf' AND target_ref LIKE 'domain:%' GROUP BY source_ref) d ON d.source_ref = s.system";

/// An entity's owner: its current `ownedBy` relation, else the team recorded when sampled.
const OWNER: &str = "COALESCE(o.owner, a.team)";

/// The SQL of an aggregate's key over `cost_allocations a` (and the joins above); `bind` adds a
/// parameter and names it.
fn key_expression(aggregate: &Aggregate, postgres: bool, bind: &mut impl FnMut(String) -> String) -> String {
    match aggregate {
        Aggregate::Cluster => "a.cluster".to_string(),
        Aggregate::Node => "a.node".to_string(),
        Aggregate::Namespace => "a.namespace".to_string(),
        Aggregate::Workload => "CASE WHEN a.workload = '' THEN '' \
             ELSE a.namespace || '/' || a.workload_kind || '/' || a.workload END"
            .to_string(),
        Aggregate::Pod => "a.namespace || '/' || a.pod".to_string(),
        Aggregate::Container => "a.namespace || '/' || a.pod || '/' || a.container".to_string(),
        Aggregate::Label(k) if postgres => format!("COALESCE(a.labels::jsonb ->> {}, '')", bind(k.clone())),
        // The key's characters are a label key's (`Aggregate::parse`): safe inside the path.
        Aggregate::Label(k) => format!("COALESCE(json_extract(a.labels, {}), '')", bind(format!("$.\"{k}\""))),
        Aggregate::Entity => "a.entity".to_string(),
        Aggregate::Team => OWNER.to_string(),
        Aggregate::System => "COALESCE(s.system, '')".to_string(),
        Aggregate::Domain => "COALESCE(d.domain, '')".to_string(),
    }
}

/// The statement's parts for a grouping: the key's expression, the joins it needs, the filter.
#[derive(Clone)]
struct Parts {
    key: String,
    joins: String,
    filter: String,
    bucket: &'static str,
    namespace: String,
    /// `FROM` the usage rows and their containers: one entity's containers first (by its index,
    /// then each one's rows by theirs), else the rows of the range first. SQLite keeps the order
    /// of a `CROSS JOIN`; PostgreSQL plans either.
    allocations: &'static str,
    /// Bound after the grain and range: the label key, the filter's value, shared namespaces.
    binds: Vec<String>,
}

impl Grouping {
    fn parts(&self, postgres: bool) -> Parts {
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |value: String| {
            binds.push(value);
            format!("${}", binds.len() + 3)
        };
        let key = key_expression(&self.aggregate, postgres, &mut bind);
        let filter = match &self.only {
            Only::Everything => String::new(),
            Only::Entity(entity) => format!("AND a.entity = {}", bind(entity.clone())),
            Only::Owner(team) => format!("AND {OWNER} = {}", bind(team.clone())),
            Only::Key(by, value) => {
                let expression = key_expression(by, postgres, &mut bind);
                format!("AND {expression} = {}", bind(value.clone()))
            }
        };
        let namespace = if self.shared_namespaces.is_empty() {
            "''".to_string()
        } else {
            let list: Vec<String> = self.shared_namespaces.iter().map(|n| bind(n.clone())).collect();
            format!(
                "CASE WHEN a.namespace IN ({}) THEN a.namespace ELSE '' END",
                list.join(", ")
            )
        };
        let by = match &self.only {
            Only::Key(by, _) => Some(by),
            Only::Owner(_) => Some(&Aggregate::Team),
            _ => None,
        };
        let needs = |f: fn(&Aggregate) -> bool| f(&self.aggregate) || by.is_some_and(f);
        let mut joins = String::new();
        if needs(|a| matches!(a, Aggregate::Team)) {
            joins.push_str(OWNERS);
        }
        if needs(|a| matches!(a, Aggregate::System | Aggregate::Domain)) {
            joins.push(' ');
            joins.push_str(SYSTEMS);
        }
        if needs(|a| matches!(a, Aggregate::Domain)) {
            joins.push(' ');
            joins.push_str(DOMAINS);
        }
        Parts {
            key,
            joins,
            filter,
            bucket: if self.per_bucket {
                "u.start_ms"
            } else {
                "CAST(0 AS BIGINT)"
            },
            namespace,
            allocations: if matches!(self.only, Only::Entity(_)) {
                "cost_allocations a CROSS JOIN cost_allocation_usage u"
            } else {
                "cost_allocation_usage u CROSS JOIN cost_allocations a"
            },
            binds,
        }
    }

    fn bucket_start(&self, bucket: i64) -> i64 {
        if self.per_bucket { bucket } else { self.from_ms }
    }

    fn window(&self, bucket: i64) -> Window {
        if self.per_bucket {
            bucket_window(self.grain, bucket)
        } else {
            Window::new(at(self.from_ms), at(self.to_ms))
        }
    }
}

impl Store {
    /// The history summed by `grouping`, priced by `prices`: per cluster (and bucket), oldest
    /// first, each group one allocation whose `group` is its key (`None`: no value).
    pub async fn grouped(&self, grouping: &Grouping, prices: &PriceSettings) -> Result<Vec<ClusterCost>, StoreError> {
        let parts = grouping.parts(self.postgres());
        let mut costs: BTreeMap<(i64, String), ClusterCost> = BTreeMap::new();
        let mut node_prices: HashMap<(String, String), NodePrices> = HashMap::new();
        if grouping.only == Only::Everything {
            self.grouped_nodes(grouping, &parts, prices, &mut costs, &mut node_prices)
                .await?;
        }
        let mut index: HashMap<(i64, String, String, String, String), usize> = HashMap::new();
        for row in self.fetch(grouping, &parts, &allocation_sql(&parts), 9).await? {
            let (key, cluster, node, bucket, namespace) =
                (row.text(0)?, row.text(1)?, row.text(2)?, row.int(3)?, row.text(4)?);
            let q: Vec<i64> = (5..14).map(|i| row.int(i)).collect::<Result<_, _>>()?;
            let p = node_price(&mut node_prices, prices, &cluster, &node);
            let cost = entry(&mut costs, grouping, &cluster, bucket, &prices.currency);
            let start = grouping.bucket_start(bucket);
            index.insert(
                (bucket, cluster.clone(), node.clone(), key.clone(), namespace.clone()),
                cost.allocations.len(),
            );
            cost.allocations
                .push(group_allocation(&cluster, &node, &key, &namespace, start, &q, &p));
        }
        self.grouped_volumes(grouping, &parts, prices, &mut costs, &mut node_prices, &mut index)
            .await?;
        Ok(costs.into_values().collect())
    }

    /// `sql`'s rows over the grouping's range, its last `sums` columns summed: the whole days
    /// before today from the cache of past sums (they no longer change) when it holds them,
    /// today's read each time, the two added together.
    async fn fetch(&self, grouping: &Grouping, parts: &Parts, sql: &str, sums: usize) -> Result<Vec<Raw>, StoreError> {
        let today = super::cache::today(catalog::store::now_ms());
        if grouping.from_ms >= today || grouping.to_ms <= today {
            return self
                .read_raw(grouping, parts, sql, (grouping.from_ms, grouping.to_ms))
                .await;
        }
        let key = format!(
            "{sql}\u{1f}{:?}\u{1f}{}\u{1f}{}\u{1f}{today}",
            parts.binds,
            grouping.grain.code(),
            grouping.from_ms
        );
        let past = match self.past.get(&key) {
            Some(rows) => rows,
            None => {
                let rows = std::sync::Arc::new(self.read_raw(grouping, parts, sql, (grouping.from_ms, today)).await?);
                self.past.put(key, rows.clone());
                rows
            }
        };
        let live = self.read_raw(grouping, parts, sql, (today, grouping.to_ms)).await?;
        if grouping.per_bucket {
            return Ok(past.iter().cloned().chain(live).collect());
        }
        Ok(Raw::summed(past.iter().cloned().chain(live), sums))
    }

    async fn read_raw(
        &self,
        grouping: &Grouping,
        parts: &Parts,
        sql: &str,
        (from, to): (i64, i64),
    ) -> Result<Vec<Raw>, StoreError> {
        let mut query = sqlx::query(sql).bind(grouping.grain.code()).bind(from).bind(to);
        for value in &parts.binds {
            query = query.bind(value.clone());
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .map_err(query_error("summing the cost history"))?;
        rows.iter().map(Raw::read).collect()
    }

    async fn grouped_nodes(
        &self,
        grouping: &Grouping,
        parts: &Parts,
        prices: &PriceSettings,
        costs: &mut BTreeMap<(i64, String), ClusterCost>,
        node_prices: &mut HashMap<(String, String), NodePrices>,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT n.cluster, n.name, n.labels, {bucket}, CAST(SUM(u.seconds) AS BIGINT), CAST(SUM(u.cpu) AS BIGINT), \
               CAST(SUM(u.memory) AS BIGINT), CAST(SUM(u.gpu) AS BIGINT) \
             FROM cost_node_usage u JOIN cost_nodes n ON n.id = u.node \
             WHERE u.grain = $1 AND u.start_ms >= $2 AND u.start_ms < $3 \
             GROUP BY 1, 2, 3, 4",
            bucket = parts.bucket
        );
        // The nodes' statement binds nothing of the allocations'.
        let plain = Parts {
            binds: Vec::new(),
            ..parts.clone()
        };
        for row in self.fetch(grouping, &plain, &sql, 4).await? {
            let (cluster, name, labels, bucket) = (row.text(0)?, row.text(1)?, row.text(2)?, row.int(3)?);
            let q: Vec<i64> = (4..8).map(|i| row.int(i)).collect::<Result<_, _>>()?;
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
            entry(costs, grouping, &cluster, bucket, &prices.currency)
                .nodes
                .push(node);
        }
        Ok(())
    }

    /// Each group's share of the volumes its containers mounted (summed by storage class, whose
    /// rate prices them) and, for an unrestricted read, each class's capacity paid for.
    async fn grouped_volumes(
        &self,
        grouping: &Grouping,
        parts: &Parts,
        prices: &PriceSettings,
        costs: &mut BTreeMap<(i64, String), ClusterCost>,
        node_prices: &mut HashMap<(String, String), NodePrices>,
        index: &mut HashMap<(i64, String, String, String, String), usize>,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT {key}, a.cluster, a.node, {bucket}, {namespace}, v.storage_class, \
               CAST(SUM(u.seconds) AS BIGINT), CAST(SUM(u.bytes) AS BIGINT) \
             FROM cost_volume_usage u JOIN cost_volumes v ON v.id = u.volume \
               JOIN cost_allocations a ON a.id = u.allocation {joins} \
             WHERE u.grain = $1 AND u.start_ms >= $2 AND u.start_ms < $3 AND u.allocation <> 0 {filter} \
             GROUP BY 1, 2, 3, 4, 5, 6",
            key = parts.key,
            bucket = parts.bucket,
            namespace = parts.namespace,
            joins = parts.joins,
            filter = parts.filter,
        );
        let mut mounted: HashMap<(i64, String, String), Money> = HashMap::new();
        for row in self.fetch(grouping, parts, &sql, 2).await? {
            let (key, cluster, node, bucket, namespace, class) = (
                row.text(0)?,
                row.text(1)?,
                row.text(2)?,
                row.int(3)?,
                row.text(4)?,
                row.text(5)?,
            );
            let (seconds, bytes) = (row.int(6)?, row.int(7)?);
            let figure = volume_figure(prices, &cluster, &class, seconds, bytes);
            *mounted.entry((bucket, cluster.clone(), class.clone())).or_default() += figure.cost;
            let slot = (bucket, cluster.clone(), node.clone(), key.clone(), namespace.clone());
            let cost = entry(costs, grouping, &cluster, bucket, &prices.currency);
            let at_index = match index.get(&slot) {
                Some(&i) => i,
                None => {
                    // Mounted but never observed on CPU or memory (not expected): a group of its own.
                    let p = node_price(node_prices, prices, &cluster, &node);
                    let start = grouping.bucket_start(bucket);
                    cost.allocations
                        .push(group_allocation(&cluster, &node, &key, &namespace, start, &[0; 9], &p));
                    index.insert(slot, cost.allocations.len() - 1);
                    cost.allocations.len() - 1
                }
            };
            cost.allocations[at_index].volumes.push(VolumeShare {
                claim: String::new(),
                volume: class_name(&class),
                pods: 0,
                figure,
            });
        }
        if grouping.only != Only::Everything {
            return Ok(());
        }
        let sql = format!(
            "SELECT v.cluster, {bucket}, v.storage_class, CAST(SUM(u.seconds) AS BIGINT), CAST(SUM(u.bytes) AS BIGINT) \
             FROM cost_volume_usage u JOIN cost_volumes v ON v.id = u.volume \
             WHERE u.grain = $1 AND u.start_ms >= $2 AND u.start_ms < $3 AND u.allocation = 0 \
             GROUP BY 1, 2, 3",
            bucket = parts.bucket
        );
        let plain = Parts {
            binds: Vec::new(),
            ..parts.clone()
        };
        for row in self.fetch(grouping, &plain, &sql, 2).await? {
            let (cluster, bucket, class) = (row.text(0)?, row.int(1)?, row.text(2)?);
            let figure = volume_figure(prices, &cluster, &class, row.int(3)?, row.int(4)?);
            let paid_mounted = mounted.get(&(bucket, cluster.clone(), class.clone())).copied();
            entry(costs, grouping, &cluster, bucket, &prices.currency)
                .volumes
                .push(VolumeCost {
                    name: class_name(&class),
                    claim: None,
                    mounted: paid_mounted.unwrap_or(Money::ZERO).min(figure.cost),
                    figure,
                });
        }
        Ok(())
    }
}

fn allocation_sql(parts: &Parts) -> String {
    format!(
        "SELECT {key}, a.cluster, a.node, {bucket}, {namespace}, \
           CAST(SUM(u.seconds) AS BIGINT), CAST(SUM(u.usage_seconds) AS BIGINT), \
           CAST(SUM(u.cpu_request) AS BIGINT), CAST(SUM(u.cpu_usage) AS BIGINT), CAST(SUM(u.cpu_allocated) AS BIGINT), \
           CAST(SUM(u.memory_request) AS BIGINT), CAST(SUM(u.memory_usage) AS BIGINT), \
           CAST(SUM(u.memory_allocated) AS BIGINT), CAST(SUM(u.gpu) AS BIGINT) \
         FROM {allocations} {joins} \
         WHERE u.allocation = a.id AND u.grain = $1 AND u.start_ms >= $2 AND u.start_ms < $3 {filter} \
         GROUP BY 1, 2, 3, 4, 5",
        allocations = parts.allocations,
        key = parts.key,
        bucket = parts.bucket,
        namespace = parts.namespace,
        joins = parts.joins,
        filter = parts.filter,
    )
}

/// The name a storage class's volumes are read back under.
fn class_name(class: &str) -> String {
    if class.is_empty() {
        "volumes without a storage class".to_string()
    } else {
        format!("storage class {class}")
    }
}

fn volume_figure(prices: &PriceSettings, cluster: &str, class: &str, seconds: i64, bytes: i64) -> Figure {
    let price = prices.storage_price(cluster, Some(class).filter(|c| !c.is_empty()));
    Figure::new(
        Resource::Storage,
        bytes as f64 / GIB / seconds.max(1) as f64,
        seconds as f64 / 3600.0,
        &price,
    )
}

fn node_price(
    known: &mut HashMap<(String, String), NodePrices>,
    prices: &PriceSettings,
    cluster: &str,
    node: &str,
) -> NodePrices {
    known
        .entry((cluster.to_string(), node.to_string()))
        .or_insert_with(|| prices.node_prices(cluster, &BTreeMap::new()))
        .clone()
}

fn entry<'a>(
    costs: &'a mut BTreeMap<(i64, String), ClusterCost>,
    grouping: &Grouping,
    cluster: &str,
    bucket: i64,
    currency: &str,
) -> &'a mut ClusterCost {
    costs
        .entry((bucket, cluster.to_string()))
        .or_insert_with(|| ClusterCost {
            cluster: cluster.to_string(),
            window: grouping.window(bucket),
            currency: currency.to_string(),
            nodes: Vec::new(),
            volumes: Vec::new(),
            allocations: Vec::new(),
        })
}

/// A group's sums as one allocation: quantities are averages per container over the
/// container-seconds observed (`q` as [`priced`] reads them), so quantity × hours is the
/// group's total.
fn group_allocation(
    cluster: &str,
    node: &str,
    key: &str,
    namespace: &str,
    start_ms: i64,
    q: &[i64],
    prices: &NodePrices,
) -> Allocation {
    Allocation {
        cluster: cluster.to_string(),
        namespace: namespace.to_string(),
        node: node.to_string(),
        group: Some(key.to_string()).filter(|k| !k.is_empty()),
        ..priced(q, start_ms, prices)
    }
}
