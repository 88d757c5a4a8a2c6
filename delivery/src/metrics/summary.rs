//! The assessed deployments of every entity asked for, summed into the five metrics and a series.

use std::collections::BTreeMap;

use crate::model::{
    AssessedDeployment, BreakdownRow, Bucket, ChangeFailureRate, DeploymentFrequency, FailureReason, LeadTime,
    MergeToDeploy, Metrics, RecoveryTime, ReworkRate, ReworkReason,
};

/// Most deployments a metrics answer lists (the counts cover them all).
pub const MAX_LISTED: usize = 500;

const DAY_MS: f64 = 86_400_000.0;

/// The metrics over `[from_ms, to_ms)` of `assessed` (deployments outside it are only context),
/// with a bucket per `(start, end)` of `buckets`.
pub fn summarize(
    entities: Vec<String>,
    assessed: &[&AssessedDeployment],
    unlinked_incidents: u64,
    (from_ms, to_ms): (i64, i64),
    interval: &str,
    buckets: &[(i64, i64)],
) -> Metrics {
    let in_range: Vec<&AssessedDeployment> = assessed
        .iter()
        .copied()
        .filter(|d| d.finished_ms >= from_ms && d.finished_ms < to_ms)
        .collect();
    let deployments = in_range.len() as u64;
    let days = (to_ms - from_ms) as f64 / DAY_MS;
    let count = |f: &dyn Fn(&AssessedDeployment) -> bool| in_range.iter().filter(|d| f(d)).count() as u64;
    let has_failure = |d: &AssessedDeployment, f: fn(&FailureReason) -> bool| d.failures.iter().any(f);
    let failed = count(&|d| d.failed());
    let rework = count(&|d| !d.rework.is_empty());
    let recoveries: Vec<f64> = in_range.iter().filter_map(|d| recovery_seconds(d)).collect();
    Metrics {
        scope: String::new(),
        entities,
        from_ms,
        to_ms,
        interval: interval.to_string(),
        deployment_frequency: DeploymentFrequency {
            deployments,
            days,
            value: ratio(deployments as f64, days).unwrap_or(0.0),
            per_week: ratio(deployments as f64 * 7.0, days).unwrap_or(0.0),
        },
        lead_time_for_changes: lead_time(&in_range),
        change_failure_rate: ChangeFailureRate {
            failed,
            deployments,
            value: ratio(failed as f64, deployments as f64),
            percent: ratio(failed as f64, deployments as f64).map(|v| (v * 1000.0).round() / 10.0),
            rollout_failed: count(&|d| has_failure(d, |f| matches!(f, FailureReason::RolloutFailed))),
            rolled_back: count(&|d| has_failure(d, |f| matches!(f, FailureReason::RolledBack { .. }))),
            incident: count(&|d| has_failure(d, |f| matches!(f, FailureReason::Incident { .. }))),
            reverted: count(&|d| has_failure(d, |f| matches!(f, FailureReason::Reverted { .. }))),
        },
        failed_deployment_recovery_time: RecoveryTime {
            value: median(recoveries.clone()),
            mean_seconds: ratio(recoveries.iter().sum(), recoveries.len() as f64),
            recovered: recoveries.len() as u64,
            unrecovered: failed - recoveries.len() as u64,
        },
        rework_rate: ReworkRate {
            rework,
            deployments,
            value: ratio(rework as f64, deployments as f64),
            rollbacks: count(&|d| d.rework.contains(&ReworkReason::Rollback)),
            after_failure: count(&|d| d.rework.iter().any(|r| matches!(r, ReworkReason::AfterFailure { .. }))),
            reverts: count(&|d| d.rework.iter().any(|r| matches!(r, ReworkReason::Revert { .. }))),
            hotfixes: count(&|d| d.rework.iter().any(|r| matches!(r, ReworkReason::Hotfix { .. }))),
            incident_fixes: count(&|d| d.rework.iter().any(|r| matches!(r, ReworkReason::IncidentFix { .. }))),
        },
        unlinked_incidents,
        series: series(buckets, &in_range),
        deployments_truncated: in_range.len() > MAX_LISTED,
        deployments: newest(in_range),
        breakdown_by: String::new(),
        breakdown: Vec::new(),
    }
}

/// The breakdown of `assessed` (its deployments in `[from_ms, to_ms)`) into rows by `key_of`
/// each entity: every one of `entities` has its row, deployments or not; most deployments first.
pub fn breakdown(
    entities: &[String],
    assessed: &[&AssessedDeployment],
    unlinked_incidents: &BTreeMap<String, u64>,
    (from_ms, to_ms): (i64, i64),
    key_of: impl Fn(&str) -> String,
) -> Vec<BreakdownRow> {
    #[derive(Default)]
    struct Sums {
        row: BreakdownRow,
        recoveries: Vec<f64>,
        lead: Vec<f64>,
    }
    let mut rows: BTreeMap<String, Sums> = BTreeMap::new();
    for entity in entities {
        rows.entry(key_of(entity)).or_default().row.entities += 1;
    }
    // Deployments come grouped by entity: the key is asked once per run of one entity's.
    let mut key: Option<(&str, String)> = None;
    for d in assessed
        .iter()
        .filter(|d| d.finished_ms >= from_ms && d.finished_ms < to_ms)
    {
        if key.as_ref().is_none_or(|(entity, _)| *entity != d.entity) {
            key = Some((&d.entity, key_of(&d.entity)));
        }
        let Some((_, k)) = &key else { continue };
        let sums = match rows.get_mut(k) {
            Some(sums) => sums,
            None => rows.entry(k.clone()).or_default(),
        };
        sums.row.deployments += 1;
        sums.row.failed += u64::from(d.failed());
        sums.row.rework += u64::from(!d.rework.is_empty());
        sums.recoveries.extend(recovery_seconds(d));
        if let Some(changes) = &d.changes {
            sums.lead.extend(changes.lead_seconds.iter().copied());
        }
    }
    for (entity, count) in unlinked_incidents {
        rows.entry(key_of(entity)).or_default().row.unlinked_incidents += count;
    }
    let mut out: Vec<BreakdownRow> = rows
        .into_iter()
        .map(|(key, sums)| BreakdownRow {
            key,
            recovered: sums.recoveries.len() as u64,
            recovery_median_seconds: median(sums.recoveries),
            changes: sums.lead.len() as u64,
            lead_time_median_seconds: median(sums.lead),
            ..sums.row
        })
        .collect();
    out.sort_by(|a, b| b.deployments.cmp(&a.deployments).then_with(|| a.key.cmp(&b.key)));
    out
}

/// The `MAX_LISTED` newest, newest first: selected, not the whole range sorted (an organisation's
/// year is hundreds of thousands).
fn newest(mut in_range: Vec<&AssessedDeployment>) -> Vec<AssessedDeployment> {
    let newest_first = |a: &&AssessedDeployment, b: &&AssessedDeployment| {
        b.finished_ms.cmp(&a.finished_ms).then_with(|| a.id.cmp(&b.id))
    };
    if in_range.len() > MAX_LISTED {
        in_range.select_nth_unstable_by(MAX_LISTED, newest_first);
        in_range.truncate(MAX_LISTED);
    }
    in_range.sort_by(newest_first);
    in_range.into_iter().cloned().collect()
}

/// Each deployment put in its bucket (`buckets` are in order and do not overlap) in one pass.
fn series(buckets: &[(i64, i64)], in_range: &[&AssessedDeployment]) -> Vec<Bucket> {
    let mut members: Vec<Vec<&AssessedDeployment>> = vec![Vec::new(); buckets.len()];
    for d in in_range {
        let i = buckets.partition_point(|(_, end)| *end <= d.finished_ms);
        if let Some((start, _)) = buckets.get(i)
            && d.finished_ms >= *start
        {
            members[i].push(d);
        }
    }
    buckets.iter().zip(&members).map(|(b, here)| bucket(*b, here)).collect()
}

fn bucket((start_ms, end_ms): (i64, i64), here: &[&AssessedDeployment]) -> Bucket {
    let recoveries: Vec<f64> = here.iter().filter_map(|d| recovery_seconds(d)).collect();
    let lead: Vec<f64> = here
        .iter()
        .filter_map(|d| d.changes.as_ref())
        .flat_map(|c| c.lead_seconds.iter().copied())
        .collect();
    Bucket {
        start_ms,
        end_ms,
        deployments: here.len() as u64,
        failed: here.iter().filter(|d| d.failed()).count() as u64,
        rework: here.iter().filter(|d| !d.rework.is_empty()).count() as u64,
        recovered: recoveries.len() as u64,
        recovery_median_seconds: median(recoveries),
        changes: lead.len() as u64,
        lead_time_median_seconds: median(lead),
    }
}

/// What `measured_from` says.
pub const MEASURED_FROM: &str = "the first commit of each change: its author date, or the earliest date a `git merge --squash` message lists; a squash made elsewhere counts from when it was squashed";

fn lead_time(in_range: &[&AssessedDeployment]) -> LeadTime {
    let changes: Vec<_> = in_range.iter().filter_map(|d| d.changes.as_ref()).collect();
    let lead: Vec<f64> = changes.iter().flat_map(|c| c.lead_seconds.iter().copied()).collect();
    let merge: Vec<f64> = changes.iter().flat_map(|c| c.merge_seconds.iter().copied()).collect();
    LeadTime {
        value: median(lead.clone()),
        p90_seconds: percentile(lead.clone(), 0.9),
        changes: lead.len() as u64,
        dropped: changes.iter().map(|c| c.dropped).sum(),
        deployments: changes.iter().filter(|c| c.unknown.is_none()).count() as u64,
        unknown: changes.iter().filter(|c| c.unknown.is_some()).count() as u64,
        measured_from: MEASURED_FROM.into(),
        merge_to_deploy: MergeToDeploy {
            value: median(merge.clone()),
            p90_seconds: percentile(merge.clone(), 0.9),
            changes: merge.len() as u64,
            dropped: changes.iter().map(|c| c.merge_dropped).sum(),
        },
    }
}

/// The nearest-rank percentile `p` (0 < p ≤ 1).
fn percentile(mut values: Vec<f64>, p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

fn recovery_seconds(d: &AssessedDeployment) -> Option<f64> {
    d.recovered_ms.map(|at| (at - d.finished_ms) as f64 / 1000.0)
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}
