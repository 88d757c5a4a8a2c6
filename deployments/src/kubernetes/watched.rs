//! The resource types a cluster is watched for, and what its merged change stream says.

use super::Change;

/// Every type a [`super::Cluster`] watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WatchedType {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Pod,
    Service,
    Ingress,
    HorizontalPodAutoscaler,
    /// Warning events only.
    Event,
    /// Argo CD `Application`, where its CRD exists.
    ArgoApplication,
    /// Argo Rollouts `Rollout`, where its CRD exists.
    ArgoRollout,
    /// Pyrra's `ServiceLevelObjective`, where its CRD exists: SLOs defined in the cluster.
    PyrraSlo,
    /// Nodes, PersistentVolumeClaims and PersistentVolumes: what cost allocation prices.
    Node,
    PersistentVolumeClaim,
    PersistentVolume,
}

impl WatchedType {
    /// `deployments.apps`, `pods`: as RBAC and kubectl name the type.
    pub fn name(self) -> &'static str {
        match self {
            Self::Deployment => "deployments.apps",
            Self::StatefulSet => "statefulsets.apps",
            Self::DaemonSet => "daemonsets.apps",
            Self::ReplicaSet => "replicasets.apps",
            Self::Pod => "pods",
            Self::Service => "services",
            Self::Ingress => "ingresses.networking.k8s.io",
            Self::HorizontalPodAutoscaler => "horizontalpodautoscalers.autoscaling",
            Self::Event => "events",
            Self::ArgoApplication => "applications.argoproj.io",
            Self::ArgoRollout => "rollouts.argoproj.io",
            Self::PyrraSlo => "servicelevelobjectives.pyrra.dev",
            Self::Node => "nodes",
            Self::PersistentVolumeClaim => "persistentvolumeclaims",
            Self::PersistentVolume => "persistentvolumes",
        }
    }

    /// Whether its objects change the Deployments views. SLOs do not (the SLO collection reads
    /// them), nor do nodes, claims and volumes: a
    /// node's status alone changes every few minutes on every node, and projecting the whole
    /// cluster again for each would be waste, so their changes stay off the merged stream
    /// (their access still reaches it, as `State`).
    pub fn feeds_views(self) -> bool {
        !matches!(
            self,
            Self::Node | Self::PersistentVolumeClaim | Self::PersistentVolume | Self::PyrraSlo
        )
    }

    /// The watched type of that RBAC name, if it is one.
    pub fn named(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|t| t.name() == name)
    }
}

const ALL: [WatchedType; 15] = [
    WatchedType::Deployment,
    WatchedType::StatefulSet,
    WatchedType::DaemonSet,
    WatchedType::ReplicaSet,
    WatchedType::Pod,
    WatchedType::Service,
    WatchedType::Ingress,
    WatchedType::HorizontalPodAutoscaler,
    WatchedType::Event,
    WatchedType::ArgoApplication,
    WatchedType::ArgoRollout,
    WatchedType::PyrraSlo,
    WatchedType::Node,
    WatchedType::PersistentVolumeClaim,
    WatchedType::PersistentVolume,
];

/// What changed in a cluster, on [`super::Cluster::changes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterChange {
    /// Objects of one type: one applied or deleted, or all relisted. Already in `objects()`.
    Objects { resource: WatchedType, change: Change },
    /// Reachability, a type's access, or which Argo types exist changed: `state()` and
    /// `objects()` may differ.
    State,
}
