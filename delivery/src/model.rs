//! What the delivery metrics are computed from and what they answer: production deployments,
//! incidents, and the metrics with the counts behind them. Pure data (compiles to wasm); times are
//! Unix milliseconds, JSON is camelCase like every Cairn API.

use serde::{Deserialize, Serialize};

/// Where a deployment was learnt from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeploymentSource {
    /// A rollout Cairn recorded in a watched cluster (`deployment_rollouts`).
    Rollout,
    /// Reported by CI through `POST /api/dora/deployments`.
    Reported,
}

/// One production deployment of an entity, before the metrics judge it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// `rollout:<cluster>/<namespace>/<kind>/<name>/<seq>`, or the id CI reported.
    pub id: String,
    pub entity: String,
    /// What runs: the images for a rollout, the reported version otherwise.
    pub version: String,
    pub commit: Option<String>,
    pub source: DeploymentSource,
    pub started_ms: i64,
    pub finished_ms: i64,
    /// The rollout failed (or CI reported `failed`).
    pub failed: bool,
    /// The rollout history saw a later rollout bring back an earlier version in its place.
    pub rolled_back: bool,
    /// It brings back an earlier version: a rollback.
    pub restores: bool,
    /// Its pods were first seen failing then, though the rollout went on to complete or was
    /// rolled back (None: never, or a reported deployment).
    pub unhealthy_ms: Option<i64>,
}

/// An incident of an entity and the deployments it is linked to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    /// `<source>:<external id>`.
    pub id: String,
    /// `api`, `alertmanager`.
    pub source: String,
    pub entity: String,
    pub title: String,
    pub started_ms: i64,
    pub resolved_ms: Option<i64>,
    /// Deployment ids, each linked by someone (`linked_by` in the store).
    pub deployments: Vec<String>,
}

/// Why a deployment counts as failed; every one that applied is listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum FailureReason {
    /// Its rollout failed, or CI reported it failed.
    RolloutFailed,
    /// A later deployment brought back an earlier version in its place.
    RolledBack { by: Option<String> },
    /// An incident is linked to it.
    Incident { id: String },
    /// A later deployment brought a revert of one of its changes (`git revert`'s "This reverts
    /// commit …").
    Reverted { by: String, commit: String },
}

/// Why a deployment counts as rework (unplanned).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ReworkReason {
    /// It brings back an earlier version.
    Rollback,
    /// It came within the rework window after a failure of the same entity.
    AfterFailure { failed: String },
    /// It brings a revert of an earlier change.
    Revert { commit: String },
    /// It brings a hotfix: a commit or merge whose message says `hotfix` (a `hotfix/` branch).
    Hotfix { commit: String },
    /// It finished while an incident of the entity was open: its fix, or a mitigation.
    IncidentFix { incident: String },
}

/// A deployment as the metrics judged it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssessedDeployment {
    pub id: String,
    pub entity: String,
    pub version: String,
    pub commit: Option<String>,
    pub source: DeploymentSource,
    pub started_ms: i64,
    pub finished_ms: i64,
    pub failures: Vec<FailureReason>,
    pub rework: Vec<ReworkReason>,
    /// A failed deployment: when it was remediated (None while it is not).
    pub recovered_ms: Option<i64>,
    /// The deployment that remediated it, or the incident whose resolution did.
    pub recovered_by: Option<String>,
    /// What it changed and how long that took to reach production (None: not looked at).
    #[serde(default)]
    pub changes: Option<DeploymentChanges>,
}

/// A deployment's changes: the commits reachable from its commit and not from the previous
/// deployment's (`crate::changes` says what is measured).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentChanges {
    /// The commit it runs, when it was resolved.
    pub commit: Option<String>,
    /// The previous deployment's commit the changes are counted from.
    pub previous_commit: Option<String>,
    /// Changes counted (non-merge commits), including those dropped.
    pub changes: u64,
    /// Changes whose lead time was ≤ 0 (committed after the deployment finished: clocks).
    pub dropped: u64,
    /// More than `dora.changes.maxCommits` commits: only that many were read.
    pub truncated: bool,
    pub lead_time_median_seconds: Option<f64>,
    /// Why its changes are unknown (no commit, no repository, the repository unreadable…).
    pub unknown: Option<String>,
    /// The merged pull requests its changes came with (where a GitHub integration could tell),
    /// at most `MAX_PULL_REQUESTS`.
    #[serde(default)]
    pub pull_requests: Vec<PullRequestRef>,
    /// Why pull requests could not be looked up (GitHub unreachable, refused…).
    #[serde(default)]
    pub pull_requests_unknown: Option<String>,
    /// Commits it reverts (each `git revert`'s "This reverts commit …"), as written.
    #[serde(default)]
    pub reverts: Vec<String>,
    /// Its hotfix commits (a message saying `hotfix`, merges included).
    #[serde(default)]
    pub hotfixes: Vec<String>,
    /// The commits it brought, to find what a later revert names.
    #[serde(skip)]
    pub commits: Vec<String>,
    /// Each kept change's lead time in seconds (first commit → deployment finished).
    #[serde(skip)]
    pub lead_seconds: Vec<f64>,
    /// Each kept change's merge → deploy in seconds.
    #[serde(skip)]
    pub merge_seconds: Vec<f64>,
    #[serde(skip)]
    pub merge_dropped: u64,
}

/// Most pull requests listed with one deployment.
pub const MAX_PULL_REQUESTS: usize = 20;

/// A pull request a deployment's changes came with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequestRef {
    pub number: u64,
    pub title: String,
    pub url: String,
    /// The earliest author date of its commits: where its changes' lead time starts.
    pub first_commit_ms: Option<i64>,
}

impl AssessedDeployment {
    pub fn failed(&self) -> bool {
        !self.failures.is_empty()
    }
}

/// The five metrics over a range, with the counts behind each and a series per interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// `entity`, `group` (what it and its child groups own) or `organisation` (every entity).
    pub scope: String,
    pub entities: Vec<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub interval: String,
    pub deployment_frequency: DeploymentFrequency,
    pub lead_time_for_changes: LeadTime,
    pub change_failure_rate: ChangeFailureRate,
    pub failed_deployment_recovery_time: RecoveryTime,
    pub rework_rate: ReworkRate,
    /// Incidents in the range linked to no deployment: they count towards no failure.
    pub unlinked_incidents: u64,
    pub series: Vec<Bucket>,
    /// The deployments in the range, newest first, at most `MAX_LISTED`.
    pub deployments: Vec<AssessedDeployment>,
    pub deployments_truncated: bool,
    /// What `breakdown` is per: `entity`, or `owner` for the organisation.
    pub breakdown_by: String,
    /// The same counts per entity or owner, most deployments first: the drill-down.
    pub breakdown: Vec<BreakdownRow>,
}

/// The counts of one entity (or one owner's entities) within a group's or the organisation's
/// metrics; summed, the rows give the whole (each deployment belongs to one row).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BreakdownRow {
    /// An entity ref, or an owner's (empty: entities without an owner).
    pub key: String,
    /// Entities in this row (1 for an entity).
    pub entities: u64,
    pub deployments: u64,
    pub failed: u64,
    pub rework: u64,
    pub recovered: u64,
    pub recovery_median_seconds: Option<f64>,
    /// Changes with a lead time, and their median.
    pub changes: u64,
    pub lead_time_median_seconds: Option<f64>,
    pub unlinked_incidents: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentFrequency {
    pub deployments: u64,
    pub days: f64,
    /// Deployments per day.
    pub value: f64,
    pub per_week: f64,
}

/// Lead time for changes: from each change's first commit to the deployment that brought it to
/// production finishing, over the changes of the deployments in the range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadTime {
    /// Median seconds (None without changes).
    pub value: Option<f64>,
    pub p90_seconds: Option<f64>,
    /// Changes counted, with lead times > 0.
    pub changes: u64,
    /// Changes dropped because their lead time was ≤ 0.
    pub dropped: u64,
    /// Deployments whose changes were read.
    pub deployments: u64,
    /// Deployments whose changes are unknown (see each deployment's `changes.unknown`).
    pub unknown: u64,
    /// What the start of a lead time is.
    pub measured_from: String,
    pub merge_to_deploy: MergeToDeploy,
}

/// From a change reaching the deployed branch to the deployment finishing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeToDeploy {
    pub value: Option<f64>,
    pub p90_seconds: Option<f64>,
    pub changes: u64,
    pub dropped: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeFailureRate {
    pub failed: u64,
    pub deployments: u64,
    /// `failed / deployments` (None without deployments).
    pub value: Option<f64>,
    /// The same, in percent rounded to one decimal (17.4).
    pub percent: Option<f64>,
    /// Failed deployments per reason (one deployment may have several).
    pub rollout_failed: u64,
    pub rolled_back: u64,
    pub incident: u64,
    pub reverted: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryTime {
    /// Median seconds from a failed deployment to its remediation (None when none recovered).
    pub value: Option<f64>,
    pub mean_seconds: Option<f64>,
    pub recovered: u64,
    /// Failed deployments not remediated yet.
    pub unrecovered: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReworkRate {
    pub rework: u64,
    pub deployments: u64,
    pub value: Option<f64>,
    pub rollbacks: u64,
    pub after_failure: u64,
    pub reverts: u64,
    pub hotfixes: u64,
    #[serde(default)]
    pub incident_fixes: u64,
}

/// One interval of the series (day, ISO week or calendar month, UTC).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub start_ms: i64,
    pub end_ms: i64,
    pub deployments: u64,
    pub failed: u64,
    pub rework: u64,
    pub recovered: u64,
    /// Median recovery of the failed deployments of this interval that recovered.
    pub recovery_median_seconds: Option<f64>,
    /// Changes deployed in this interval (lead time > 0) and their median lead time.
    pub changes: u64,
    pub lead_time_median_seconds: Option<f64>,
}

impl FailureReason {
    /// In words, as pages and exports show it.
    pub fn text(&self) -> String {
        match self {
            FailureReason::RolloutFailed => "rollout failed".into(),
            FailureReason::RolledBack { by: Some(by) } => format!("rolled back by {by}"),
            FailureReason::RolledBack { by: None } => "rolled back".into(),
            FailureReason::Incident { id } => format!("incident {id}"),
            FailureReason::Reverted { by, commit } => format!("change {} reverted by {by}", short(commit)),
        }
    }
}

impl ReworkReason {
    pub fn text(&self) -> String {
        match self {
            ReworkReason::Rollback => "a rollback".into(),
            ReworkReason::AfterFailure { failed } => format!("within the rework window after {failed} failed"),
            ReworkReason::Revert { commit } => format!("reverts {}", short(commit)),
            ReworkReason::Hotfix { commit } => format!("hotfix {}", short(commit)),
            ReworkReason::IncidentFix { incident } => format!("deployed while {incident} was open"),
        }
    }
}

/// A commit id as people quote it: its first 12 digits.
fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// An entity's (or a group's, or every) incident in a range, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentList {
    pub from_ms: i64,
    pub to_ms: i64,
    pub incidents: Vec<Incident>,
    /// More started in the range than the `limit` listed.
    pub truncated: bool,
    pub limit: u64,
}

/// Why a deployment is suspected of causing an incident, each weighing in its score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum SuspectReason {
    /// A deployment of the incident's own entity.
    SameEntity,
    /// A deployment of an entity the incident's `dependsOn`.
    Dependency { entity: String },
    /// How long before the incident started it finished (negative: still rolling out then).
    MinutesBefore { minutes: i64 },
    /// A later deployment brought back an earlier version.
    RolledBack { by: Option<String> },
    /// Its rollout failed, or CI reported it failed.
    Failed,
    /// It rolled out the workload the alert names (its `namespace` and `deployment`,
    /// `statefulset` or `daemonset` labels).
    SameWorkload { workload: String },
    /// It changed the image of the container the alert names (its `container` label).
    ChangedContainer { container: String },
    /// Its pods went unhealthy while it rolled out (minutes after it started), though it went on.
    WentUnhealthy { minutes: i64 },
}

impl SuspectReason {
    pub fn text(&self) -> String {
        match self {
            SuspectReason::SameEntity => "same entity".into(),
            SuspectReason::Dependency { entity } => format!("a dependency: {entity}"),
            SuspectReason::MinutesBefore { minutes } if *minutes < 0 => "still rolling out when it started".into(),
            SuspectReason::MinutesBefore { minutes } => format!("finished {minutes} min before"),
            SuspectReason::RolledBack { by: Some(by) } => format!("rolled back by {by}"),
            SuspectReason::RolledBack { by: None } => "rolled back".into(),
            SuspectReason::Failed => "its rollout failed".into(),
            SuspectReason::SameWorkload { workload } => format!("rolled out {workload}, which the alert names"),
            SuspectReason::ChangedContainer { container } => {
                format!("changed the image of container {container}, which the alert names")
            }
            SuspectReason::WentUnhealthy { minutes } => format!("its pods went unhealthy {minutes} min into it"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suspect {
    pub deployment: String,
    pub entity: String,
    pub version: String,
    pub commit: Option<String>,
    pub finished_ms: i64,
    /// Higher is more likely: same entity 40 (dependency 20), recency up to 40, rolled back 30,
    /// failed 20.
    pub score: u32,
    pub reasons: Vec<SuspectReason>,
    /// Linked to the incident (confirmed, or reported with it).
    pub linked: bool,
    /// An owner's verdict: confirmed | rejected.
    pub decision: Option<String>,
}

/// An incident's suspected deployments, most likely first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suspects {
    pub incident: String,
    /// None when no entity claims the incident (then nothing is suspected).
    pub entity: Option<String>,
    pub started_ms: i64,
    pub window_hours: i64,
    pub suspects: Vec<Suspect>,
}
