//! One resource type of one cluster, watched: a reflector's store readers query, a broadcast of
//! what changed, and whether the service account may list the type at all.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch};

use super::health::{Health, Reachability};
use super::{ClusterChange, WatchedType};

/// How many changes a slow reader may fall behind before it is told to re-read everything.
const CHANGE_BUFFER: usize = 1024;

/// What the store need not keep: the server-side-apply bookkeeping and kubectl's copy of the last
/// applied manifest are often larger than the rest of the object and nothing here reads them.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A type a [`ResourceWatch`] can watch: a `k8s-openapi` type (`DynamicType = ()`) or
/// `DynamicObject` (`DynamicType = ApiResource`).
pub trait Watchable:
    Resource<DynamicType: Clone + Eq + Hash + Debug + Send + Sync + 'static>
    + Clone
    + DeserializeOwned
    + Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Watchable for K
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Clone + Eq + Hash + Debug + Send + Sync + 'static,
{
}

/// An object's place in its cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub namespace: Option<String>,
    pub name: String,
}

/// What a watch saw change; readers look the objects up in the store, already updated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Applied(ObjectKey),
    Deleted(ObjectKey),
    /// The type was listed again (first start, or a resume that came too late: `410 Gone`), so any
    /// object may have changed or gone.
    Relisted,
}

/// Whether the cluster lets the service account list this type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Not listed yet.
    Pending,
    Allowed,
    /// `403 Forbidden`; `message` says which type, for pages to show in place of its objects.
    Forbidden {
        message: String,
    },
}

/// The objects last known, and since when they may be out of date.
#[derive(Clone, Debug)]
pub struct Snapshot<K> {
    pub objects: Vec<Arc<K>>,
    /// Set while the cluster is unreachable: the objects are as they were then.
    pub stale_since: Option<DateTime<Utc>>,
}

/// A running watch; stops when dropped (the cluster holds the one shared copy).
pub struct ResourceWatch<K: Watchable> {
    store: Store<K>,
    changes: broadcast::Sender<Change>,
    access: watch::Receiver<Access>,
    /// Set once the first list has filled the store.
    listed: watch::Receiver<bool>,
    health: Health,
    type_name: String,
    task: tokio::task::JoinHandle<()>,
}

impl<K: Watchable> Drop for ResourceWatch<K> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Where a watch reports, besides its own readers: the cluster's merged stream.
pub(crate) struct Reporting {
    pub(crate) health: Health,
    pub(crate) cluster: Option<(WatchedType, broadcast::Sender<ClusterChange>)>,
}

impl<K: Watchable> ResourceWatch<K> {
    /// Starts watching what `api` reaches; needs a Tokio runtime.
    pub(crate) fn start(api: Api<K>, dyntype: K::DynamicType, config: watcher::Config, reporting: Reporting) -> Self {
        let writer = reflector::store::Writer::new(dyntype.clone());
        let store = writer.as_reader();
        let changes = broadcast::Sender::new(CHANGE_BUFFER);
        let (access_tx, access) = watch::channel(Access::Pending);
        let (listed_tx, listed) = watch::channel(false);
        let type_name = type_name::<K>(&dyntype);
        let health = reporting.health.clone();
        let task = tokio::spawn(run(
            Running {
                api,
                config,
                writer,
                changes: changes.clone(),
                access: access_tx,
                listed: listed_tx,
                type_name: type_name.clone(),
            },
            reporting,
        ));
        Self {
            store,
            changes,
            access,
            listed,
            health,
            type_name,
            task,
        }
    }

    /// The objects last known (all namespaces).
    pub fn snapshot(&self) -> Snapshot<K> {
        let stale_since = match self.health.current() {
            Reachability::Unreachable { since } => Some(since),
            _ => None,
        };
        Snapshot {
            objects: self.store.state(),
            stale_since,
        }
    }

    /// The store itself, for lookups by key or label selector.
    pub fn store(&self) -> &Store<K> {
        &self.store
    }

    /// Waits until the first list has filled the store, or the cluster refused to list the type.
    pub async fn ready(&self) {
        let mut access = self.access.clone();
        tokio::select! {
            // The writer lives as long as this watch's task, which lives as long as `self`.
            _ = self.store.wait_until_ready() => {}
            _ = access.wait_for(|a| matches!(a, Access::Forbidden { .. })) => {}
        }
    }

    /// Whether the store holds a complete list (once listed, it stays so through relists), or
    /// the type may not be listed at all: either way, what it holds is all there is to know.
    pub fn settled(&self) -> bool {
        *self.listed.borrow() || matches!(*self.access.borrow(), Access::Forbidden { .. })
    }

    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    pub fn access(&self) -> watch::Receiver<Access> {
        self.access.clone()
    }

    /// `deployments.apps`, `pods`, `rollouts.argoproj.io`: the name RBAC rules and kubectl use.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }
}

struct Running<K: Watchable> {
    api: Api<K>,
    config: watcher::Config,
    writer: reflector::store::Writer<K>,
    changes: broadcast::Sender<Change>,
    access: watch::Sender<Access>,
    listed: watch::Sender<bool>,
    type_name: String,
}

async fn run<K: Watchable>(running: Running<K>, reporting: Reporting) {
    let Running {
        api,
        config,
        writer,
        changes,
        access,
        listed,
        type_name,
    } = running;
    let stream = watcher(api, config).default_backoff().modify(|object| {
        object.managed_fields_mut().clear();
        object.annotations_mut().remove(LAST_APPLIED);
    });
    let events = reflector::reflector(writer, stream);
    let mut events = std::pin::pin!(events);
    let tell_cluster = |change: ClusterChange| {
        if let Some((_, cluster)) = &reporting.cluster {
            let _ = cluster.send(change);
        }
    };
    while let Some(event) = events.next().await {
        let access_before = access.borrow().clone();
        match event {
            // `Init` comes before the list is even asked for: no sign the cluster answered.
            Ok(watcher::Event::Init) => {}
            Ok(event) => {
                reporting.health.reached();
                access.send_if_modified(|now| std::mem::replace(now, Access::Allowed) != Access::Allowed);
                if matches!(event, watcher::Event::InitDone) {
                    listed.send_replace(true);
                }
                if let Some(change) = change_of(&event) {
                    if let Some((resource, _)) = reporting.cluster.as_ref().filter(|(r, _)| r.feeds_views()) {
                        tell_cluster(ClusterChange::Objects {
                            resource: *resource,
                            change: change.clone(),
                        });
                    }
                    let _ = changes.send(change);
                }
            }
            Err(error) => report(&error, &type_name, &access, &reporting.health),
        }
        if *access.borrow() != access_before {
            tell_cluster(ClusterChange::State);
        }
    }
}

fn change_of<K: Resource>(event: &watcher::Event<K>) -> Option<Change> {
    match event {
        watcher::Event::Apply(object) => Some(Change::Applied(key_of(object))),
        watcher::Event::Delete(object) => Some(Change::Deleted(key_of(object))),
        watcher::Event::InitDone => Some(Change::Relisted),
        watcher::Event::Init | watcher::Event::InitApply(_) => None,
    }
}

fn key_of<K: Resource>(object: &K) -> ObjectKey {
    ObjectKey {
        namespace: object.namespace(),
        name: object.name_any(),
    }
}

/// Sorts a watcher error into what readers are told. The watcher retries on its own (with backoff).
fn report(error: &watcher::Error, type_name: &str, access: &watch::Sender<Access>, health: &Health) {
    use kube::Error as Client;
    match error {
        watcher::Error::InitialListFailed(Client::Api(status))
        | watcher::Error::WatchStartFailed(Client::Api(status))
            if status.is_forbidden() =>
        {
            health.reached();
            let message = format!(
                "The service account may not list {type_name} in this cluster ({})",
                status.message
            );
            access.send_if_modified(|now| {
                let forbidden = Access::Forbidden { message };
                std::mem::replace(now, forbidden.clone()) != forbidden
            });
        }
        // The server answered, with something other than the objects.
        watcher::Error::InitialListFailed(Client::Api(_)) | watcher::Error::WatchStartFailed(Client::Api(_)) => {
            health.reached();
            tracing::warn!(resource = type_name, %error, "kubernetes watch refused");
        }
        // No answer when asking afresh: the cluster is down (or the network to it).
        watcher::Error::InitialListFailed(_) | watcher::Error::WatchStartFailed(_) => {
            tracing::debug!(resource = type_name, %error, "kubernetes cluster unreachable");
            health.lost();
        }
        // A broken stream or a `410 Gone` is resumed or relisted by the watcher, and says nothing
        // about the cluster until the next request.
        watcher::Error::WatchFailed(_) | watcher::Error::WatchError(_) | watcher::Error::NoResourceVersion => {
            tracing::debug!(resource = type_name, %error, "kubernetes watch interrupted");
        }
    }
}

/// `deployments.apps`, `pods`: the name RBAC rules and kubectl use.
fn type_name<K: Resource>(dyntype: &K::DynamicType) -> String {
    let group = K::group(dyntype);
    if group.is_empty() {
        K::plural(dyntype).into_owned()
    } else {
        format!("{}.{}", K::plural(dyntype), group)
    }
}
