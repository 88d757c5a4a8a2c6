//! Connecting to Kubernetes clusters and watching them live: one shared reflector per resource
//! type per cluster (Argo's through the dynamic API where their CRDs exist), whether the cluster
//! answers, which resource types its service account may not list, and what pods use (polled
//! from the metrics API, `usage`).

mod cluster;
mod connect;
mod custom;
mod health;
mod kubeconfig;
mod objects;
pub mod quantity;
mod resource_watch;
mod usage;
mod watched;

pub use cluster::{Cluster, WatchTiming};
pub use connect::{ClusterSettings, ClusterSource, ServerTrust};
pub use health::Reachability;
pub use objects::ClusterObjects;
pub use resource_watch::{Access, Change, ObjectKey, ResourceWatch, Snapshot, Watchable};
pub use usage::{Measured, MetricsPolling, Usage, UsageState};
pub use watched::{ClusterChange, WatchedType};

/// Why a cluster could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum KubernetesError {
    #[error("cluster {cluster}: invalid API URL {url:?}: {reason}")]
    InvalidUrl {
        cluster: String,
        url: String,
        reason: String,
    },
    #[error("cluster {cluster}: {reason}")]
    InvalidTrust { cluster: String, reason: String },
    #[error("cluster {cluster}: kubeconfig {path}: {reason}")]
    Kubeconfig {
        cluster: String,
        path: String,
        reason: String,
    },
    #[error("cluster {cluster}: not running in a Kubernetes pod with a service account: {reason}")]
    InCluster { cluster: String, reason: String },
    #[error("cluster {cluster}: cannot build the client: {source}")]
    Client {
        cluster: String,
        #[source]
        source: kube::Error,
    },
}
