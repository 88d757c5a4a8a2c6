//! The Deployments views' server functions: one entity's workloads, pods and rollout history, and
//! every workload across clusters. The server provides the backend (its cluster watches and the
//! recorded history); these functions only check that the person may read the catalog.

use deployments::model::{ClusterState, Workload};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use deployments::model::EntityDeployments;

/// Every workload across clusters, for the Deployments page: pods omitted, their counts and
/// problems kept (`replicas`, `problems`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentsOverview {
    /// Every configured cluster, with whether it is reachable.
    pub clusters: Vec<ClusterState>,
    /// Problems first (`deployments::model::sort_workloads`).
    pub workloads: Vec<Workload>,
}

/// What the server provides for these pages (as `Arc<dyn DeploymentsBackend>` in context, only
/// when clusters are configured). Errors are messages for people.
#[cfg(feature = "ssr")]
pub trait DeploymentsBackend: Send + Sync {
    /// The entity's workloads in every cluster and its rollout history; `None`: no such entity.
    fn entity_deployments<'a>(
        &'a self,
        entity_ref: &'a str,
    ) -> super::admin::BoxFuture<'a, Result<Option<EntityDeployments>, String>>;
    fn overview(&self) -> super::admin::BoxFuture<'_, Result<DeploymentsOverview, String>>;
}

#[cfg(feature = "ssr")]
fn backend() -> Result<std::sync::Arc<dyn DeploymentsBackend>, ServerFnError> {
    use_context::<std::sync::Arc<dyn DeploymentsBackend>>()
        .ok_or_else(|| ServerFnError::new("no Kubernetes clusters are configured here"))
}

/// `component:default/checkout-service` from the page's path parameters (refs are lower case).
pub fn entity_ref(kind: &str, namespace: &str, name: &str) -> String {
    format!("{kind}:{namespace}/{name}").to_lowercase()
}

/// One entity's Deployments tab. `None` when there is no such entity.
#[server(prefix = "/_server")]
pub async fn load_entity_deployments(
    kind: String,
    namespace: String,
    name: String,
) -> Result<Option<EntityDeployments>, ServerFnError> {
    super::access::require(access::Permission::CatalogRead, &[])?;
    backend()?
        .entity_deployments(&entity_ref(&kind, &namespace, &name))
        .await
        .map_err(ServerFnError::new)
}

/// The Deployments page: every workload across clusters.
#[server(prefix = "/_server")]
pub async fn load_deployments_overview() -> Result<DeploymentsOverview, ServerFnError> {
    super::access::require(access::Permission::CatalogRead, &[])?;
    backend()?.overview().await.map_err(ServerFnError::new)
}
