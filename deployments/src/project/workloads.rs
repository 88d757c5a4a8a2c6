//! What each kind of workload says of itself: replicas, revision, rollout state and pod template,
//! read the way `kubectl rollout status` reads Deployments, StatefulSets, DaemonSets and Argo Rollouts.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::DynamicObject;
use serde_json::Value;

use super::{argo, time_ms};
use crate::kubernetes::ClusterObjects;
use crate::model::{ArgoRolloutStatus, Replicas, RolloutPhase, RolloutStatus, WorkloadKind};

pub const DEPLOYMENT_REVISION: &str = "deployment.kubernetes.io/revision";
pub const ROLLOUT_REVISION: &str = "rollout.argoproj.io/revision";

static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

/// One workload object of any kind.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Deployment(&'a Deployment),
    StatefulSet(&'a StatefulSet),
    DaemonSet(&'a DaemonSet),
    Rollout(&'a DynamicObject),
}

/// Every workload of a cluster.
pub fn sources(objects: &ClusterObjects) -> impl Iterator<Item = Source<'_>> {
    let deployments = objects.deployments.iter().map(|d| Source::Deployment(d));
    let stateful_sets = objects.stateful_sets.iter().map(|s| Source::StatefulSet(s));
    let daemon_sets = objects.daemon_sets.iter().map(|d| Source::DaemonSet(d));
    let rollouts = objects.argo_rollouts.iter().map(|r| Source::Rollout(r));
    deployments.chain(stateful_sets).chain(daemon_sets).chain(rollouts)
}

impl<'a> Source<'a> {
    pub fn meta(self) -> &'a ObjectMeta {
        match self {
            Source::Deployment(d) => &d.metadata,
            Source::StatefulSet(s) => &s.metadata,
            Source::DaemonSet(d) => &d.metadata,
            Source::Rollout(r) => &r.metadata,
        }
    }

    pub fn kind(self) -> WorkloadKind {
        match self {
            Source::Deployment(_) => WorkloadKind::Deployment,
            Source::StatefulSet(_) => WorkloadKind::StatefulSet,
            Source::DaemonSet(_) => WorkloadKind::DaemonSet,
            Source::Rollout(_) => WorkloadKind::Rollout,
        }
    }

    /// The API group, as Argo CD's tracking id names it.
    pub fn group(self) -> &'static str {
        match self {
            Source::Rollout(_) => "argoproj.io",
            _ => "apps",
        }
    }

    pub fn namespace(self) -> &'a str {
        self.meta().namespace.as_deref().unwrap_or_default()
    }

    pub fn name(self) -> &'a str {
        self.meta().name.as_deref().unwrap_or_default()
    }

    pub fn labels(self) -> &'a BTreeMap<String, String> {
        self.meta().labels.as_ref().unwrap_or(&NO_LABELS)
    }

    pub fn annotations(self) -> &'a BTreeMap<String, String> {
        self.meta().annotations.as_ref().unwrap_or(&NO_LABELS)
    }
}

/// How a workload's current pods are told from older ones.
pub enum Current {
    /// The owned ReplicaSet whose `annotation` equals the workload's revision (or whose
    /// `hash_label` equals `hash`) is current; pods carrying its `hash_label` value are current.
    ReplicaSet {
        annotation: &'static str,
        hash_label: &'static str,
        hash: Option<String>,
    },
    /// Pods whose label `key` is `value` are current (StatefulSets' `controller-revision-hash`).
    PodLabel { key: &'static str, value: Option<String> },
    /// DaemonSets: the newest `pod-template-generation` among the pods is the revision.
    Generation,
}

/// What a workload object says of itself.
pub struct Shape<'a> {
    pub containers: Cow<'a, [Container]>,
    /// The pod template's `org.opencontainers.image.revision`: the commit its images were built from.
    pub source_revision: Option<String>,
    pub replicas: Replicas,
    pub revision: Option<String>,
    pub rollout: RolloutStatus,
    pub current: Current,
    pub argo_rollout: Option<ArgoRolloutStatus>,
}

fn count(n: Option<i32>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// The OCI image annotation naming the source commit, set on pod templates by many pipelines.
const OCI_REVISION: &str = "org.opencontainers.image.revision";

fn annotation(meta: &ObjectMeta, key: &str) -> Option<String> {
    meta.annotations.as_ref()?.get(key).cloned()
}

/// Whether the controller has not yet seen the latest spec.
fn unobserved(meta: &ObjectMeta, observed: Option<i64>) -> bool {
    matches!((meta.generation, observed), (Some(g), Some(o)) if o < g)
}

pub fn shape(source: Source<'_>) -> Shape<'_> {
    match source {
        Source::Deployment(d) => deployment(d),
        Source::StatefulSet(s) => stateful_set(s),
        Source::DaemonSet(d) => daemon_set(d),
        Source::Rollout(r) => rollout(r),
    }
}

fn deployment(d: &Deployment) -> Shape<'_> {
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let replicas = Replicas {
        desired: count(Some(spec.and_then(|s| s.replicas).unwrap_or(1))),
        updated: count(status.and_then(|s| s.updated_replicas)),
        ready: count(status.and_then(|s| s.ready_replicas)),
        available: count(status.and_then(|s| s.available_replicas)),
    };
    let total = count(status.and_then(|s| s.replicas));
    let progressing = status.and_then(|s| s.conditions.as_ref()?.iter().find(|c| c.type_ == "Progressing"));
    let reason = progressing.and_then(|c| c.reason.as_deref());
    let phase = if spec.and_then(|s| s.paused) == Some(true) {
        RolloutPhase::Paused
    } else if reason == Some("ProgressDeadlineExceeded") {
        RolloutPhase::Failed
    } else if unobserved(&d.metadata, status.and_then(|s| s.observed_generation))
        || replicas.updated < replicas.desired
        || total > replicas.updated
        || (reason.is_some_and(|r| r != "NewReplicaSetAvailable") && replicas.available < replicas.updated)
    {
        RolloutPhase::Progressing
    } else {
        RolloutPhase::Complete
    };
    Shape {
        containers: Cow::Borrowed(
            spec.and_then(|s| s.template.spec.as_ref())
                .map_or(&[], |p| &p.containers[..]),
        ),
        source_revision: spec
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| annotation(m, OCI_REVISION)),
        replicas,
        revision: annotation(&d.metadata, DEPLOYMENT_REVISION),
        rollout: RolloutStatus {
            phase,
            message: progressing.and_then(|c| c.message.clone()),
            since_ms: progressing
                .and_then(|c| time_ms(c.last_update_time.as_ref().or(c.last_transition_time.as_ref()))),
            strategy: Some(
                spec.and_then(|s| s.strategy.as_ref()?.type_.clone())
                    .unwrap_or_else(|| "RollingUpdate".into()),
            ),
        },
        current: Current::ReplicaSet {
            annotation: DEPLOYMENT_REVISION,
            hash_label: "pod-template-hash",
            hash: None,
        },
        argo_rollout: None,
    }
}

fn stateful_set(s: &StatefulSet) -> Shape<'_> {
    let spec = s.spec.as_ref();
    let status = s.status.as_ref();
    let replicas = Replicas {
        desired: count(Some(spec.and_then(|s| s.replicas).unwrap_or(1))),
        updated: count(status.and_then(|s| s.updated_replicas)),
        ready: count(status.and_then(|s| s.ready_replicas)),
        available: count(status.and_then(|s| s.available_replicas)),
    };
    let strategy = spec.and_then(|s| s.update_strategy.as_ref());
    let strategy_type = strategy
        .and_then(|s| s.type_.clone())
        .unwrap_or_else(|| "RollingUpdate".into());
    let partition = count(strategy.and_then(|s| s.rolling_update.as_ref()?.partition));
    let update_revision = status.and_then(|s| s.update_revision.clone());
    let behind = replicas.updated < replicas.desired.saturating_sub(partition)
        || (partition == 0 && status.and_then(|s| s.current_revision.as_ref()) != update_revision.as_ref());
    let (phase, message) = pod_controller_phase(
        unobserved(&s.metadata, status.and_then(|s| s.observed_generation)),
        behind,
        &strategy_type,
    );
    Shape {
        containers: Cow::Borrowed(
            spec.and_then(|s| s.template.spec.as_ref())
                .map_or(&[], |p| &p.containers[..]),
        ),
        source_revision: spec
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| annotation(m, OCI_REVISION)),
        replicas,
        revision: update_revision.clone(),
        rollout: RolloutStatus {
            phase,
            message,
            since_ms: None,
            strategy: Some(strategy_type),
        },
        current: Current::PodLabel {
            key: "controller-revision-hash",
            value: update_revision,
        },
        argo_rollout: None,
    }
}

/// A StatefulSet's or DaemonSet's rollout state, as `kubectl rollout status` tells it: not yet
/// observed or pods behind is progressing, except that `OnDelete` waits for people to delete pods.
fn pod_controller_phase(unobserved: bool, behind: bool, strategy: &str) -> (RolloutPhase, Option<String>) {
    if unobserved {
        (RolloutPhase::Progressing, None)
    } else if behind && strategy == "OnDelete" {
        (
            RolloutPhase::Paused,
            Some("Waiting for its pods to be deleted (update strategy OnDelete).".to_string()),
        )
    } else if behind {
        (RolloutPhase::Progressing, None)
    } else {
        (RolloutPhase::Complete, None)
    }
}

fn daemon_set(d: &DaemonSet) -> Shape<'_> {
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let replicas = Replicas {
        desired: count(status.map(|s| s.desired_number_scheduled)),
        updated: count(status.and_then(|s| s.updated_number_scheduled)),
        ready: count(status.map(|s| s.number_ready)),
        available: count(status.and_then(|s| s.number_available)),
    };
    let strategy_type = spec
        .and_then(|s| s.update_strategy.as_ref()?.type_.clone())
        .unwrap_or_else(|| "RollingUpdate".into());
    let behind = replicas.updated < replicas.desired;
    let (phase, message) = pod_controller_phase(
        unobserved(&d.metadata, status.and_then(|s| s.observed_generation)),
        behind,
        &strategy_type,
    );
    Shape {
        containers: Cow::Borrowed(
            spec.and_then(|s| s.template.spec.as_ref())
                .map_or(&[], |p| &p.containers[..]),
        ),
        source_revision: spec
            .and_then(|s| s.template.metadata.as_ref())
            .and_then(|m| annotation(m, OCI_REVISION)),
        replicas,
        revision: d.metadata.generation.map(|g| g.to_string()),
        rollout: RolloutStatus {
            phase,
            message,
            since_ms: None,
            strategy: Some(strategy_type),
        },
        current: Current::Generation,
        argo_rollout: None,
    }
}

fn rollout(r: &DynamicObject) -> Shape<'_> {
    let spec = &r.data["spec"];
    let status = &r.data["status"];
    let number = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    let replicas = Replicas {
        desired: number(&spec["replicas"]).unwrap_or(1),
        updated: number(&status["updatedReplicas"]).unwrap_or(0),
        ready: number(&status["readyReplicas"]).unwrap_or(0),
        available: number(&status["availableReplicas"]).unwrap_or(0),
    };
    let argo = argo::rollout_status(r);
    let progressing = status["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Progressing"));
    let since_ms = progressing.and_then(|c| {
        let time = c["lastUpdateTime"].as_str().or(c["lastTransitionTime"].as_str())?;
        time.parse::<k8s_openapi::jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
    });
    let phase = if spec["paused"] == Value::Bool(true) {
        RolloutPhase::Paused
    } else {
        argo::rollout_phase(&argo.phase)
    };
    let message = argo
        .message
        .clone()
        .or_else(|| progressing?["message"].as_str().map(str::to_string));
    // Templates of Rollouts that point at a Deployment (`workloadRef`) are not known here.
    let containers =
        serde_json::from_value::<Vec<Container>>(spec["template"]["spec"]["containers"].clone()).unwrap_or_default();
    Shape {
        containers: Cow::Owned(containers),
        source_revision: spec["template"]["metadata"]["annotations"][OCI_REVISION]
            .as_str()
            .map(str::to_string),
        replicas,
        revision: annotation(&r.metadata, ROLLOUT_REVISION),
        rollout: RolloutStatus {
            phase,
            message,
            since_ms,
            strategy: Some(argo.strategy.clone()),
        },
        current: Current::ReplicaSet {
            annotation: ROLLOUT_REVISION,
            hash_label: "rollouts-pod-template-hash",
            hash: status["currentPodHash"].as_str().map(str::to_string),
        },
        argo_rollout: Some(argo),
    }
}
