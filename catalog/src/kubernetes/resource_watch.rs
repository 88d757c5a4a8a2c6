//! One resource type of one cluster, watched: a reflector's store readers query, a broadcast of
//! what changed, and whether the service account may list the type at all.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch};

use super::health::{Health, Reachability};

/// How many changes a slow reader may fall behind before it is told to re-read everything.
const CHANGE_BUFFER: usize = 1024;

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
pub struct ResourceWatch<K: Resource<DynamicType = ()> + 'static> {
    store: Store<K>,
    changes: broadcast::Sender<Change>,
    access: watch::Receiver<Access>,
    health: Health,
    task: tokio::task::JoinHandle<()>,
}

impl<K: Resource<DynamicType = ()> + 'static> Drop for ResourceWatch<K> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<K> ResourceWatch<K>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    /// Starts watching every namespace; needs a Tokio runtime.
    pub(crate) fn start(client: kube::Client, health: Health) -> Self {
        let (store, writer) = reflector::store();
        let changes = broadcast::Sender::new(CHANGE_BUFFER);
        let (access_tx, access) = watch::channel(Access::Pending);
        let task = tokio::spawn(run(
            Api::all(client),
            writer,
            changes.clone(),
            access_tx,
            health.clone(),
        ));
        Self {
            store,
            changes,
            access,
            health,
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

    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    pub fn access(&self) -> watch::Receiver<Access> {
        self.access.clone()
    }
}

async fn run<K>(
    api: Api<K>,
    writer: reflector::store::Writer<K>,
    changes: broadcast::Sender<Change>,
    access: watch::Sender<Access>,
    health: Health,
) where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let events = reflector::reflector(writer, watcher(api, watcher::Config::default()).default_backoff());
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        match event {
            // `Init` comes before the list is even asked for: no sign the cluster answered.
            Ok(watcher::Event::Init) => {}
            Ok(event) => {
                health.reached();
                access.send_if_modified(|now| std::mem::replace(now, Access::Allowed) != Access::Allowed);
                if let Some(change) = change_of(&event) {
                    let _ = changes.send(change);
                }
            }
            Err(error) => report::<K>(&error, &access, &health),
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
fn report<K: Resource<DynamicType = ()>>(error: &watcher::Error, access: &watch::Sender<Access>, health: &Health) {
    use kube::Error as Client;
    match error {
        watcher::Error::InitialListFailed(Client::Api(status))
        | watcher::Error::WatchStartFailed(Client::Api(status))
            if status.is_forbidden() =>
        {
            health.reached();
            let message = format!(
                "The service account may not list {} in this cluster ({})",
                type_name::<K>(),
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
            tracing::warn!(resource = type_name::<K>(), %error, "kubernetes watch refused");
        }
        // No answer when asking afresh: the cluster is down (or the network to it).
        watcher::Error::InitialListFailed(_) | watcher::Error::WatchStartFailed(_) => {
            tracing::debug!(resource = type_name::<K>(), %error, "kubernetes cluster unreachable");
            health.lost();
        }
        // A broken stream or a `410 Gone` is resumed or relisted by the watcher, and says nothing
        // about the cluster until the next request.
        watcher::Error::WatchFailed(_) | watcher::Error::WatchError(_) | watcher::Error::NoResourceVersion => {
            tracing::debug!(resource = type_name::<K>(), %error, "kubernetes watch interrupted");
        }
    }
}

/// `deployments.apps`, `pods`: the name RBAC rules and kubectl use.
fn type_name<K: Resource<DynamicType = ()>>() -> String {
    let group = K::group(&());
    if group.is_empty() {
        K::plural(&()).into_owned()
    } else {
        format!("{}.{}", K::plural(&()), group)
    }
}
