//! A local stand-in for a Kubernetes API server, as the `kube` client and its watchers use it:
//! lists with `resourceVersion` (cluster-wide or per namespace, label selectors), watch streams
//! of newline-delimited `ADDED`/`MODIFIED`/`DELETED`/`BOOKMARK` events resumed from a
//! `resourceVersion`, `410 Gone` for a compacted one, `403 Forbidden` for types a test forbids,
//! `GET /version`. Objects come from real manifests under `tests/fixtures/kubernetes/`; tests change
//! them (events reach open watches), end watches, drop every connection, or take the server down.
//! Like etcd, one revision counter covers every type. Requests are answered in `kube_api/requests.rs`.
//! Self-contained (axum, hyper, tokio, serde_json).
#![allow(dead_code)]

#[path = "kube_api/requests.rs"]
mod requests;
#[path = "kube_api/selector.rs"]
mod selector;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use requests::{accept_loop, event_line, handle};
use selector::selected;

/// A resource type the server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
}

pub const TYPES: &[ResourceType] = &[
    ResourceType {
        group: "",
        version: "v1",
        plural: "pods",
        kind: "Pod",
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "services",
        kind: "Service",
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "events",
        kind: "Event",
    },
    ResourceType {
        group: "apps",
        version: "v1",
        plural: "deployments",
        kind: "Deployment",
    },
    ResourceType {
        group: "apps",
        version: "v1",
        plural: "replicasets",
        kind: "ReplicaSet",
    },
    ResourceType {
        group: "apps",
        version: "v1",
        plural: "statefulsets",
        kind: "StatefulSet",
    },
    ResourceType {
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        kind: "DaemonSet",
    },
];

impl ResourceType {
    fn api_version(&self) -> String {
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

    fn by_kind(api_version: &str, kind: &str) -> Option<Self> {
        TYPES
            .iter()
            .copied()
            .find(|t| t.api_version() == api_version && t.kind == kind)
    }

    fn by_path(group: &str, version: &str, plural: &str) -> Option<Self> {
        TYPES
            .iter()
            .copied()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    fn by_name(name: &str) -> Self {
        TYPES
            .iter()
            .copied()
            .find(|t| t.name() == name)
            .unwrap_or_else(|| panic!("unknown resource type {name}"))
    }
}

/// `(type name, namespace, name)`.
type ObjectId = (String, String, String);

struct Change {
    revision: u64,
    kind: ResourceType,
    event: &'static str,
    object: Value,
}

struct OpenWatch {
    kind: ResourceType,
    namespace: Option<String>,
    selector: Option<String>,
    bookmarks: bool,
    lines: mpsc::UnboundedSender<Bytes>,
}

/// Everything the server knows; tests read the counters through [`KubeApi::state`].
#[derive(Default)]
pub struct State {
    /// The token every request must bear; `None` lets anyone in.
    pub token: Option<String>,
    revision: u64,
    /// Watches from an older `resourceVersion` get `410 Gone`: their history is gone.
    compacted: u64,
    objects: BTreeMap<ObjectId, Value>,
    history: Vec<Change>,
    watches: Vec<OpenWatch>,
    connections: Vec<tokio::task::AbortHandle>,
    /// Type names (`deployments.apps`) the service account may neither list nor watch.
    pub forbidden: BTreeSet<String>,
    /// While set, connections are closed as soon as the request line is read.
    pub down: bool,
    /// Requests per path (without the query) that met a closed connection instead of an answer.
    pub refused: HashMap<String, usize>,
    /// Requests per type name.
    pub lists: HashMap<String, usize>,
    pub watch_requests: HashMap<String, usize>,
    /// `410 Gone` answers given.
    pub gone: usize,
    uids: u64,
}

/// A running server; stops accepting when dropped.
pub struct KubeApi {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<Mutex<State>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for KubeApi {
    fn drop(&mut self) {
        self.accept.abort();
        for connection in self.state().connections.drain(..) {
            connection.abort();
        }
    }
}

impl KubeApi {
    /// An empty cluster.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let accept = tokio::spawn(accept_loop(listener, app, state.clone()));
        Self { url, state, accept }
    }

    /// A cluster holding the deployments and pods of `tests/fixtures/kubernetes/`.
    pub async fn with_fixtures() -> Self {
        let api = Self::start().await;
        for file in ["deployments.json", "pods.json"] {
            api.load_fixture(file);
        }
        api
    }

    /// Applies every item of a `kind: List` fixture.
    pub fn load_fixture(&self, file: &str) {
        let path = format!("{}/tests/fixtures/kubernetes/{file}", env!("CARGO_MANIFEST_DIR"));
        let list: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON");
        for item in list["items"].as_array().expect("a List").clone() {
            self.apply(item);
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates or replaces an object (`apiVersion`, `kind`, `metadata.name`, `metadata.namespace`
    /// say which), as the API server would: new revision, `ADDED` or `MODIFIED` to open watches.
    pub fn apply(&self, mut object: Value) -> u64 {
        let mut state = self.state();
        let kind =
            ResourceType::by_kind(str_at(&object, "/apiVersion"), str_at(&object, "/kind")).expect("a known type");
        let id = (
            kind.name(),
            str_at(&object, "/metadata/namespace").to_owned(),
            str_at(&object, "/metadata/name").to_owned(),
        );
        let previous = state.objects.get(&id).cloned();
        state.revision += 1;
        state.uids += 1;
        let revision = state.revision;
        let metadata = object["metadata"].as_object_mut().expect("metadata");
        metadata.insert("resourceVersion".into(), revision.to_string().into());
        let uid = match &previous {
            Some(previous) => previous["metadata"]["uid"].clone(),
            None => format!("00000000-0000-4000-8000-{:012x}", state.uids).into(),
        };
        metadata.insert("uid".into(), uid);
        metadata
            .entry("creationTimestamp")
            .or_insert("2026-12-05T09:00:00Z".into());
        state.objects.insert(id, object.clone());
        let event = if previous.is_some() { "MODIFIED" } else { "ADDED" };
        state.publish(Change {
            revision,
            kind,
            event,
            object,
        });
        revision
    }

    /// Changes a stored object in place (`type_name` as `deployments.apps`) and applies it.
    pub fn modify(&self, type_name: &str, namespace: &str, name: &str, change: impl FnOnce(&mut Value)) -> u64 {
        let mut object = self.get(type_name, namespace, name).expect("object to modify");
        change(&mut object);
        self.apply(object)
    }

    pub fn get(&self, type_name: &str, namespace: &str, name: &str) -> Option<Value> {
        self.state()
            .objects
            .get(&(type_name.to_owned(), namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Deletes an object: `DELETED` with its last state at a new revision.
    pub fn delete(&self, type_name: &str, namespace: &str, name: &str) -> u64 {
        let mut state = self.state();
        let mut object = state
            .objects
            .remove(&(type_name.to_owned(), namespace.to_owned(), name.to_owned()))
            .expect("object to delete");
        state.revision += 1;
        let revision = state.revision;
        object["metadata"]["resourceVersion"] = revision.to_string().into();
        state.publish(Change {
            revision,
            kind: ResourceType::by_name(type_name),
            event: "DELETED",
            object,
        });
        revision
    }

    /// Discards all history, as etcd compaction does; a write elsewhere in the cluster comes first,
    /// so every watcher's last `resourceVersion` is now too old to resume from.
    pub fn compact(&self) {
        let mut state = self.state();
        state.revision += 1;
        state.compacted = state.revision;
        state.history.clear();
    }

    /// Sends a `BOOKMARK` at the current revision to every watch that allowed them.
    pub fn bookmark(&self) {
        let mut state = self.state();
        let revision = state.revision;
        state.watches.retain(|watch| {
            if !watch.bookmarks {
                return true;
            }
            let object = json!({
                "kind": watch.kind.kind, "apiVersion": watch.kind.api_version(),
                "metadata": { "resourceVersion": revision.to_string() },
            });
            watch.lines.send(event_line("BOOKMARK", &object)).is_ok()
        });
    }

    /// Ends every open watch cleanly, as the API server does when a watch times out.
    pub fn end_watches(&self) {
        self.state().watches.clear();
    }

    /// Closes every connection abruptly, mid-stream: a network failure or an API server restart.
    pub fn drop_connections(&self) {
        let mut state = self.state();
        state.watches.clear();
        for connection in state.connections.drain(..) {
            connection.abort();
        }
    }

    /// Takes the server off the network until [`Self::restore`]: connections drop and new ones are refused.
    pub fn outage(&self) {
        self.state().down = true;
        self.drop_connections();
    }

    pub fn restore(&self) {
        self.state().down = false;
    }

    /// Lets the service account neither list nor watch a type (`deployments.apps`).
    pub fn forbid(&self, type_name: &str) {
        self.state().forbidden.insert(type_name.into());
    }

    pub fn lists(&self, type_name: &str) -> usize {
        self.state().lists.get(type_name).copied().unwrap_or(0)
    }

    pub fn watch_requests(&self, type_name: &str) -> usize {
        self.state().watch_requests.get(type_name).copied().unwrap_or(0)
    }

    /// Requests to `path` (`/apis/apps/v1/deployments`) refused while the server was down.
    pub fn refused(&self, path: &str) -> usize {
        self.state().refused.get(path).copied().unwrap_or(0)
    }

    pub fn open_watches(&self) -> usize {
        let mut state = self.state();
        state.watches.retain(|watch| !watch.lines.is_closed());
        state.watches.len()
    }
}

impl State {
    fn publish(&mut self, change: Change) {
        let Change {
            kind, event, object, ..
        } = &change;
        let namespace = str_at(object, "/metadata/namespace");
        self.watches.retain(|watch| {
            if watch.kind != *kind
                || watch.namespace.as_deref().is_some_and(|ns| ns != namespace)
                || !selected(object, watch.selector.as_deref())
            {
                return true;
            }
            watch.lines.send(event_line(event, object)).is_ok()
        });
        self.history.push(change);
    }
}

fn str_at<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}
