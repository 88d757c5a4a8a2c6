//! The resource types the server knows, as discovery names them.

/// A resource type the server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    /// Defined by a CustomResourceDefinition (or served by an aggregated API such as
    /// metrics-server): a test may remove it, and its group with it.
    pub custom: bool,
    /// Objects live in a namespace (`false`: Nodes, PersistentVolumes, NodeMetrics).
    pub namespaced: bool,
}

const fn builtin(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
) -> ResourceType {
    ResourceType {
        group,
        version,
        plural,
        singular,
        kind,
        custom: false,
        namespaced: true,
    }
}

/// A type without namespaces (`/api/v1/nodes`).
const fn cluster_scoped(plural: &'static str, singular: &'static str, kind: &'static str) -> ResourceType {
    ResourceType {
        namespaced: false,
        ..builtin("", "v1", plural, singular, kind)
    }
}

/// metrics-server's `metrics.k8s.io/v1beta1`: an aggregated API a cluster may lack (a test
/// removes it as a custom type), listed and read but never watched.
const fn metrics(plural: &'static str, kind: &'static str, namespaced: bool) -> ResourceType {
    ResourceType {
        group: METRICS_GROUP,
        version: "v1beta1",
        plural,
        singular: "",
        kind,
        custom: true,
        namespaced,
    }
}

/// The metrics API's group.
pub const METRICS_GROUP: &str = "metrics.k8s.io";

const fn custom(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
) -> ResourceType {
    ResourceType {
        group,
        version,
        plural,
        singular,
        kind,
        custom: true,
        namespaced: true,
    }
}

/// Every type answers list, and watch unless it is a metrics type.
pub const TYPES: &[ResourceType] = &[
    builtin("", "v1", "pods", "pod", "Pod"),
    cluster_scoped("nodes", "node", "Node"),
    builtin(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
    ),
    cluster_scoped("persistentvolumes", "persistentvolume", "PersistentVolume"),
    builtin("", "v1", "services", "service", "Service"),
    builtin("", "v1", "events", "event", "Event"),
    builtin("apps", "v1", "deployments", "deployment", "Deployment"),
    builtin("apps", "v1", "replicasets", "replicaset", "ReplicaSet"),
    builtin("apps", "v1", "statefulsets", "statefulset", "StatefulSet"),
    builtin("apps", "v1", "daemonsets", "daemonset", "DaemonSet"),
    builtin("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress"),
    builtin(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
    ),
    custom("argoproj.io", "v1alpha1", "applications", "application", "Application"),
    custom("argoproj.io", "v1alpha1", "rollouts", "rollout", "Rollout"),
    custom(
        "pyrra.dev",
        "v1alpha1",
        "servicelevelobjectives",
        "servicelevelobjective",
        "ServiceLevelObjective",
    ),
    metrics("pods", "PodMetrics", true),
    metrics("nodes", "NodeMetrics", false),
];

impl ResourceType {
    /// A metrics type: its objects are measurements, listed but not watched.
    pub fn is_metrics(&self) -> bool {
        self.group == METRICS_GROUP
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.into()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, `pods`: as RBAC and the counters name it.
    pub fn name(&self) -> String {
        if self.group.is_empty() {
            self.plural.into()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn by_kind(api_version: &str, kind: &str) -> Option<Self> {
        TYPES
            .iter()
            .copied()
            .find(|t| t.api_version() == api_version && t.kind == kind)
    }

    pub fn by_path(group: &str, version: &str, plural: &str) -> Option<Self> {
        TYPES
            .iter()
            .copied()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    pub fn by_name(name: &str) -> Option<Self> {
        TYPES.iter().copied().find(|t| t.name() == name)
    }
}
