//! What the Deployments views show: workloads running in Kubernetes clusters, their pods, their
//! autoscaler, Argo status, the problems found in them, and the rollouts recorded over time. Pure
//! data (compiles to wasm): the server builds it from its watches (`crate::project`),
//! pages render it, and the live stream sends it piecewise (`Update`). Times are Unix milliseconds.

mod problems;

use serde::{Deserialize, Serialize};

pub use problems::{Problem, ProblemKind, health_of, problems_of, summarize};

/// A cluster as the views know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterState {
    pub name: String,
    pub reachability: Reachability,
    /// Resource types the service account may not list here, with the cluster's explanation.
    pub forbidden: Vec<ForbiddenType>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Reachability {
    Connecting,
    Reachable,
    /// Everything shown from this cluster is as of `since_ms`.
    Unreachable {
        since_ms: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForbiddenType {
    /// `deployments.apps`, `pods`: as RBAC names it.
    pub resource: String,
    pub message: String,
}

/// Kinds of workload the views list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    /// Argo Rollouts' `Rollout`.
    Rollout,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Rollout => "Rollout",
        }
    }
}

/// Identifies a workload across clusters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadKey {
    pub cluster: String,
    pub namespace: String,
    pub kind: WorkloadKind,
    pub name: String,
}

/// Overall state, worst first when sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Health {
    /// Something needs a person: crash loops, failed rollouts, missing replicas.
    Degraded,
    /// A rollout or scaling is under way.
    Progressing,
    /// The cluster is unreachable or the state cannot be told.
    Unknown,
    Healthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Degraded => "degraded",
            Health::Progressing => "progressing",
            Health::Unknown => "unknown",
            Health::Healthy => "healthy",
        }
    }
}

/// One workload with everything the entity page shows of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub key: WorkloadKey,
    /// The catalog entity it belongs to (`component:default/checkout-service`), when mapped.
    pub entity: Option<String>,
    /// That entity's owner, for the Deployments page's filter.
    pub owner: Option<String>,
    pub created_ms: Option<i64>,
    pub replicas: Replicas,
    /// Names the workload's current pod template, so a new one means a rollout: a Deployment's
    /// `deployment.kubernetes.io/revision`, a Rollout's `rollout.argoproj.io/revision`, a
    /// StatefulSet's `status.updateRevision`, a DaemonSet's newest ControllerRevision-like hash
    /// (`pod-template-generation` label of its pods). Revisions of rollbacks may repeat (StatefulSet).
    pub revision: Option<String>,
    /// When the current revision began (its ReplicaSet's creation), as the cluster tells.
    pub revision_since_ms: Option<i64>,
    /// The running version: every container's image.
    pub images: Vec<ContainerImage>,
    /// The commit the images were built from, when the pod template says (the annotation
    /// `org.opencontainers.image.revision`, 7 to 64 hex digits).
    #[serde(default)]
    pub source_revision: Option<String>,
    pub rollout: RolloutStatus,
    pub pods: Vec<PodInfo>,
    pub autoscaler: Option<Autoscaler>,
    /// Recent warning events about the workload, its ReplicaSets and its pods, newest first.
    pub events: Vec<WarningEvent>,
    pub argo_cd: Option<ArgoCdStatus>,
    pub argo_rollout: Option<ArgoRolloutStatus>,
    pub health: Health,
    pub problems: Vec<Problem>,
    /// Set while its cluster is unreachable: all of this is as of then.
    pub stale_since_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replicas {
    pub desired: u32,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerImage {
    pub container: String,
    /// As written in the spec: `ghcr.io/acme/checkout:1.4.2`.
    pub image: String,
    /// `1.4.2`, or `latest` when the reference names no tag.
    pub tag: Option<String>,
    /// The digest the pods actually run (`sha256:…`), from their container statuses.
    pub digest: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RolloutPhase {
    Complete,
    Progressing,
    /// Paused by a person or a canary step.
    Paused,
    /// Past its progress deadline, or aborted (Argo Rollouts).
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    pub phase: RolloutPhase,
    /// The controller's own words (a condition's message), when it gave any.
    pub message: Option<String>,
    /// When the controller last changed this state (the `Progressing` condition's update time).
    pub since_ms: Option<i64>,
    /// `RollingUpdate`, `Recreate`, `OnDelete`, `canary`, `blueGreen`.
    pub strategy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodInfo {
    pub name: String,
    /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
    pub phase: String,
    pub ready: bool,
    pub restarts: u32,
    pub node: Option<String>,
    pub created_ms: Option<i64>,
    /// Why the scheduler has not placed it (`0/3 nodes are available: 3 Insufficient cpu.`).
    pub unschedulable: Option<String>,
    pub containers: Vec<ContainerInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInfo {
    pub name: String,
    pub ready: bool,
    pub restarts: u32,
    pub state: ContainerState,
    /// Why it last stopped (`OOMKilled`, `Error`), with when.
    pub last_termination: Option<Termination>,
    /// `sha256:…` of the image it runs.
    pub digest: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ContainerState {
    Running {
        since_ms: Option<i64>,
    },
    /// `CrashLoopBackOff`, `ImagePullBackOff`, `ContainerCreating`…
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Terminated(Termination),
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Termination {
    pub reason: String,
    pub exit_code: i32,
    pub finished_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Autoscaler {
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub current: u32,
    pub desired: u32,
    pub metrics: Vec<AutoscalerMetric>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalerMetric {
    /// `cpu`, `memory`, or the custom metric's name.
    pub name: String,
    /// `72%`, `512Mi`, `130`: as the HPA reports it.
    pub current: Option<String>,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarningEvent {
    /// `Pod/checkout-7d9c-xk2p`.
    pub object: String,
    pub reason: String,
    pub message: String,
    pub count: u32,
    pub last_seen_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgoCdStatus {
    pub application: String,
    /// `Synced`, `OutOfSync`, `Unknown`.
    pub sync: String,
    /// `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`.
    pub health: String,
    /// The Git revision it is synced to.
    pub revision: Option<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgoRolloutStatus {
    /// `canary` or `blueGreen`.
    pub strategy: String,
    /// `Healthy`, `Progressing`, `Paused`, `Degraded`.
    pub phase: String,
    /// 1-based current step of `steps` (canary).
    pub step: Option<u32>,
    pub steps: Option<u32>,
    /// Percent of traffic on the canary.
    pub canary_weight: Option<u32>,
    pub message: Option<String>,
}

/// One rollout as recorded: a new image or spec revision of a workload, from start to end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutRecord {
    pub key: WorkloadKey,
    /// The workload's rollouts are numbered 1, 2, …: with `key`, it names this record (revisions
    /// alone may repeat, as a StatefulSet's do after a rollback).
    pub seq: i64,
    pub entity: Option<String>,
    pub revision: String,
    /// The images it rolled out, `container=image` joined by `, `.
    pub version: String,
    pub outcome: RolloutOutcome,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RolloutOutcome {
    /// Started, not finished yet.
    InProgress,
    Completed,
    Failed,
    /// Replaced by an earlier revision before or after completing.
    RolledBack,
}

impl RolloutOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutOutcome::InProgress => "in-progress",
            RolloutOutcome::Completed => "completed",
            RolloutOutcome::Failed => "failed",
            RolloutOutcome::RolledBack => "rolled-back",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "in-progress" => RolloutOutcome::InProgress,
            "completed" => RolloutOutcome::Completed,
            "failed" => RolloutOutcome::Failed,
            "rolled-back" => RolloutOutcome::RolledBack,
            _ => return None,
        })
    }
}

/// Everything an entity page's Deployments tab shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityDeployments {
    /// Every configured cluster, so an empty tab can say where it looked.
    pub clusters: Vec<ClusterState>,
    /// Problems first, then by cluster, namespace, kind and name.
    pub workloads: Vec<Workload>,
    /// Newest first.
    pub history: Vec<RolloutRecord>,
}

/// A change to a page's view, as the live stream sends it: small pieces, so a pod restarting in a
/// workload of a thousand pods sends one pod, not the workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Update {
    /// Everything, first on every (re)connection: the page replaces what it shows with it, so
    /// nothing missed while disconnected lingers. Workloads carry their pods here.
    Snapshot {
        clusters: Vec<ClusterState>,
        workloads: Vec<Workload>,
    },
    Cluster(ClusterState),
    /// A workload new or changed, without its pods (`pods` is empty; they follow as `Pod`).
    Workload(Box<Workload>),
    WorkloadRemoved(WorkloadKey),
    Pod {
        workload: WorkloadKey,
        pod: PodInfo,
    },
    PodRemoved {
        workload: WorkloadKey,
        name: String,
    },
    Rollout(RolloutRecord),
}

#[cfg(test)]
impl Workload {
    /// For tests: Deployment `name` in cluster `dev`, namespace `namespace`, 2 of 2 replicas ready,
    /// revision 1, rollout complete, healthy, nothing else known; tests change what they need.
    pub(crate) fn sample(namespace: &str, name: &str) -> Workload {
        Workload {
            key: WorkloadKey {
                cluster: "dev".into(),
                namespace: namespace.into(),
                kind: WorkloadKind::Deployment,
                name: name.into(),
            },
            entity: None,
            owner: None,
            created_ms: None,
            replicas: Replicas {
                desired: 2,
                updated: 2,
                ready: 2,
                available: 2,
            },
            revision: Some("1".into()),
            revision_since_ms: None,
            images: Vec::new(),
            source_revision: None,
            rollout: RolloutStatus {
                phase: RolloutPhase::Complete,
                message: None,
                since_ms: None,
                strategy: None,
            },
            pods: Vec::new(),
            autoscaler: None,
            events: Vec::new(),
            argo_cd: None,
            argo_rollout: None,
            health: Health::Healthy,
            problems: Vec::new(),
            stale_since_ms: None,
        }
    }
}

/// Workloads in the order every view lists them: worst health first, then by place.
pub fn sort_workloads(workloads: &mut [Workload]) {
    workloads.sort_by(|a, b| a.health.cmp(&b.health).then_with(|| a.key.cmp(&b.key)));
}
