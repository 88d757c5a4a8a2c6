//! Argo CD `Application`s and Argo Rollouts `Rollout`s, watched through the dynamic API where their
//! CRDs exist: discovery is asked at start and every few minutes, and a group the cluster lacks
//! (most clusters) is no error, just nothing to watch.

use std::sync::{Arc, Weak};
use std::time::Duration;

use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

use super::Reachability;
use super::cluster::Inner;
use super::{ClusterChange, ResourceWatch, WatchedType};

const GROUP: &str = "argoproj.io";
const VERSION: &str = "v1alpha1";

/// The Argo watches running now.
#[derive(Default)]
pub(super) struct ArgoWatches {
    pub(super) applications: Option<Arc<ResourceWatch<DynamicObject>>>,
    pub(super) rollouts: Option<Arc<ResourceWatch<DynamicObject>>>,
}

/// Runs for the cluster's lifetime: every `interval`, and as soon as the cluster answers again
/// after a discovery that got no answer (a cluster down at start-up need not wait minutes).
pub(super) async fn discover_every(inner: Weak<Inner>, interval: Duration) {
    loop {
        let Some(cluster) = inner.upgrade() else { return };
        let answered = discover(&cluster).await;
        let mut reachability = cluster.reachability();
        drop(cluster);
        if answered {
            tokio::time::sleep(interval).await;
        } else {
            // Marked unreachable first (a watch or the probe noticed), then reachable again.
            let back = async {
                let _ = reachability
                    .wait_for(|r| matches!(r, Reachability::Unreachable { .. }))
                    .await;
                let _ = reachability.wait_for(|r| *r == Reachability::Reachable).await;
            };
            let _ = tokio::time::timeout(interval, back).await;
        }
    }
}

/// Starts the watch of each Argo type discovery lists, and stops those it no longer lists.
/// Whether discovery answered.
pub(super) async fn discover(inner: &Inner) -> bool {
    let listed: Option<Vec<String>> = match inner
        .client
        .list_api_group_resources(&format!("{GROUP}/{VERSION}"))
        .await
    {
        Ok(list) => Some(list.resources.into_iter().map(|r| r.name).collect()),
        Err(kube::Error::Api(status)) if status.code == 404 => Some(Vec::new()),
        // Unknown (the cluster is down, or discovery refused): keep what runs, ask again later.
        Err(error) => {
            tracing::debug!(cluster = inner.name(), %error, "kubernetes discovery failed");
            None
        }
    };
    let answered = listed.is_some();
    if let Some(listed) = listed {
        let changed = {
            let mut argo = inner.argo();
            let applications = update(inner, &mut argo.applications, &listed, "Application", "applications");
            let rollouts = update(inner, &mut argo.rollouts, &listed, "Rollout", "rollouts");
            applications | rollouts
        };
        if changed {
            let _ = inner.changes.send(ClusterChange::State);
        }
    }
    inner.discovered.send_replace(true);
    answered
}

/// Whether the slot changed.
fn update(
    inner: &Inner,
    slot: &mut Option<Arc<ResourceWatch<DynamicObject>>>,
    listed: &[String],
    kind: &str,
    plural: &str,
) -> bool {
    let present = listed.iter().any(|name| name == plural);
    match (present, slot.is_some()) {
        (true, false) => {
            let resource = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(GROUP, VERSION, kind), plural);
            let watched = if kind == "Application" {
                WatchedType::ArgoApplication
            } else {
                WatchedType::ArgoRollout
            };
            *slot = Some(Arc::new(ResourceWatch::start(
                Api::all_with(inner.client.clone(), &resource),
                resource,
                inner.watch_config(),
                inner.reporting(Some(watched)),
            )));
            true
        }
        (false, true) => {
            *slot = None;
            true
        }
        _ => false,
    }
}
