//! Every SQL statement of the deployment history (`deployment_workloads`, `deployment_rollouts`).
//! What to record is decided in `crate::history`; here a workload's head (its newest
//! rollout) only moves by compare-and-set, so a change seen twice, or by two replicas at once, is
//! written once.

mod record;

use sqlx::{Row, any::AnyRow};

use super::{Store, StoreError, query_error};
use crate::model::{RolloutOutcome, RolloutRecord, WorkloadKey, WorkloadKind};

pub(crate) use record::{Change, Replaced, Start};

/// Most records one query returns.
pub const MAX_ROLLOUTS: u32 = 500;

const COLUMNS: &str = "cluster, namespace, kind, name, seq, entity, revision, version, digests, outcome, \
                       started_ms, finished_ms, failed_ms, message, commit_sha";
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
    /// The commit the pod template says its images were built from, when it started.
    pub commit: Option<String>,
}

impl StoredRollout {
    /// The record the views show; its version names the digests once they are known.
    pub fn record(&self) -> RolloutRecord {
        RolloutRecord {
            key: self.key.clone(),
            seq: self.seq,
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
                    // After the 15 of COLUMNS.
                    object_created_ms: row.try_get(15).map_err(query_error("reading the latest rollouts"))?,
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
        commit: row.try_get(14).map_err(read)?,
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
