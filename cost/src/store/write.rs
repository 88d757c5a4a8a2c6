//! Writing a sample: the claim on `(cluster, interval)`, the ids of its containers, nodes and
//! volumes, and their quantities × the interval's seconds added to the sample's own rows and to
//! its hour's and day's, all in one transaction. Retention deletes what is older than it keeps.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use sqlx::{Any, Row, Transaction};

use super::rows::{self, Column};
use super::{ID_CACHE, Ids, Store, StoreError, query_error};
use crate::sample::{AllocationKey, Sample};
use crate::settings::Retention;
use crate::view::Meter;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// What writing a sample did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    /// This writer claimed the interval and wrote it; false: another (replica, or this one
    /// before a restart) already had.
    pub claimed: bool,
    pub containers: usize,
}

const ALLOCATION_KEY: [Column; 9] = [
    ("namespace", false),
    ("pod", false),
    ("container", false),
    ("node", false),
    ("workload_kind", false),
    ("workload", false),
    ("entity", false),
    ("team", false),
    ("labels", false),
];

const ALLOCATION_USAGE: [Column; 10] = [
    ("allocation", true),
    ("seconds", true),
    ("usage_seconds", true),
    ("cpu_request", true),
    ("cpu_usage", true),
    ("cpu_allocated", true),
    ("memory_request", true),
    ("memory_usage", true),
    ("memory_allocated", true),
    ("gpu", true),
];

const NODE_USAGE: [Column; 5] = [
    ("node", true),
    ("seconds", true),
    ("cpu", true),
    ("memory", true),
    ("gpu", true),
];

const VOLUME_USAGE: [Column; 4] = [
    ("volume", true),
    ("allocation", true),
    ("seconds", true),
    ("bytes", true),
];

/// New ids learnt in a transaction, remembered once it commits.
#[derive(Default)]
struct Learnt {
    allocations: Vec<((String, AllocationKey, String), i64)>,
    nodes: Vec<((String, String, String), i64)>,
    volumes: Vec<((String, String, String, String), i64)>,
}

impl Store {
    /// Writes `sample` as the interval of `seconds` starting at `start_ms` (aligned to the
    /// interval; an interval never spans two hours), unless it was written already. `writer`
    /// names this replica in the claim.
    pub async fn write_sample(
        &self,
        sample: &Sample,
        start_ms: i64,
        seconds: i64,
        writer: &str,
        now_ms: i64,
    ) -> Result<Written, StoreError> {
        let _turn = self.catalog.writing().await;
        let mut tx = self
            .pool()
            .begin()
            .await
            .map_err(query_error("starting a cost sample"))?;
        let claimed = sqlx::query(
            "INSERT INTO cost_intervals (cluster, start_ms, seconds, usage, written_by, written_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (cluster, start_ms) DO NOTHING",
        )
        .bind(&sample.cluster)
        .bind(start_ms)
        .bind(seconds)
        .bind(&sample.usage)
        .bind(writer)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(query_error("claiming a cost interval"))?
        .rows_affected()
            == 1;
        if !claimed {
            tx.rollback()
                .await
                .map_err(query_error("leaving a claimed cost interval"))?;
            return Ok(Written {
                claimed: false,
                containers: 0,
            });
        }
        let mut learnt = Learnt::default();
        let allocations = self.allocation_ids(&mut tx, sample, &mut learnt).await?;
        let nodes = self.node_ids(&mut tx, sample, &mut learnt).await?;
        let volumes = self.volume_ids(&mut tx, sample, &mut learnt).await?;
        let buckets = [
            (0, start_ms),
            (1, start_ms - start_ms.rem_euclid(HOUR_MS)),
            (2, start_ms - start_ms.rem_euclid(DAY_MS)),
        ];
        let usage = allocation_rows(sample, &allocations, seconds);
        let node_rows = node_rows(sample, &nodes, seconds);
        let volume_rows = volume_rows(sample, &volumes, &allocations, seconds);
        for (grain, bucket) in buckets {
            self.add(
                &mut tx,
                "cost_allocation_usage",
                "allocation",
                &ALLOCATION_USAGE,
                &usage,
                grain,
                bucket,
            )
            .await?;
            self.add(
                &mut tx,
                "cost_node_usage",
                "node",
                &NODE_USAGE,
                &node_rows,
                grain,
                bucket,
            )
            .await?;
            self.add(
                &mut tx,
                "cost_volume_usage",
                "volume, allocation",
                &VOLUME_USAGE,
                &volume_rows,
                grain,
                bucket,
            )
            .await?;
        }
        let source = sample.meter.map_or("requests", Meter::as_str);
        for (grain, bucket) in &buckets[1..] {
            sqlx::query(&format!(
                "INSERT INTO cost_usage_sources (cluster, grain, start_ms, source, seconds) VALUES ($1, {grain}, $2, $3, $4) \
                 ON CONFLICT (grain, start_ms, cluster, source) DO UPDATE SET seconds = cost_usage_sources.seconds + excluded.seconds"
            ))
            .bind(&sample.cluster)
            .bind(*bucket)
            .bind(source)
            .bind(seconds)
            .execute(&mut *tx)
            .await
            .map_err(query_error("adding to a cost usage source"))?;
        }
        tx.commit().await.map_err(query_error("writing a cost sample"))?;
        self.remember(learnt);
        Ok(Written {
            claimed: true,
            containers: sample.containers.len(),
        })
    }

    /// Adds `rows` (whose first `key` columns identify them) to the `grain` rows starting at
    /// `bucket`: inserted, or summed into the row already there.
    #[expect(clippy::too_many_arguments, reason = "one statement's parts, each used once")]
    async fn add(
        &self,
        tx: &mut Transaction<'static, Any>,
        table: &str,
        key: &str,
        columns: &[Column],
        rows: &[Value],
        grain: i64,
        bucket: i64,
    ) -> Result<(), StoreError> {
        let (values, source) = rows::unpack(self.postgres(), columns);
        let keys = key.split(", ").count();
        let sums: Vec<String> = columns[keys..]
            .iter()
            .map(|(c, _)| format!("{c} = {table}.{c} + excluded.{c}"))
            .collect();
        // `WHERE true` keeps SQLite from reading ON CONFLICT as a join's constraint.
        let sql = format!(
            "INSERT INTO {table} (grain, start_ms, {}) SELECT {grain}, {bucket}, {values} FROM {source} WHERE true \
             ON CONFLICT (grain, start_ms, {key}) DO UPDATE SET {}",
            rows::names(columns),
            sums.join(", ")
        );
        for chunk in rows::chunks(rows.to_vec()) {
            sqlx::query(&sql)
                .bind(chunk)
                .execute(&mut **tx)
                .await
                .map_err(query_error("adding to the cost history"))?;
        }
        Ok(())
    }

    /// The id of every container of `sample`, asking the database only for new ones.
    async fn allocation_ids(
        &self,
        tx: &mut Transaction<'static, Any>,
        sample: &Sample,
        learnt: &mut Learnt,
    ) -> Result<Vec<i64>, StoreError> {
        let keys: Vec<(String, AllocationKey, String)> = sample
            .containers
            .iter()
            .map(|c| (sample.cluster.clone(), c.key.clone(), labels_json(&c.labels)))
            .collect();
        let mut ids: Vec<Option<i64>> = {
            let cache = self.cache();
            keys.iter().map(|k| cache.allocations.get(k).copied()).collect()
        };
        let missing: Vec<usize> = (0..keys.len()).filter(|i| ids[*i].is_none()).collect();
        if !missing.is_empty() {
            let rows: Vec<Value> = missing
                .iter()
                .map(|i| {
                    let (_, k, labels) = &keys[*i];
                    json!([
                        k.namespace,
                        k.pod,
                        k.container,
                        k.node,
                        k.workload_kind,
                        k.workload,
                        k.entity,
                        k.team,
                        labels
                    ])
                })
                .collect();
            let (values, source) = rows::unpack(self.postgres(), &ALLOCATION_KEY);
            let sql = format!(
                "INSERT INTO cost_allocations (cluster, {}) SELECT $2, {values} FROM {source} WHERE true \
                 ON CONFLICT (cluster, namespace, pod, container, node, workload_kind, workload, entity, team) \
                 DO UPDATE SET labels = excluded.labels \
                 RETURNING id, namespace, pod, container, node, workload_kind, workload, entity, team",
                rows::names(&ALLOCATION_KEY)
            );
            let mut found: HashMap<AllocationKey, i64> = HashMap::new();
            for chunk in rows::chunks(rows) {
                let returned = sqlx::query(&sql)
                    .bind(chunk)
                    .bind(&sample.cluster)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(query_error("recording cost allocations"))?;
                for row in returned {
                    let text = |i: usize| {
                        row.try_get::<String, _>(i)
                            .map_err(query_error("reading cost allocations"))
                    };
                    let key = AllocationKey {
                        namespace: text(1)?,
                        pod: text(2)?,
                        container: text(3)?,
                        node: text(4)?,
                        workload_kind: text(5)?,
                        workload: text(6)?,
                        entity: text(7)?,
                        team: text(8)?,
                    };
                    found.insert(key, row.try_get(0).map_err(query_error("reading cost allocations"))?);
                }
            }
            for i in missing {
                let id = *found
                    .get(&keys[i].1)
                    .ok_or_else(|| StoreError::Corrupt(format!("no id written for allocation {:?}", keys[i].1)))?;
                ids[i] = Some(id);
                learnt.allocations.push((keys[i].clone(), id));
            }
        }
        Ok(ids.into_iter().map(|id| id.unwrap_or_default()).collect())
    }

    async fn node_ids(
        &self,
        tx: &mut Transaction<'static, Any>,
        sample: &Sample,
        learnt: &mut Learnt,
    ) -> Result<Vec<i64>, StoreError> {
        let keys: Vec<(String, String, String)> = sample
            .nodes
            .iter()
            .map(|n| (sample.cluster.clone(), n.name.clone(), labels_json(&n.labels)))
            .collect();
        let cached: Vec<Option<i64>> = {
            let cache = self.cache();
            keys.iter().map(|k| cache.nodes.get(k).copied()).collect()
        };
        let mut ids = Vec::with_capacity(keys.len());
        for (key, cached) in keys.into_iter().zip(cached) {
            let id = match cached {
                Some(id) => id,
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO cost_nodes (cluster, name, labels) VALUES ($1, $2, $3) \
                         ON CONFLICT (cluster, name) DO UPDATE SET labels = excluded.labels RETURNING id",
                    )
                    .bind(&key.0)
                    .bind(&key.1)
                    .bind(&key.2)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(query_error("recording cost nodes"))?;
                    learnt.nodes.push((key, id));
                    id
                }
            };
            ids.push(id);
        }
        Ok(ids)
    }

    async fn volume_ids(
        &self,
        tx: &mut Transaction<'static, Any>,
        sample: &Sample,
        learnt: &mut Learnt,
    ) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::with_capacity(sample.volumes.len());
        for v in &sample.volumes {
            let key = (
                sample.cluster.clone(),
                v.name.clone(),
                v.storage_class.clone(),
                v.claim.clone(),
            );
            let cached = self.cache().volumes.get(&key).copied();
            let id = match cached {
                Some(id) => id,
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO cost_volumes (cluster, name, storage_class, claim) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (cluster, name, storage_class, claim) DO UPDATE SET claim = excluded.claim \
                         RETURNING id",
                    )
                    .bind(&key.0)
                    .bind(&key.1)
                    .bind(&key.2)
                    .bind(&key.3)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(query_error("recording cost volumes"))?;
                    learnt.volumes.push((key, id));
                    id
                }
            };
            ids.push(id);
        }
        Ok(ids)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Ids> {
        self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn remember(&self, learnt: Learnt) {
        let mut cache = self.cache();
        if cache.allocations.len() + learnt.allocations.len() > ID_CACHE {
            *cache = Ids::default();
        }
        cache.allocations.extend(learnt.allocations);
        cache.nodes.extend(learnt.nodes);
        cache.volumes.extend(learnt.volumes);
    }

    /// Deletes what is older than `retention` keeps at `now_ms`, and containers, nodes and
    /// volumes no row names any more. Rows deleted.
    pub async fn prune(&self, retention: &Retention, now_ms: i64) -> Result<u64, StoreError> {
        let before = |kept: std::time::Duration| now_ms - i64::try_from(kept.as_millis()).unwrap_or(i64::MAX);
        let cutoffs = [
            (0, before(retention.samples)),
            (1, before(retention.hourly)),
            (2, before(retention.daily)),
        ];
        let _turn = self.catalog.writing().await;
        let mut deleted = 0;
        for table in ["cost_allocation_usage", "cost_node_usage", "cost_volume_usage"] {
            for (grain, cutoff) in cutoffs {
                deleted += sqlx::query(&format!("DELETE FROM {table} WHERE grain = {grain} AND start_ms < $1"))
                    .bind(cutoff)
                    .execute(self.pool())
                    .await
                    .map_err(query_error("deleting old cost rows"))?
                    .rows_affected();
            }
        }
        for (grain, cutoff) in &cutoffs[1..] {
            deleted += sqlx::query(&format!(
                "DELETE FROM cost_usage_sources WHERE grain = {grain} AND start_ms < $1"
            ))
            .bind(*cutoff)
            .execute(self.pool())
            .await
            .map_err(query_error("deleting old cost usage sources"))?
            .rows_affected();
        }
        deleted += sqlx::query("DELETE FROM cost_intervals WHERE start_ms < $1")
            .bind(cutoffs[0].1)
            .execute(self.pool())
            .await
            .map_err(query_error("deleting old cost intervals"))?
            .rows_affected();
        let mut orphans = 0;
        for (table, usage, column) in [
            ("cost_allocations", "cost_allocation_usage", "allocation"),
            ("cost_nodes", "cost_node_usage", "node"),
            ("cost_volumes", "cost_volume_usage", "volume"),
        ] {
            orphans += sqlx::query(&format!(
                "DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM {usage} u WHERE u.{column} = {table}.id)"
            ))
            .execute(self.pool())
            .await
            .map_err(query_error("deleting unused cost allocations"))?
            .rows_affected();
        }
        if orphans > 0 {
            // Their ids are gone: whatever is seen again is recorded afresh.
            *self.cache() = Ids::default();
        }
        Ok(deleted + orphans)
    }
}

fn labels_json(labels: &BTreeMap<String, String>) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "{}".into())
}

/// Each container's quantities × `seconds`: max(request, usage) sample by sample.
fn allocation_rows(sample: &Sample, ids: &[i64], seconds: i64) -> Vec<Value> {
    let s = seconds as f64;
    sample
        .containers
        .iter()
        .zip(ids)
        .map(|(c, id)| {
            let cpu_request = c.cpu_request_millis as f64;
            let memory_request = c.memory_request_bytes as f64;
            let (usage_seconds, cpu_usage, memory_usage) = match c.usage {
                Some((cpu, memory)) => (seconds, cpu, memory),
                None => (0, 0.0, 0.0),
            };
            let integral = |x: f64| (x * s).round() as i64;
            json!([
                id,
                seconds,
                usage_seconds,
                integral(cpu_request),
                integral(cpu_usage),
                integral(cpu_request.max(cpu_usage)),
                integral(memory_request),
                integral(memory_usage),
                integral(memory_request.max(memory_usage)),
                i64::from(c.gpus) * seconds,
            ])
        })
        .collect()
}

fn node_rows(sample: &Sample, ids: &[i64], seconds: i64) -> Vec<Value> {
    sample
        .nodes
        .iter()
        .zip(ids)
        .map(|(n, id)| {
            let times = |x: u64| i64::try_from(x).unwrap_or(i64::MAX).saturating_mul(seconds);
            json!([
                id,
                seconds,
                times(n.cpu_millis),
                times(n.memory_bytes),
                i64::from(n.gpus) * seconds
            ])
        })
        .collect()
}

/// Each volume's capacity (allocation 0) and each mounting container's share, × `seconds`.
fn volume_rows(sample: &Sample, ids: &[i64], allocations: &[i64], seconds: i64) -> Vec<Value> {
    let times = |x: u64| i64::try_from(x).unwrap_or(i64::MAX).saturating_mul(seconds);
    let mut rows = Vec::new();
    for (v, id) in sample.volumes.iter().zip(ids) {
        rows.push(json!([id, 0, seconds, times(v.capacity_bytes)]));
        for (container, bytes) in &v.shares {
            if let Some(allocation) = allocations.get(*container) {
                rows.push(json!([id, allocation, seconds, times(*bytes)]));
            }
        }
    }
    rows
}
