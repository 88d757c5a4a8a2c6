//! Every SQL statement of the deployment history (`deployment_workloads`, `deployment_rollouts`).
//! What to record is decided in `crate::kubernetes::history`; here a workload's head (its newest
//! rollout) only moves by compare-and-set, so a change seen twice, or by two replicas at once, is
//! written once.

use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{Store, StoreError, query_error};
use crate::deployments::{RolloutOutcome, RolloutRecord, WorkloadKey, WorkloadKind};

/// Most records one query returns.
pub const MAX_ROLLOUTS: u32 = 500;

const COLUMNS: &str = "cluster, namespace, kind, name, seq, entity, revision, version, digests, outcome, \
                       started_ms, finished_ms, failed_ms, message";
const KEY_IS: &str = "cluster = $1 AND namespace = $2 AND kind = $3 AND name = $4";

/// One rollout as stored: the record the views show plus what deciding the next change needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredRollout {
    pub key: WorkloadKey,
    pub seq: i64,
    pub entity: Option<String>,
    pub revision: String,
    /// The images as the spec names them (compared to tell a rollback).
    pub version: String,
    /// `container=sha256:…` the pods ran, once it completed.
    pub digests: Option<String>,
    pub outcome: RolloutOutcome,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub failed_ms: Option<i64>,
    pub message: Option<String>,
}

impl StoredRollout {
    /// The record the views show; its version names the digests once they are known.
    pub fn record(&self) -> RolloutRecord {
        RolloutRecord {
            key: self.key.clone(),
            entity: self.entity.clone(),
            revision: self.revision.clone(),
            version: with_digests(&self.version, self.digests.as_deref()),
            outcome: self.outcome,
            started_ms: self.started_ms,
            finished_ms: self.finished_ms,
            message: self.message.clone(),
        }
    }
}

/// A workload's newest rollout and the object it belongs to.
#[derive(Clone, Debug)]
pub(crate) struct Head {
    pub latest: StoredRollout,
    pub object_created_ms: Option<i64>,
}

/// What becomes of the rollout a new one replaces.
#[derive(Clone, Debug)]
pub(crate) enum Replaced {
    /// Still in progress (never seen to finish): it ends at `at`, with this message if it had none.
    Superseded { at: i64, message: String },
    /// A rollback replaced it at `at`, whether it had completed or not.
    RolledBack { at: i64, message: String },
}

/// One change to the history, applied only if the workload's head is still what was read.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    /// A new rollout after the head with seq `after` (None: the workload's first).
    Start {
        after: Option<i64>,
        object_created_ms: Option<i64>,
        rollout: StoredRollout,
        first_sight: bool,
        restores_seq: Option<i64>,
        replaced: Option<Replaced>,
    },
    /// The head, as read (`before`), becomes `after`.
    Update {
        before: StoredRollout,
        after: StoredRollout,
    },
}

impl Change {
    pub fn key(&self) -> &WorkloadKey {
        match self {
            Change::Start { rollout, .. } => &rollout.key,
            Change::Update { before, .. } => &before.key,
        }
    }
}

/// The records a batch of changes created or changed, and the workloads whose head had moved
/// since it was read (someone else recorded first: read again and decide again).
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub records: Vec<RolloutRecord>,
    pub missed: Vec<WorkloadKey>,
}

impl Store {
    /// The newest rollout of every workload of `cluster` that has any.
    pub(crate) async fn rollout_heads(&self, cluster: &str) -> Result<Vec<Head>, StoreError> {
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {columns}, w.object_created_ms FROM deployment_workloads w \
             JOIN deployment_rollouts r ON r.cluster = w.cluster AND r.namespace = w.namespace \
               AND r.kind = w.kind AND r.name = w.name AND r.seq = w.latest_seq \
             WHERE w.cluster = $1"
        ))
        .bind(cluster)
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading the latest rollouts"))?;
        rows.iter()
            .map(|row| {
                Ok(Head {
                    latest: stored(row)?,
                    object_created_ms: row.try_get(14).map_err(query_error("reading the latest rollouts"))?,
                })
            })
            .collect()
    }

    /// `(seq, revision, version)` of a workload's rollouts before `seq`, newest first, at most `limit`.
    pub(crate) async fn earlier_versions(
        &self,
        key: &WorkloadKey,
        seq: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT seq, revision, version FROM deployment_rollouts WHERE {KEY_IS} AND seq < $5 \
             ORDER BY seq DESC LIMIT $6"
        ))
        .bind(&key.cluster)
        .bind(&key.namespace)
        .bind(key.kind.as_str())
        .bind(&key.name)
        .bind(seq)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading earlier rollouts"))?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(query_error("reading earlier rollouts"))
    }

    /// Applies `changes` in one transaction, each only where the workload's head is as read.
    pub(crate) async fn record_rollouts(&self, changes: &[Change], now_ms: i64) -> Result<Applied, StoreError> {
        let mut applied = Applied::default();
        if changes.is_empty() {
            return Ok(applied);
        }
        let _write = self.writing().await;
        let mut tx = self.pool().begin().await.map_err(query_error("recording rollouts"))?;
        for change in changes {
            let done = match change {
                Change::Start { .. } => start(&mut tx, change, now_ms).await?,
                Change::Update { before, after } => update(&mut tx, before, after, now_ms).await?,
            };
            match done {
                Some(records) => applied.records.extend(records),
                None => applied.missed.push(change.key().clone()),
            }
        }
        tx.commit().await.map_err(query_error("recording rollouts"))?;
        Ok(applied)
    }

    /// An entity's rollouts across clusters, newest first.
    pub async fn rollouts_of_entity(&self, entity_ref: &str, limit: u32) -> Result<Vec<RolloutRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM deployment_rollouts WHERE entity = $1 \
             ORDER BY started_ms DESC, id DESC LIMIT $2"
        ))
        .bind(entity_ref)
        .bind(i64::from(limit.min(MAX_ROLLOUTS)))
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading an entity's rollouts"))?;
        records(&rows)
    }

    /// One workload's rollouts, newest first.
    pub async fn rollouts_of_workload(&self, key: &WorkloadKey, limit: u32) -> Result<Vec<RolloutRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM deployment_rollouts WHERE {KEY_IS} ORDER BY seq DESC LIMIT $5"
        ))
        .bind(&key.cluster)
        .bind(&key.namespace)
        .bind(key.kind.as_str())
        .bind(&key.name)
        .bind(i64::from(limit.min(MAX_ROLLOUTS)))
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading a workload's rollouts"))?;
        records(&rows)
    }

    /// Every workload's rollouts, newest first.
    pub async fn recent_rollouts(&self, limit: u32) -> Result<Vec<RolloutRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM deployment_rollouts ORDER BY started_ms DESC, id DESC LIMIT $1"
        ))
        .bind(i64::from(limit.min(MAX_ROLLOUTS)))
        .fetch_all(self.pool())
        .await
        .map_err(query_error("reading recent rollouts"))?;
        records(&rows)
    }
}

/// Moves the head to the new rollout's seq, settles the one it replaces and inserts it. None when
/// the head had moved.
async fn start(tx: &mut AnyConnection, change: &Change, now_ms: i64) -> Result<Option<Vec<RolloutRecord>>, StoreError> {
    let Change::Start {
        after,
        object_created_ms,
        rollout,
        first_sight,
        restores_seq,
        replaced,
    } = change
    else {
        unreachable!("start() is given starts")
    };
    let k = &rollout.key;
    let context = "recording a rollout";
    // Seqs start at 1, so a first sight (after = None, compared to 0) never overwrites a head.
    let moved = sqlx::query(
        "INSERT INTO deployment_workloads (cluster, namespace, kind, name, latest_seq, object_created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (cluster, namespace, kind, name) DO UPDATE \
         SET latest_seq = excluded.latest_seq, object_created_ms = excluded.object_created_ms \
         WHERE deployment_workloads.latest_seq = $7 RETURNING latest_seq",
    )
    .bind(&k.cluster)
    .bind(&k.namespace)
    .bind(k.kind.as_str())
    .bind(&k.name)
    .bind(rollout.seq)
    .bind(*object_created_ms)
    .bind(after.unwrap_or(0))
    .fetch_optional(&mut *tx)
    .await
    .map_err(query_error(context))?;
    if moved.is_none() {
        return Ok(None);
    }
    let mut records = Vec::new();
    if let (Some(previous), Some(replaced)) = (after, replaced) {
        let (set, at, message) = match replaced {
            Replaced::Superseded { at, message } => ("", at, message),
            Replaced::RolledBack { at, message } => ("outcome = 'rolled-back', rolled_back_ms = $5, ", at, message),
        };
        let only_unfinished = if set.is_empty() {
            "AND outcome = 'in-progress'"
        } else {
            ""
        };
        let row = sqlx::query(&format!(
            "UPDATE deployment_rollouts SET {set}finished_ms = COALESCE(finished_ms, $5), \
             message = COALESCE(message, $6), updated_ms = $7 \
             WHERE {KEY_IS} AND seq = $8 {only_unfinished} RETURNING {COLUMNS}"
        ))
        .bind(&k.cluster)
        .bind(&k.namespace)
        .bind(k.kind.as_str())
        .bind(&k.name)
        .bind(*at)
        .bind(message)
        .bind(now_ms)
        .bind(*previous)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_error(context))?;
        if let Some(row) = row {
            records.push(stored(&row)?.record());
        }
    }
    sqlx::query(
        "INSERT INTO deployment_rollouts (cluster, namespace, kind, name, seq, entity, revision, version, \
         digests, outcome, started_ms, finished_ms, failed_ms, restores_seq, first_sight, message, \
         recorded_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
    )
    .bind(&k.cluster)
    .bind(&k.namespace)
    .bind(k.kind.as_str())
    .bind(&k.name)
    .bind(rollout.seq)
    .bind(rollout.entity.as_deref())
    .bind(&rollout.revision)
    .bind(&rollout.version)
    .bind(rollout.digests.as_deref())
    .bind(rollout.outcome.as_str())
    .bind(rollout.started_ms)
    .bind(rollout.finished_ms)
    .bind(rollout.failed_ms)
    .bind(*restores_seq)
    .bind(i64::from(*first_sight))
    .bind(rollout.message.as_deref())
    .bind(now_ms)
    .execute(&mut *tx)
    .await
    .map_err(query_error(context))?;
    records.push(rollout.record());
    Ok(Some(records))
}

/// Changes the head from `before` to `after`; None when it is no longer `before`.
async fn update(
    tx: &mut AnyConnection,
    before: &StoredRollout,
    after: &StoredRollout,
    now_ms: i64,
) -> Result<Option<Vec<RolloutRecord>>, StoreError> {
    let k = &before.key;
    let row = sqlx::query(&format!(
        "UPDATE deployment_rollouts SET outcome = $5, finished_ms = $6, failed_ms = $7, message = $8, \
         entity = $9, digests = $10, updated_ms = $11 \
         WHERE {KEY_IS} AND seq = $12 AND outcome = $13 AND entity IS NOT DISTINCT FROM $14 \
           AND digests IS NOT DISTINCT FROM $15 RETURNING {COLUMNS}"
    ))
    .bind(&k.cluster)
    .bind(&k.namespace)
    .bind(k.kind.as_str())
    .bind(&k.name)
    .bind(after.outcome.as_str())
    .bind(after.finished_ms)
    .bind(after.failed_ms)
    .bind(after.message.as_deref())
    .bind(after.entity.as_deref())
    .bind(after.digests.as_deref())
    .bind(now_ms)
    .bind(before.seq)
    .bind(before.outcome.as_str())
    .bind(before.entity.as_deref())
    .bind(before.digests.as_deref())
    .fetch_optional(&mut *tx)
    .await
    .map_err(query_error("updating a rollout"))?;
    row.map(|row| Ok(vec![stored(&row)?.record()])).transpose()
}

fn records(rows: &[AnyRow]) -> Result<Vec<RolloutRecord>, StoreError> {
    rows.iter().map(|row| Ok(stored(row)?.record())).collect()
}

fn stored(row: &AnyRow) -> Result<StoredRollout, StoreError> {
    let read = |source| StoreError::Query {
        context: "reading a rollout",
        source,
    };
    let kind: String = row.try_get(2).map_err(read)?;
    let outcome: String = row.try_get(9).map_err(read)?;
    Ok(StoredRollout {
        key: WorkloadKey {
            cluster: row.try_get(0).map_err(read)?,
            namespace: row.try_get(1).map_err(read)?,
            kind: parse_kind(&kind).ok_or_else(|| StoreError::Corrupt(format!("unknown workload kind {kind:?}")))?,
            name: row.try_get(3).map_err(read)?,
        },
        seq: row.try_get(4).map_err(read)?,
        entity: row.try_get(5).map_err(read)?,
        revision: row.try_get(6).map_err(read)?,
        version: row.try_get(7).map_err(read)?,
        digests: row.try_get(8).map_err(read)?,
        outcome: RolloutOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown rollout outcome {outcome:?}")))?,
        started_ms: row.try_get(10).map_err(read)?,
        finished_ms: row.try_get(11).map_err(read)?,
        failed_ms: row.try_get(12).map_err(read)?,
        message: row.try_get(13).map_err(read)?,
    })
}

fn parse_kind(text: &str) -> Option<WorkloadKind> {
    [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::Rollout,
    ]
    .into_iter()
    .find(|kind| kind.as_str() == text)
}

/// `app=registry/app:1.2, sidecar=…` with `@sha256:…` after each image whose digest is known and
/// that does not name one already.
fn with_digests(version: &str, digests: Option<&str>) -> String {
    let Some(digests) = digests else {
        return version.to_string();
    };
    let digest_of = |container: &str| {
        digests
            .split(", ")
            .find_map(|d| d.split_once('=').filter(|(c, _)| *c == container).map(|(_, d)| d))
    };
    version
        .split(", ")
        .map(|part| match part.split_once('=') {
            Some((container, image)) if !image.contains('@') => match digest_of(container) {
                Some(digest) => format!("{part}@{digest}"),
                None => part.to_string(),
            },
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
