//! A local stand-in for a Kubernetes API server, as the `kube` client and its watchers use it:
//! discovery (`/api`, `/apis`, each group version's resources), paged lists with `resourceVersion`
//! (cluster-wide or per namespace, label and field selectors), watch streams of newline-delimited
//! `ADDED`/`MODIFIED`/`DELETED`/`BOOKMARK` events resumed from a `resourceVersion`, `410 Gone` for a
//! compacted one, `403 Forbidden` for types a test forbids, `404` for a custom resource whose
//! definition a test removed, `GET /version`. Nodes and PersistentVolumes are cluster-scoped;
//! `metrics.k8s.io` (metrics-server's PodMetrics and NodeMetrics, `metrics`) is listed, never
//! watched, and may be removed like a custom type. Objects come from real manifests (`fixtures/kubernetes/`)
//! or are generated (`synthetic`); tests change them (events reach open watches), end watches, drop
//! every connection, silence open watches, or take the server down. Like etcd, one revision counter
//! covers every type. The `kube-api` binary serves the same, driven over HTTP (`control`).

mod control;
pub mod demo;
mod discovery;
pub mod infrastructure;
mod metrics;
mod requests;
pub mod scenarios;
mod selector;
mod state;
pub mod synthetic;
mod types;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

use requests::{accept_loop, handle};
use selector::{fields_selected, selected};
pub use types::{METRICS_GROUP, ResourceType, TYPES};

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
    fields: Option<String>,
    bookmarks: bool,
    lines: mpsc::UnboundedSender<Bytes>,
    /// Set by [`KubeApi::silence_watches`]: the stream stays open and never sends again.
    silent: Arc<AtomicBool>,
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
    /// Custom types (`rollouts.argoproj.io`) whose definition is removed: absent from discovery, 404.
    pub removed: BTreeSet<String>,
    /// While set, connections are closed as soon as the request line is read.
    pub down: bool,
    /// Requests per path (without the query) that met a closed connection instead of an answer.
    pub refused: HashMap<String, usize>,
    /// Requests per type name.
    pub lists: HashMap<String, usize>,
    pub watch_requests: HashMap<String, usize>,
    /// `410 Gone` answers given.
    pub gone: usize,
    /// Scenarios stamp the wall clock's time rather than a fixed one (the demo's live cluster,
    /// whose rollouts the history records as they happen).
    pub live_clock: bool,
    /// Pods and nodes without an applied `PodMetrics`/`NodeMetrics` are measured from their
    /// requests (the demo, benchmarks); otherwise only applied measurements are served.
    pub simulated_usage: bool,
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
    /// An empty cluster, every type installed.
    pub async fn start() -> Self {
        Self::serve(false).await
    }

    /// An empty cluster that also answers the `/_testkit/` control endpoints (see `control`).
    pub async fn start_controlled() -> Self {
        Self::serve(true).await
    }

    async fn serve(controlled: bool) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let mut app = Router::new();
        if controlled {
            app = app.merge(control::routes());
        }
        let app = app.fallback(handle).with_state(state.clone());
        let accept = tokio::spawn(accept_loop(listener, app, state.clone()));
        Self { url, state, accept }
    }

    /// A cluster holding every object of `fixtures/kubernetes/` (see its README).
    pub async fn with_fixtures() -> Self {
        let api = Self::start().await;
        api.load_fixtures(&fixtures_dir()).expect("fixtures");
        api
    }

    /// Adds `deployments` × `pods` generated objects in `namespace` (see [`synthetic`]).
    pub fn load_synthetic(&self, deployments: usize, pods: usize, namespace: &str) {
        self.load_synthetic_from(0, deployments, pods, namespace);
    }

    /// As `load_synthetic`, the Deployments numbered from `first` (`synthetic-<first>`…).
    /// The nodes are added once, and usage is simulated (see `metrics`).
    pub fn load_synthetic_from(&self, first: usize, deployments: usize, pods: usize, namespace: &str) {
        let mut state = self.state();
        state.simulated_usage = true;
        for node in synthetic::nodes() {
            if !state.objects.contains_key(&(
                String::from("nodes"),
                String::new(),
                str_at(&node, "/metadata/name").to_owned(),
            )) {
                state.apply(node).expect("generated nodes are valid");
            }
        }
        for object in synthetic::objects_from(first, deployments, pods, namespace) {
            state.apply(object).expect("generated objects are valid");
        }
    }

    /// Applies every `*.json` file of `dir` (a `kind: List` or one object), in name order.
    pub fn load_fixtures(&self, dir: &Path) -> Result<usize, String> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut applied = 0;
        for file in files {
            applied += self.load_fixture(&file)?;
        }
        Ok(applied)
    }

    /// Applies a `kind: List` file's items, or the one object the file holds.
    pub fn load_fixture(&self, file: &Path) -> Result<usize, String> {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let items = match value["items"].as_array() {
            Some(items) => items.clone(),
            None => vec![value],
        };
        for item in &items {
            self.try_apply(item.clone())
                .map_err(|e| format!("{}: {e}", file.display()))?;
        }
        Ok(items.len())
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates or replaces an object (`apiVersion`, `kind`, `metadata.name`, `metadata.namespace`
    /// say which), as the API server would: new revision, `ADDED` or `MODIFIED` to open watches.
    pub fn apply(&self, object: Value) -> u64 {
        self.try_apply(object).expect("an object of a known type")
    }

    pub fn try_apply(&self, object: Value) -> Result<u64, String> {
        self.state().apply(object)
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

    /// Every object it holds, of every type.
    pub fn all(&self) -> Vec<Value> {
        self.state().objects.values().cloned().collect()
    }

    /// Every object of a type (`pods`) in a namespace, by name.
    pub fn list(&self, type_name: &str, namespace: &str) -> Vec<Value> {
        self.state()
            .objects
            .iter()
            .filter(|((t, ns, _), _)| t == type_name && ns == namespace)
            .map(|(_, object)| object.clone())
            .collect()
    }

    /// Deletes an object: `DELETED` with its last state at a new revision.
    pub fn delete(&self, type_name: &str, namespace: &str, name: &str) -> u64 {
        self.state()
            .delete(type_name, namespace, name)
            .expect("object to delete")
    }

    /// Sets a Deployment's replicas, its pods following (see [`scenarios`]).
    pub fn scale(&self, namespace: &str, name: &str, replicas: usize) -> u64 {
        self.state().scale(namespace, name, replicas).expect("scale")
    }

    /// Rolls a Deployment out to `image`, as far as `outcome`; back to an older image is a rollback.
    pub fn roll_out(&self, namespace: &str, name: &str, image: &str, outcome: scenarios::Outcome) -> u64 {
        self.state()
            .roll_out(namespace, name, image, outcome)
            .expect("roll out")
    }

    /// A pod crash-looping after `restarts`, last terminated for `reason` (`OOMKilled`, `Error`).
    pub fn crash_loop(&self, namespace: &str, pod: &str, restarts: u64, reason: &str) -> u64 {
        self.state()
            .crash_loop(namespace, pod, restarts, reason)
            .expect("crash loop")
    }

    /// An HPA scaling its Deployment to `replicas` at `cpu` % utilisation.
    pub fn autoscale(&self, namespace: &str, name: &str, replicas: usize, cpu: u64) -> u64 {
        self.state()
            .autoscale(namespace, name, replicas, cpu)
            .expect("autoscale")
    }

    /// An Argo Rollout at canary step `index` (`steps.len()` promotes it).
    pub fn canary_step(&self, namespace: &str, name: &str, index: usize) -> u64 {
        self.state().canary_step(namespace, name, index).expect("canary step")
    }

    /// Discards all history, as etcd compaction does; a write elsewhere in the cluster comes first,
    /// so every watcher's last `resourceVersion` is now too old to resume from.
    pub fn compact(&self) {
        self.state().compact();
    }

    /// Sends a `BOOKMARK` at the current revision to every watch that allowed them.
    /// Sends a `BOOKMARK` at the current revision to every watch that allowed them.
    pub fn bookmark(&self) {
        self.state().bookmark();
    }

    /// Ends every open watch cleanly, as the API server does when a watch times out.
    pub fn end_watches(&self) {
        self.state().watches.clear();
    }

    /// Closes every connection abruptly, mid-stream: a network failure or an API server restart.
    pub fn drop_connections(&self) {
        self.state().drop_connections();
    }

    /// Every open watch stays open but never sends again, timeout or not: a connection that died
    /// silently (a NAT or load balancer forgot it). New watches behave normally.
    pub fn silence_watches(&self) {
        self.state().silence_watches();
    }

    /// Takes the server off the network until [`Self::restore`]: connections drop and new ones are refused.
    pub fn outage(&self) {
        let mut state = self.state();
        state.down = true;
        state.drop_connections();
    }

    pub fn restore(&self) {
        self.state().down = false;
    }

    /// Lets the service account neither list nor watch a type (`deployments.apps`).
    pub fn forbid(&self, type_name: &str) {
        self.state().forbidden.insert(type_name.into());
    }

    /// Removes a custom type's definition (`applications.argoproj.io`): gone from discovery, 404.
    pub fn remove_definition(&self, type_name: &str) {
        self.state().removed.insert(type_name.into());
    }

    pub fn install_definition(&self, type_name: &str) {
        self.state().removed.remove(type_name);
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

    /// Open watches that still send.
    pub fn open_watches(&self) -> usize {
        let mut state = self.state();
        state.watches.retain(|watch| !watch.lines.is_closed());
        state
            .watches
            .iter()
            .filter(|w| !w.silent.load(Ordering::Relaxed))
            .count()
    }

    /// Open watches of one type (`pods`) that still send.
    pub fn open_watches_of(&self, type_name: &str) -> usize {
        let mut state = self.state();
        state.watches.retain(|watch| !watch.lines.is_closed());
        state
            .watches
            .iter()
            .filter(|w| w.kind.name() == type_name && !w.silent.load(Ordering::Relaxed))
            .count()
    }
}

/// This crate's `fixtures/kubernetes/`.
pub fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kubernetes")
}

fn str_at<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}
