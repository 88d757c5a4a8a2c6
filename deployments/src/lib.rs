//! Cairn's live deployments: Kubernetes clusters watched, their workloads mapped to catalog
//! entities, the problems found in them, the live views and their streams, the rollout history,
//! and the clusters and unclaimed workloads written back into the catalog.
//!
//! `model` is the view model (compiles to wasm, pages share it). With the `backend` feature:
//! - `kubernetes`: connecting to clusters and watching them (one reflector per type per cluster);
//! - `project`: a cluster's objects → workloads, mapped to entities by Backstage's annotations;
//! - `resources`: what pods hold and use on which nodes, with their entity, for cost allocation;
//! - `service`: `Deployments`, the running service: projections per burst, live streams (`updates`);
//! - `history` and `store`: the rollout history and every SQL statement of this crate;
//! - `entities`: clusters and discovered workloads as catalog documents.
//!
//! It depends on `catalog` (entities, its store's pool and write gate); `catalog` knows nothing of
//! Kubernetes.

pub mod model;

#[cfg(feature = "backend")]
pub mod entities;
#[cfg(feature = "backend")]
pub mod history;
#[cfg(feature = "backend")]
pub mod kubernetes;
#[cfg(feature = "backend")]
pub mod project;
#[cfg(feature = "backend")]
pub mod resources;
#[cfg(feature = "backend")]
mod service;
#[cfg(feature = "backend")]
pub mod store;
#[cfg(feature = "backend")]
pub mod updates;

#[cfg(feature = "backend")]
pub use kubernetes::{
    Access, Change, Cluster, ClusterChange, ClusterObjects, ClusterSettings, ClusterSource, KubernetesError, Measured,
    MetricsPolling, ObjectKey, Reachability, ResourceWatch, ServerTrust, Snapshot, Usage, UsageState, WatchTiming,
    Watchable, WatchedType,
};
#[cfg(feature = "backend")]
pub use service::{ClusterConfig, ClusterView, Deployments};
