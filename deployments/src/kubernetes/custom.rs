//! Custom resources, watched through the dynamic API where their CRDs exist: Argo CD
//! `Application`s, Argo Rollouts `Rollout`s and Pyrra's `ServiceLevelObjective`s. Discovery is
//! asked at start and every few minutes, and a group the cluster lacks (most clusters) is no
//! error, just nothing to watch.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

use super::Reachability;
use super::cluster::Inner;
use super::{ClusterChange, ResourceWatch, WatchedType};

/// A custom type: its group, version, kind and plural, and what it is among the watched types.
struct CustomType {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    watched: WatchedType,
}

const TYPES: [CustomType; 3] = [
    CustomType {
        group: "argoproj.io",
        version: "v1alpha1",
        kind: "Application",
        plural: "applications",
        watched: WatchedType::ArgoApplication,
    },
    CustomType {
        group: "argoproj.io",
        version: "v1alpha1",
        kind: "Rollout",
        plural: "rollouts",
        watched: WatchedType::ArgoRollout,
    },
    CustomType {
        group: "pyrra.dev",
        version: "v1alpha1",
        kind: "ServiceLevelObjective",
        plural: "servicelevelobjectives",
        watched: WatchedType::PyrraSlo,
    },
];

/// The custom types' watches running now.
#[derive(Default)]
pub(super) struct CustomWatches {
    running: BTreeMap<WatchedType, Arc<ResourceWatch<DynamicObject>>>,
}

impl CustomWatches {
    pub(super) fn get(&self, watched: WatchedType) -> Option<Arc<ResourceWatch<DynamicObject>>> {
        self.running.get(&watched).cloned()
    }

    pub(super) fn all(&self) -> impl Iterator<Item = &Arc<ResourceWatch<DynamicObject>>> {
        self.running.values()
    }
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

/// Starts the watch of each custom type discovery lists, and stops those it no longer lists.
/// Whether discovery answered for every group.
pub(super) async fn discover(inner: &Inner) -> bool {
    let mut answered = true;
    let mut changed = false;
    let mut asked: Vec<&str> = Vec::new();
    for group in TYPES.iter().map(|t| t.group) {
        if asked.contains(&group) {
            continue;
        }
        asked.push(group);
        let types: Vec<&CustomType> = TYPES.iter().filter(|t| t.group == group).collect();
        let version = types[0].version;
        let listed: Option<Vec<String>> = match inner
            .client
            .list_api_group_resources(&format!("{group}/{version}"))
            .await
        {
            Ok(list) => Some(list.resources.into_iter().map(|r| r.name).collect()),
            Err(kube::Error::Api(status)) if status.code == 404 => Some(Vec::new()),
            // Unknown (the cluster is down, or discovery refused): keep what runs, ask again later.
            Err(error) => {
                tracing::debug!(cluster = inner.name(), group, %error, "kubernetes discovery failed");
                None
            }
        };
        let Some(listed) = listed else {
            answered = false;
            continue;
        };
        let mut custom = inner.custom();
        for custom_type in types {
            changed |= update(inner, &mut custom.running, &listed, custom_type);
        }
    }
    if changed {
        let _ = inner.changes.send(ClusterChange::State);
    }
    inner.discovered.send_replace(true);
    answered
}

/// Whether the type's watch started or stopped.
fn update(
    inner: &Inner,
    running: &mut BTreeMap<WatchedType, Arc<ResourceWatch<DynamicObject>>>,
    listed: &[String],
    custom: &CustomType,
) -> bool {
    let present = listed.iter().any(|name| name == custom.plural);
    match (present, running.contains_key(&custom.watched)) {
        (true, false) => {
            let gvk = GroupVersionKind::gvk(custom.group, custom.version, custom.kind);
            let resource = ApiResource::from_gvk_with_plural(&gvk, custom.plural);
            let watch = ResourceWatch::start(
                Api::all_with(inner.client.clone(), &resource),
                resource,
                inner.watch_config(),
                inner.reporting(Some(custom.watched)),
            );
            running.insert(custom.watched, Arc::new(watch));
            true
        }
        (false, true) => {
            running.remove(&custom.watched);
            true
        }
        _ => false,
    }
}
