//! Kubernetes clusters watched live: one shared reflector per resource type per cluster, whether
//! the cluster answers, and which resource types its service account may not list.

mod cluster;
mod connect;
mod health;
pub mod history;
mod objects;
pub mod project;
mod resource_watch;

pub use cluster::Cluster;
pub use connect::{ClusterSettings, ServerTrust};
pub use health::Reachability;
pub use objects::ClusterObjects;
pub use resource_watch::{Access, Change, ObjectKey, ResourceWatch, Snapshot};

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
    #[error("cluster {cluster}: cannot build the client: {source}")]
    Client {
        cluster: String,
        #[source]
        source: kube::Error,
    },
}
