//! The metrics, computed exactly from one entity's production deployments and incidents at a time
//! (`stream`, `assess`), then summed over every entity asked for (`summarize`). Pure: the store
//! reads, this decides.
//!
//! The rules: a deployment failed if its rollout failed, it was rolled back, or an incident is
//! linked to it; the change failure rate counts failed deployments, never incidents, so it is
//! at most 100% and an incident counts once however long it lasts. Recovery ends at the next
//! deployment that did not fail or the resolution of its linked incidents, whichever came first.
//! Rework is a rollback, or a deployment within the rework window after a failure of the entity.

mod summary;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::model::{AssessedDeployment, Deployment, DeploymentSource, FailureReason, Incident, ReworkReason};

pub use summary::{MAX_LISTED, MEASURED_FROM, breakdown, median, summarize};

/// What the metrics need to know beyond the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// A deployment this soon after a failure of the same entity is rework.
    pub rework_window_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rework_window_ms: 24 * 3600 * 1000,
        }
    }
}

/// One entity's deployments as a stream: in the order they finished, without redeploys of the
/// version already running (the last deployment's, when it did not fail), and with CI-reported
/// deployments that bring back an earlier reported version marked as rollbacks (the rollout
/// history marks its own, per workload, which version matching across clusters could not).
pub fn stream(mut deployments: Vec<Deployment>) -> Vec<Deployment> {
    deployments.sort_by(|a, b| a.finished_ms.cmp(&b.finished_ms).then_with(|| a.id.cmp(&b.id)));
    let mut kept: Vec<Deployment> = Vec::with_capacity(deployments.len());
    for mut d in deployments {
        if let Some(last) = kept.last()
            && last.version == d.version
            && !last.failed
        {
            continue;
        }
        if d.source == DeploymentSource::Reported
            && kept.last().is_some_and(|last| last.version != d.version)
            && kept
                .iter()
                .rev()
                .skip(1)
                .any(|e| e.source == DeploymentSource::Reported && e.version == d.version)
        {
            d.restores = true;
            if let Some(last) = kept.last_mut() {
                last.rolled_back = true;
            }
        }
        kept.push(d);
    }
    kept
}

/// Judges each deployment of one entity's stream: failures (with their reasons), recovery,
/// rework. `incidents` are those linked to any of these deployments (others are ignored).
pub fn assess(stream: &[Deployment], incidents: &[Incident], settings: Settings) -> Vec<AssessedDeployment> {
    let mut linked: BTreeMap<&str, Vec<&Incident>> = BTreeMap::new();
    for incident in incidents {
        for deployment in &incident.deployments {
            linked.entry(deployment.as_str()).or_default().push(incident);
        }
    }
    let mut out: Vec<AssessedDeployment> = Vec::with_capacity(stream.len());
    for (i, d) in stream.iter().enumerate() {
        let incidents = linked.get(d.id.as_str()).map(Vec::as_slice).unwrap_or_default();
        let mut failures = Vec::new();
        if d.failed {
            failures.push(FailureReason::RolloutFailed);
        }
        if d.rolled_back {
            let by = stream[i + 1..].iter().find(|n| n.restores).map(|n| n.id.clone());
            failures.push(FailureReason::RolledBack { by });
        }
        let mut incident_ids: Vec<&str> = incidents.iter().map(|x| x.id.as_str()).collect();
        incident_ids.sort_unstable();
        incident_ids.dedup();
        failures.extend(
            incident_ids
                .into_iter()
                .map(|id| FailureReason::Incident { id: id.to_string() }),
        );
        out.push(AssessedDeployment {
            id: d.id.clone(),
            entity: d.entity.clone(),
            version: d.version.clone(),
            commit: d.commit.clone(),
            source: d.source,
            started_ms: d.started_ms,
            finished_ms: d.finished_ms,
            failures,
            rework: Vec::new(),
            recovered_ms: None,
            recovered_by: None,
            changes: None,
        });
    }
    for i in 0..out.len() {
        if out[i].failed() {
            let incidents = linked.get(stream[i].id.as_str()).map(Vec::as_slice).unwrap_or_default();
            (out[i].recovered_ms, out[i].recovered_by) = recovery(&out[i], &out[i + 1..], incidents).unzip();
        }
    }
    mark_rework(stream, &mut out, incidents_start(&linked), settings);
    out
}

/// What one entity's deployments' changes add once read (`assessed` in stream order): a deployment
/// bringing a revert of an earlier deployment's change fails that one, which the revert remediated
/// unless something did sooner; the revert is rework, as is a deployment bringing a hotfix. A
/// failure found this way starts no rework window: the revert is the rework.
pub fn judge_changes(assessed: &mut [AssessedDeployment]) {
    for i in 0..assessed.len() {
        let (reverts, hotfix) = match &assessed[i].changes {
            Some(c) if !c.reverts.is_empty() || !c.hotfixes.is_empty() => {
                (c.reverts.clone(), c.hotfixes.first().cloned())
            }
            _ => continue,
        };
        if let Some(commit) = reverts.first() {
            assessed[i].rework.push(ReworkReason::Revert { commit: commit.clone() });
        }
        if let Some(commit) = hotfix {
            assessed[i].rework.push(ReworkReason::Hotfix { commit });
        }
        let (by, at) = (assessed[i].id.clone(), assessed[i].finished_ms);
        for reverted in &reverts {
            let brought = |e: &AssessedDeployment| {
                e.changes
                    .as_ref()
                    .is_some_and(|c| c.commits.iter().any(|sha| sha.starts_with(reverted.as_str())))
            };
            let Some(undone) = assessed[..i].iter_mut().rev().find(|e| brought(e)) else {
                continue;
            };
            if !undone
                .failures
                .iter()
                .any(|f| matches!(f, FailureReason::Reverted { .. }))
            {
                undone.failures.push(FailureReason::Reverted {
                    by: by.clone(),
                    commit: reverted.clone(),
                });
            }
            if undone.recovered_ms.is_none_or(|r| r > at) {
                undone.recovered_ms = Some(at.max(undone.finished_ms));
                undone.recovered_by = Some(by.clone());
            }
        }
    }
}

/// When a failed deployment was remediated and by what: the next deployment that did not fail,
/// or the resolution of its linked incidents (all of them), whichever came first.
fn recovery(
    failed: &AssessedDeployment,
    later: &[AssessedDeployment],
    incidents: &[&Incident],
) -> Option<(i64, String)> {
    let next_good = later
        .iter()
        .find(|n| !n.failed())
        .map(|n| (n.finished_ms, n.id.clone()));
    let resolved = if incidents.is_empty() || incidents.iter().any(|x| x.resolved_ms.is_none()) {
        None
    } else {
        incidents
            .iter()
            .filter_map(|x| x.resolved_ms.map(|at| (at, x.id.clone())))
            .max_by_key(|(at, _)| *at)
    };
    [next_good, resolved]
        .into_iter()
        .flatten()
        .min_by_key(|(at, _)| *at)
        .map(|(at, by)| (at.max(failed.finished_ms), by))
}

/// The earliest start of the incidents linked to each deployment.
fn incidents_start<'a>(linked: &BTreeMap<&'a str, Vec<&Incident>>) -> BTreeMap<&'a str, i64> {
    linked
        .iter()
        .filter_map(|(id, xs)| xs.iter().map(|x| x.started_ms).min().map(|at| (*id, at)))
        .collect()
}

/// Rework: rollbacks, and deployments within the window after a failure (for a rollout failure
/// or a rollback, when the deployment finished; for an incident only, when the incident began).
/// An incident of an entity as `mark_incident_fixes` needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentSpan {
    pub id: String,
    pub started_ms: i64,
    pub resolved_ms: Option<i64>,
}

/// Rework of incidents' fixes: a deployment of the entity that finished while one of its
/// incidents was open (after it started, before it was resolved; an incident never resolved is
/// taken as open for the rework window only, so a forgotten alert does not make every later
/// deployment rework), unless it is the deployment the incident is linked to as its cause.
pub fn mark_incident_fixes(assessed: &mut [AssessedDeployment], incidents: &[IncidentSpan], settings: Settings) {
    for a in assessed.iter_mut() {
        let fixes = incidents.iter().find(|x| {
            let until = x
                .resolved_ms
                .unwrap_or(x.started_ms.saturating_add(settings.rework_window_ms));
            a.finished_ms > x.started_ms
                && a.finished_ms <= until
                && !a
                    .failures
                    .iter()
                    .any(|f| matches!(f, FailureReason::Incident { id } if *id == x.id))
        });
        if let Some(x) = fixes {
            a.rework.push(ReworkReason::IncidentFix { incident: x.id.clone() });
        }
    }
}

fn mark_rework(
    stream: &[Deployment],
    out: &mut [AssessedDeployment],
    incident_start: BTreeMap<&str, i64>,
    settings: Settings,
) {
    let failures: Vec<(i64, String)> = out
        .iter()
        .zip(stream)
        .filter(|(a, _)| a.failed())
        .map(|(_, d)| {
            let at = if d.failed || d.rolled_back {
                d.finished_ms
            } else {
                incident_start
                    .get(d.id.as_str())
                    .copied()
                    .unwrap_or(d.finished_ms)
                    .max(d.finished_ms)
            };
            (at, d.id.clone())
        })
        .collect();
    for (a, d) in out.iter_mut().zip(stream) {
        if d.restores {
            a.rework.push(ReworkReason::Rollback);
        }
        if let Some((_, failed)) = failures
            .iter()
            .filter(|(at, id)| *id != d.id && d.finished_ms > *at && d.finished_ms - at <= settings.rework_window_ms)
            .max_by_key(|(at, _)| *at)
        {
            a.rework.push(ReworkReason::AfterFailure { failed: failed.clone() });
        }
    }
}
