//! A configured cluster: its client, its reachability, and the one shared watch per resource type:
//! the full set of [`WatchedType`]s starts at connect, Argo's only where discovery finds its CRD.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, PersistentVolume, PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::DynamicObject;
use kube::runtime::watcher;
use tokio::sync::{broadcast, watch};

use super::custom::{self, CustomWatches};
use super::health::{Health, Reachability};
use super::resource_watch::{Reporting, Watchable};
use super::usage::{self, MetricsPolling, Usage};
use super::{Access, ClusterChange, ClusterObjects, ClusterSettings, KubernetesError, ResourceWatch, WatchedType};
use crate::model::{self, ClusterState, ForbiddenType};

/// How many changes a slow reader of [`Cluster::changes`] may fall behind before it must re-read.
const CHANGE_BUFFER: usize = 4096;

/// Objects per list page when a type is (re)listed: client-go's default. A relist of 10 000 pods
/// then holds one page of JSON at a time beside the store, and no single response can grow
/// without bound; the store itself holds every object the service account may list, stripped of
/// managed fields and kubectl's last-applied copy (`resource_watch`).
const LIST_PAGE_SIZE: u32 = 500;

/// How a cluster's watches are timed.
#[derive(Clone, Copy, Debug)]
pub struct WatchTiming {
    /// How long each watch request lasts before it is renewed (the API server's `timeoutSeconds`).
    /// A watch connection that went silent is noticed after this plus kube's 5 s margin, and the
    /// client's read timeout (twice this) catches any other silent response.
    pub watch_timeout: Duration,
    /// How often discovery is asked again whether Argo's CRDs exist.
    pub discovery_interval: Duration,
    /// How the metrics API is polled for usage; `None`: it is not (usage stays unknown).
    pub metrics: Option<MetricsPolling>,
}

impl Default for WatchTiming {
    /// A dead connection noticed within 30 s, well under kube's default of about five minutes.
    fn default() -> Self {
        Self {
            watch_timeout: Duration::from_secs(25),
            discovery_interval: Duration::from_secs(180),
            metrics: None,
        }
    }
}

/// Watches stop when the cluster is dropped.
pub struct Cluster {
    inner: Arc<Inner>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

pub(super) struct Inner {
    name: String,
    pub(super) client: kube::Client,
    health: Health,
    config: watcher::Config,
    pub(super) changes: broadcast::Sender<ClusterChange>,
    typed: Mutex<HashMap<TypeId, Started>>,
    pub(super) custom: Mutex<CustomWatches>,
    /// Set once the first discovery has answered (or failed).
    pub(super) discovered: watch::Sender<bool>,
    /// The last poll of the metrics API.
    pub(super) usage: watch::Sender<Arc<Usage>>,
}

/// A started typed watch, for its readers (`any`, downcast by type) and for the cluster (`erased`).
struct Started {
    any: Arc<dyn Any + Send + Sync>,
    erased: Arc<dyn Erased>,
}

/// What the cluster asks of every watch, whatever its type.
pub(super) trait Erased: Send + Sync {
    fn ready(&self) -> BoxFuture<'_, ()>;
    fn current_access(&self) -> Access;
    fn name(&self) -> String;
}

impl<K: Watchable> Erased for ResourceWatch<K> {
    fn ready(&self) -> BoxFuture<'_, ()> {
        Box::pin(ResourceWatch::ready(self))
    }

    fn current_access(&self) -> Access {
        self.access().borrow().clone()
    }

    fn name(&self) -> String {
        self.type_name().to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Cluster {
    /// Sets up the client and starts every watch and Argo's discovery; needs a Tokio runtime.
    /// A cluster that is down is no error here (it shows as unreachable); bad settings are.
    pub fn connect(settings: &ClusterSettings) -> Result<Self, KubernetesError> {
        Self::connect_with(settings, WatchTiming::default())
    }

    pub fn connect_with(settings: &ClusterSettings, timing: WatchTiming) -> Result<Self, KubernetesError> {
        let client = settings.client_with(Some(timing.watch_timeout * 2))?;
        let health = Health::new();
        let config = watcher::Config::default()
            .timeout(u32::try_from(timing.watch_timeout.as_secs().max(1)).unwrap_or(u32::MAX))
            .page_size(LIST_PAGE_SIZE);
        let inner = Arc::new(Inner {
            name: settings.name.clone(),
            client: client.clone(),
            health: health.clone(),
            config,
            changes: broadcast::Sender::new(CHANGE_BUFFER),
            typed: Mutex::default(),
            custom: Mutex::default(),
            discovered: watch::Sender::new(false),
            usage: watch::Sender::new(Arc::default()),
        });
        let mut tasks = vec![
            tokio::spawn(health.clone().probe_while_down(client)),
            tokio::spawn(forward_reachability(health.subscribe(), inner.changes.clone())),
            tokio::spawn(custom::discover_every(
                Arc::downgrade(&inner),
                timing.discovery_interval,
            )),
        ];
        if let Some(polling) = timing.metrics {
            tasks.push(tokio::spawn(usage::poll_every(Arc::downgrade(&inner), polling)));
        }
        let cluster = Self { inner, tasks };
        cluster.watch::<Deployment>();
        cluster.watch::<StatefulSet>();
        cluster.watch::<DaemonSet>();
        cluster.watch::<ReplicaSet>();
        cluster.watch::<Pod>();
        cluster.watch::<Service>();
        cluster.watch::<Ingress>();
        cluster.watch::<HorizontalPodAutoscaler>();
        cluster.watch::<Event>();
        cluster.watch::<Node>();
        cluster.watch::<PersistentVolumeClaim>();
        cluster.watch::<PersistentVolume>();
        Ok(cluster)
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn reachability(&self) -> watch::Receiver<Reachability> {
        self.inner.health.subscribe()
    }

    /// The cluster's watch of `K`, started by the first caller and shared by all the others.
    /// `Event`s are warnings only (`type=Warning`).
    pub fn watch<K: Watchable<DynamicType = ()>>(&self) -> Arc<ResourceWatch<K>> {
        self.inner.watch::<K>()
    }

    /// Argo CD `Application`s, while discovery shows their CRD.
    pub fn argo_applications(&self) -> Option<Arc<ResourceWatch<DynamicObject>>> {
        self.inner.custom().get(WatchedType::ArgoApplication)
    }

    /// Argo Rollouts `Rollout`s, while discovery shows their CRD.
    pub fn argo_rollouts(&self) -> Option<Arc<ResourceWatch<DynamicObject>>> {
        self.inner.custom().get(WatchedType::ArgoRollout)
    }

    /// Pyrra's `ServiceLevelObjective`s as last known, while discovery shows their CRD (empty
    /// otherwise).
    pub fn pyrra_slos(&self) -> Vec<Arc<DynamicObject>> {
        self.inner
            .custom()
            .get(WatchedType::PyrraSlo)
            .map(|w| w.snapshot().objects)
            .unwrap_or_default()
    }

    /// Every watched object as last known.
    pub fn objects(&self) -> ClusterObjects {
        let inner = &self.inner;
        let dynamic =
            |w: Option<Arc<ResourceWatch<DynamicObject>>>| w.map(|w| w.snapshot().objects).unwrap_or_default();
        ClusterObjects {
            cluster: inner.name.clone(),
            stale_since_ms: stale_since_ms(&inner.health.current()),
            deployments: inner.watch::<Deployment>().snapshot().objects,
            stateful_sets: inner.watch::<StatefulSet>().snapshot().objects,
            daemon_sets: inner.watch::<DaemonSet>().snapshot().objects,
            replica_sets: inner.watch::<ReplicaSet>().snapshot().objects,
            pods: inner.watch::<Pod>().snapshot().objects,
            services: inner.watch::<Service>().snapshot().objects,
            ingresses: inner.watch::<Ingress>().snapshot().objects,
            autoscalers: inner.watch::<HorizontalPodAutoscaler>().snapshot().objects,
            events: inner.watch::<Event>().snapshot().objects,
            argo_applications: dynamic(self.argo_applications()),
            argo_rollouts: dynamic(self.argo_rollouts()),
            nodes: inner.watch::<Node>().snapshot().objects,
            claims: inner.watch::<PersistentVolumeClaim>().snapshot().objects,
            volumes: inner.watch::<PersistentVolume>().snapshot().objects,
        }
    }

    /// What pods and nodes used at the last poll of the metrics API, or why that is unknown.
    pub fn usage(&self) -> Arc<Usage> {
        Arc::clone(&self.inner.usage.borrow())
    }

    /// Whether what cost allocation reads (nodes, pods, claims, volumes) has been listed in full
    /// (or may not be listed): before that, a cluster's objects are only part of it.
    pub fn resources_settled(&self) -> bool {
        let inner = &self.inner;
        inner.watch::<Node>().settled()
            && inner.watch::<Pod>().settled()
            && inner.watch::<PersistentVolumeClaim>().settled()
            && inner.watch::<PersistentVolume>().settled()
    }

    /// Every change of every watched type, and of the cluster's state, in one stream.
    pub fn changes(&self) -> broadcast::Receiver<ClusterChange> {
        self.inner.changes.subscribe()
    }

    /// Reachability and the types the service account may not list, as the views show them.
    pub fn state(&self) -> ClusterState {
        let reachability = match self.inner.health.current() {
            Reachability::Connecting => model::Reachability::Connecting,
            Reachability::Reachable => model::Reachability::Reachable,
            Reachability::Unreachable { since } => model::Reachability::Unreachable {
                since_ms: since.timestamp_millis(),
            },
        };
        let forbidden = self
            .inner
            .all_started()
            .iter()
            .filter_map(|watch| match watch.current_access() {
                Access::Forbidden { message } => Some(ForbiddenType {
                    resource: watch.name(),
                    message,
                }),
                _ => None,
            })
            .collect();
        ClusterState {
            name: self.inner.name.clone(),
            reachability,
            forbidden,
        }
    }

    /// Waits until discovery has answered once and every started watch has had its first list
    /// (or was refused). Never returns while the cluster is down: callers bound it.
    pub async fn ready(&self) {
        let mut discovered = self.inner.discovered.subscribe();
        // The sender lives in `inner`, which `self` holds.
        let _ = discovered.wait_for(|done| *done).await;
        let watches = self.inner.all_started();
        futures::future::join_all(watches.iter().map(|w| w.ready())).await;
    }

    /// Asks discovery now whether the custom types' CRDs (Argo's, Pyrra's) exist, starting or stopping their watches (the
    /// cluster also does it every `WatchTiming::discovery_interval`).
    pub async fn discover(&self) {
        custom::discover(&self.inner).await;
    }
}

impl Inner {
    fn watch<K: Watchable<DynamicType = ()>>(&self) -> Arc<ResourceWatch<K>> {
        let mut typed = self.typed.lock().unwrap_or_else(PoisonError::into_inner);
        let started = typed.entry(TypeId::of::<K>()).or_insert_with(|| {
            let resource = WatchedType::named(&type_name::<K>());
            let mut config = self.config.clone();
            if resource == Some(WatchedType::Event) {
                config = config.fields("type=Warning");
            }
            let watch = Arc::new(ResourceWatch::<K>::start(
                Api::all(self.client.clone()),
                (),
                config,
                self.reporting(resource),
            ));
            Started {
                any: watch.clone(),
                erased: watch,
            }
        });
        Arc::clone(&started.any)
            .downcast()
            .unwrap_or_else(|_| unreachable!("watches are keyed by their own type"))
    }

    pub(super) fn reporting(&self, resource: Option<WatchedType>) -> Reporting {
        Reporting {
            health: self.health.clone(),
            cluster: resource.map(|r| (r, self.changes.clone())),
        }
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn reachability(&self) -> watch::Receiver<Reachability> {
        self.health.subscribe()
    }

    pub(super) fn watch_config(&self) -> watcher::Config {
        self.config.clone()
    }

    pub(super) fn custom(&self) -> std::sync::MutexGuard<'_, CustomWatches> {
        self.custom.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn all_started(&self) -> Vec<Arc<dyn Erased>> {
        let mut all: Vec<Arc<dyn Erased>> = self
            .typed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|s| Arc::clone(&s.erased))
            .collect();
        for watch in self.custom().all() {
            all.push(Arc::clone(watch) as Arc<dyn Erased>);
        }
        all
    }
}

fn type_name<K: kube::Resource<DynamicType = ()>>() -> String {
    let (group, plural) = (K::group(&()), K::plural(&()));
    if group.is_empty() {
        plural.into_owned()
    } else {
        format!("{plural}.{group}")
    }
}

fn stale_since_ms(reachability: &Reachability) -> Option<i64> {
    match reachability {
        Reachability::Unreachable { since } => Some(since.timestamp_millis()),
        _ => None,
    }
}

/// Tells readers of the merged stream when the cluster comes or goes.
async fn forward_reachability(
    mut reachability: watch::Receiver<Reachability>,
    changes: broadcast::Sender<ClusterChange>,
) {
    while reachability.changed().await.is_ok() {
        let _ = changes.send(ClusterChange::State);
    }
}
