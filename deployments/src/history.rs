//! Rollouts observed in the workloads, recorded faithfully and once: what each observation of a
//! cluster's workloads adds to the deployment history (its SQL is `crate::store::rollouts`).
//!
//! A workload's revision names its pod template; a revision newer than the one last recorded is
//! a rollout, which then moves forward only (in progress → completed or failed, failed →
//! completed) as the cluster reports. Observations can lag (another replica's watch, a relist
//! served from the API server's cache), so an observation older than what is recorded changes
//! nothing: numeric revisions (Deployments, Rollouts, DaemonSets) are ordered, and a recreated
//! object is told by its creation time.

use std::collections::HashMap;

use crate::model::{RolloutOutcome, RolloutPhase, RolloutRecord, Workload};
use crate::store::{Change, Head, Replaced, Start, StoredRollout};
use crate::store::{Store, StoreError};

/// Times a workload is read and decided again after another writer recorded it first.
const ATTEMPTS: usize = 3;
/// How far back a rollout's version is looked for to tell a rollback.
const ROLLBACK_LOOKBACK: u32 = 100;
/// Bounds on what the cluster says (bytes): the version of a pod with many containers, messages.
const MAX_VERSION: usize = 4096;
const MAX_MESSAGE: usize = 1024;
const MAX_REVISION: usize = 256;

/// Records what `workloads` (one cluster's, or several) show: new rollouts and how rollouts end.
/// Returns the records created or changed. Workloads without a revision, or whose cluster is
/// unreachable (stale), add nothing. Safe to call again with the same state, after a restart, and
/// from several replicas at once: each change is recorded once. Call it once the cluster's watches
/// have all listed: a workload seen first is recorded as starting when its revision began, which
/// comes from its ReplicaSets (without them, the start would be taken as now, for good).
pub async fn observe(store: &Store, workloads: &[Workload], now_ms: i64) -> Result<Vec<RolloutRecord>, StoreError> {
    let mut pending: Vec<&Workload> = workloads
        .iter()
        .filter(|w| w.revision.is_some() && w.stale_since_ms.is_none())
        .collect();
    pending.sort_by(|a, b| a.key.cmp(&b.key));
    pending.dedup_by(|a, b| a.key == b.key);
    let mut recorded = Vec::new();
    for _ in 0..ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        let mut clusters: Vec<&str> = pending.iter().map(|w| w.key.cluster.as_str()).collect();
        clusters.dedup();
        let mut heads = HashMap::new();
        for cluster in clusters {
            heads.extend(
                store
                    .rollout_heads(cluster)
                    .await?
                    .into_iter()
                    .map(|h| (h.latest.key.clone(), h)),
            );
        }
        let mut changes = Vec::new();
        for workload in &pending {
            if let Some(change) = decide(store, workload, heads.get(&workload.key), now_ms).await? {
                changes.push(change);
            }
        }
        let applied = store.record_rollouts(&changes, now_ms).await?;
        recorded.extend(applied.records);
        pending.retain(|w| applied.missed.contains(&w.key));
    }
    if !pending.is_empty() {
        tracing::warn!(
            workloads = pending.len(),
            "rollout history kept changing while recording; the next observation retries"
        );
    }
    Ok(recorded)
}

/// What one observation of a workload changes, given its recorded head.
async fn decide(store: &Store, w: &Workload, head: Option<&Head>, now_ms: i64) -> Result<Option<Change>, StoreError> {
    let seen = Seen::of(w);
    let Some(head) = head else {
        return Ok(Some(first_sight(w, &seen, now_ms)));
    };
    let latest = &head.latest;
    match order(head, w, &seen.revision) {
        Order::Older => Ok(None),
        Order::Same => Ok(progress(latest, w, &seen, now_ms).map(|after| Change::Update {
            before: latest.clone(),
            after,
        })),
        Order::Newer => {
            let restores = if seen.version != latest.version {
                let earlier = store
                    .earlier_versions(&latest.key, latest.seq, ROLLBACK_LOOKBACK)
                    .await?;
                earlier.into_iter().find(|(_, _, version)| *version == seen.version)
            } else {
                None
            };
            Ok(Some(next(head, w, &seen, restores, now_ms)))
        }
    }
}

/// A workload seen for the first time: its current revision, as the cluster tells it.
fn first_sight(w: &Workload, seen: &Seen, now_ms: i64) -> Change {
    let started_ms = w.revision_since_ms.unwrap_or(now_ms);
    // When it finished is known only if the cluster says; "now" would be a guess.
    let finished_ms = (seen.outcome != RolloutOutcome::InProgress)
        .then_some(seen.at)
        .flatten()
        .filter(|t| *t >= started_ms);
    let mut rollout = seen.rollout(w, 1, started_ms);
    rollout.finished_ms = finished_ms;
    rollout.failed_ms = finished_ms.filter(|_| seen.outcome == RolloutOutcome::Failed);
    Change::Start(Start {
        after: None,
        object_created_ms: w.created_ms,
        rollout,
        first_sight: true,
        restores_seq: None,
        replaced: None,
    })
}

/// A new revision after the head: a rollout, possibly a rollback to an earlier one's version.
fn next(head: &Head, w: &Workload, seen: &Seen, restores: Option<(i64, String, String)>, now_ms: i64) -> Change {
    let latest = &head.latest;
    // A rollback reuses an old template whose ReplicaSet began long ago: then it starts now.
    let started_ms = w
        .revision_since_ms
        .filter(|t| *t >= latest.started_ms)
        .unwrap_or(now_ms.max(latest.started_ms));
    let mut rollout = seen.rollout(w, latest.seq + 1, started_ms);
    if seen.outcome != RolloutOutcome::InProgress {
        let at = seen.finished_at(started_ms, now_ms);
        rollout.finished_ms = Some(at);
        rollout.failed_ms = (seen.outcome == RolloutOutcome::Failed).then_some(at);
    }
    let replaced = match &restores {
        Some((_, revision, _)) => {
            rollout.message = rollout
                .message
                .or_else(|| Some(format!("rollback to revision {revision}")));
            Some(Replaced::RolledBack {
                at: started_ms,
                message: format!("rolled back by revision {}", seen.revision),
            })
        }
        None => (latest.outcome == RolloutOutcome::InProgress).then(|| Replaced::Superseded {
            at: started_ms,
            message: format!("replaced by revision {} before it was seen to finish", seen.revision),
        }),
    };
    Change::Start(Start {
        after: Some(latest.seq),
        object_created_ms: w.created_ms,
        rollout,
        first_sight: false,
        restores_seq: restores.map(|(seq, _, _)| seq),
        replaced,
    })
}

/// The head once this observation of its revision is taken in; None when nothing changes.
/// Outcomes move forward only, so a lagging observation never undoes a newer one.
fn progress(latest: &StoredRollout, w: &Workload, seen: &Seen, now_ms: i64) -> Option<StoredRollout> {
    let mut after = latest.clone();
    match (latest.outcome, seen.outcome) {
        (RolloutOutcome::InProgress | RolloutOutcome::Failed, RolloutOutcome::Completed) => {
            after.outcome = RolloutOutcome::Completed;
            after.finished_ms = Some(seen.finished_at(latest.started_ms, now_ms));
        }
        (RolloutOutcome::InProgress, RolloutOutcome::Failed) => {
            let at = seen.finished_at(latest.started_ms, now_ms);
            after.outcome = RolloutOutcome::Failed;
            after.finished_ms = Some(at);
            after.failed_ms = Some(at);
            after.message = seen.message.clone().or(after.message);
        }
        _ => {}
    }
    if after.outcome == RolloutOutcome::Completed && after.digests.is_none() {
        after.digests = seen.digests.clone();
    }
    if w.entity.is_some() && w.entity != after.entity {
        after.entity = w.entity.clone();
    }
    (after != *latest).then_some(after)
}

#[derive(Debug, PartialEq)]
enum Order {
    Older,
    Same,
    Newer,
}

/// Where an observed revision stands against the recorded head.
fn order(head: &Head, w: &Workload, revision: &str) -> Order {
    match (head.object_created_ms, w.created_ms) {
        (Some(recorded), Some(seen)) if seen < recorded => return Order::Older,
        (Some(recorded), Some(seen)) if seen > recorded => return Order::Newer,
        _ => {}
    }
    if head.latest.revision == revision {
        return Order::Same;
    }
    match (head.latest.revision.parse::<u64>(), revision.parse::<u64>()) {
        (Ok(recorded), Ok(seen)) if seen < recorded => Order::Older,
        _ => Order::Newer,
    }
}

/// What the workload shows of its current revision.
struct Seen {
    revision: String,
    version: String,
    digests: Option<String>,
    outcome: RolloutOutcome,
    /// When the controller last changed the rollout's state.
    at: Option<i64>,
    message: Option<String>,
}

impl Seen {
    fn of(w: &Workload) -> Seen {
        let mut images: Vec<_> = w.images.iter().collect();
        images.sort_by(|a, b| a.container.cmp(&b.container));
        let version = images
            .iter()
            .map(|i| format!("{}={}", i.container, i.image))
            .collect::<Vec<_>>();
        let digests: Option<Vec<String>> = images
            .iter()
            .map(|i| i.digest.as_ref().map(|d| format!("{}={d}", i.container)))
            .collect();
        let r = &w.replicas;
        let outcome = match w.rollout.phase {
            RolloutPhase::Progressing | RolloutPhase::Paused => RolloutOutcome::InProgress,
            RolloutPhase::Failed => RolloutOutcome::Failed,
            // The controller said the rollout completed (a Deployment's `NewReplicaSetAvailable`):
            // a pod crash-looping later is a problem of the running version, not an open rollout.
            RolloutPhase::Complete if r.updated == r.desired => RolloutOutcome::Completed,
            RolloutPhase::Complete => RolloutOutcome::InProgress,
        };
        Seen {
            revision: bounded(w.revision.as_deref().unwrap_or_default(), MAX_REVISION),
            version: bounded(&version.join(", "), MAX_VERSION),
            digests: digests
                .filter(|d| !d.is_empty())
                .map(|d| bounded(&d.join(", "), MAX_VERSION)),
            outcome,
            at: w.rollout.since_ms,
            message: w.rollout.message.as_deref().map(|m| bounded(m, MAX_MESSAGE)),
        }
    }

    /// When the current state was reached: as the controller says, unless that is before the start.
    fn finished_at(&self, started_ms: i64, now_ms: i64) -> i64 {
        self.at.filter(|t| *t >= started_ms).unwrap_or(now_ms.max(started_ms))
    }

    /// A new rollout of this revision (times and message of an end are the caller's).
    fn rollout(&self, w: &Workload, seq: i64, started_ms: i64) -> StoredRollout {
        StoredRollout {
            key: w.key.clone(),
            seq,
            entity: w.entity.clone(),
            revision: self.revision.clone(),
            version: self.version.clone(),
            digests: self
                .digests
                .clone()
                .filter(|_| self.outcome == RolloutOutcome::Completed),
            outcome: self.outcome,
            started_ms,
            finished_ms: None,
            failed_ms: None,
            message: self.message.clone().filter(|_| self.outcome == RolloutOutcome::Failed),
            commit: w.source_revision.clone(),
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerImage, Health};

    fn workload(revision: &str, created_ms: Option<i64>) -> Workload {
        let image = |container: &str, digest: Option<&str>| ContainerImage {
            container: container.into(),
            image: format!("{container}:1"),
            tag: Some("1".into()),
            digest: digest.map(str::to_string),
        };
        let mut workload = Workload::sample("n", "w");
        workload.created_ms = created_ms;
        workload.replicas.available = 1;
        workload.revision = Some(revision.into());
        workload.images = vec![image("web", Some("sha256:b")), image("proxy", None)];
        workload.health = Health::Progressing;
        workload
    }

    fn head(revision: &str, created_ms: Option<i64>) -> Head {
        let Change::Start(Start { rollout, .. }) =
            first_sight(&workload(revision, created_ms), &Seen::of(&workload(revision, None)), 0)
        else {
            unreachable!()
        };
        Head {
            latest: rollout,
            object_created_ms: created_ms,
        }
    }

    #[test]
    fn numeric_revisions_are_ordered_and_others_only_differ() {
        assert_eq!(order(&head("5", None), &workload("4", None), "4"), Order::Older);
        assert_eq!(order(&head("5", None), &workload("5", None), "5"), Order::Same);
        assert_eq!(order(&head("5", None), &workload("12", None), "12"), Order::Newer);
        assert_eq!(
            order(&head("web-7d8f", None), &workload("web-1a2b", None), "web-1a2b"),
            Order::Newer
        );
        // The object's creation comes first: a recreated one restarts its revisions.
        assert_eq!(order(&head("5", Some(10)), &workload("1", Some(20)), "1"), Order::Newer);
        assert_eq!(order(&head("1", Some(20)), &workload("5", Some(10)), "5"), Order::Older);
    }

    #[test]
    fn the_version_names_containers_in_order_and_digests_only_when_all_are_known() {
        let seen = Seen::of(&workload("1", None));
        assert_eq!(seen.version, "proxy=proxy:1, web=web:1");
        assert_eq!(seen.digests, None, "proxy's digest is unknown");
        assert_eq!(
            seen.outcome,
            RolloutOutcome::Completed,
            "the controller said complete: a replica unavailable since is not an open rollout"
        );
        let mut all = workload("1", None);
        all.images[1].digest = Some("sha256:a".into());
        all.replicas.available = 2;
        let seen = Seen::of(&all);
        assert_eq!(seen.digests.as_deref(), Some("proxy=sha256:a, web=sha256:b"));
        assert_eq!(seen.outcome, RolloutOutcome::Completed);
    }

    #[test]
    fn what_the_cluster_says_is_bounded() {
        let mut w = workload(&"9".repeat(1000), None);
        w.rollout.phase = RolloutPhase::Failed;
        w.rollout.message = Some("é".repeat(MAX_MESSAGE));
        let seen = Seen::of(&w);
        assert_eq!(seen.revision.len(), MAX_REVISION);
        assert!(
            seen.message
                .is_some_and(|m| m.len() <= MAX_MESSAGE && m.starts_with('é'))
        );
    }
}
