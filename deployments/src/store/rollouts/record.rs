//! Writing the deployment history: each change applies only where the workload's head (its
//! newest rollout) is still what was read, so two writers of one change write it once.

use sqlx::AnyConnection;

use super::{COLUMNS, KEY_IS, StoredRollout, stored};
use crate::model::{RolloutRecord, WorkloadKey};
use crate::store::{Store, StoreError, query_error};

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
    Start(Start),
    /// The head, as read (`before`), becomes `after`.
    Update {
        before: StoredRollout,
        after: StoredRollout,
    },
}

/// A new rollout after the head with seq `after` (None: the workload's first).
#[derive(Clone, Debug)]
pub(crate) struct Start {
    pub after: Option<i64>,
    pub object_created_ms: Option<i64>,
    pub rollout: StoredRollout,
    /// Already there when the workload was first seen: its start was not observed.
    pub first_sight: bool,
    /// A rollback: the seq of the earlier rollout whose version it brings back.
    pub restores_seq: Option<i64>,
    pub replaced: Option<Replaced>,
}

impl Change {
    pub fn key(&self) -> &WorkloadKey {
        match self {
            Change::Start(start) => &start.rollout.key,
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
                Change::Start(new) => start(&mut tx, new, now_ms).await?,
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
}

/// Moves the head to the new rollout's seq, settles the one it replaces and inserts it. None when
/// the head had moved.
async fn start(tx: &mut AnyConnection, new: &Start, now_ms: i64) -> Result<Option<Vec<RolloutRecord>>, StoreError> {
    let Start {
        after,
        object_created_ms,
        rollout,
        first_sight,
        restores_seq,
        replaced,
    } = new;
    let k = &rollout.key;
    let context = "recording a rollout";
    // Seqs start at 1, so a first sight (after = None, compared to 0) never overwrites a head.
    let moved = sqlx::query(
        "INSERT INTO deployment_workloads (cluster, namespace, kind, name, latest_seq, object_created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (cluster, namespace, kind, name) DO UPDATE \
         SET latest_seq = excluded.latest_seq, \
         object_created_ms = COALESCE(excluded.object_created_ms, deployment_workloads.object_created_ms) \
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
         recorded_ms, updated_ms, commit_sha) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18)",
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
    .bind(rollout.commit.as_deref())
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
