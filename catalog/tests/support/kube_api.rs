//! A local stand-in for a Kubernetes API server, as the `kube` client and its watchers use it:
//! lists with `resourceVersion` (cluster-wide or per namespace, label selectors), watch streams
//! of newline-delimited `ADDED`/`MODIFIED`/`DELETED`/`BOOKMARK` events resumed from a
//! `resourceVersion`, `410 Gone` for a compacted one, `403 Forbidden` for types a test forbids,
//! `GET /version`. Objects come from real manifests under `tests/fixtures/kubernetes/`; tests change
//! them (events reach open watches), end watches, drop every connection, or take the server down.
//! Like etcd, one revision counter covers every type. Self-contained (axum, hyper, tokio, serde_json).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State as Extract};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{Value, json};
use tokio::sync::mpsc;

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
    /// While set, connections are closed as soon as they are accepted.
    pub down: bool,
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

async fn accept_loop(listener: tokio::net::TcpListener, app: Router, state: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.down {
            continue; // dropping the stream closes the connection at once
        }
        let service = TowerToHyperService::new(app.clone());
        let connection = tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        state.connections.retain(|c| !c.is_finished());
        state.connections.push(connection.abort_handle());
    }
}

async fn handle(
    Extract(state): Extract<Arc<Mutex<State>>>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(token) = &state.token {
        let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if bearer != Some(&format!("Bearer {token}")) {
            return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized", None);
        }
    }
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["version"] => return axum::Json(version_info()).into_response(),
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return not_found(uri.path()),
    };
    let (namespace, plural) = match rest {
        [plural] => (None, *plural),
        ["namespaces", namespace, plural] => (Some(namespace.to_string()), *plural),
        _ => return not_found(uri.path()),
    };
    let Some(kind) = ResourceType::by_path(group, version, plural) else {
        return not_found(uri.path());
    };
    let watch = query.get("watch").is_some_and(|w| w == "1" || w == "true");
    let verb = if watch { "watch" } else { "list" };
    *(if watch {
        &mut state.watch_requests
    } else {
        &mut state.lists
    })
    .entry(kind.name())
    .or_default() += 1;
    if state.forbidden.contains(&kind.name()) {
        return forbidden(kind, verb, namespace.as_deref());
    }
    let selector = query.get("labelSelector").filter(|s| !s.is_empty()).cloned();
    let since = query
        .get("resourceVersion")
        .filter(|v| !v.is_empty() && *v != "0")
        .map(|v| v.parse::<u64>().unwrap_or(0));
    if watch {
        let timeout = query.get("timeoutSeconds").and_then(|t| t.parse().ok()).unwrap_or(1800);
        let bookmarks = query.get("allowWatchBookmarks").is_some_and(|b| b == "true");
        return start_watch(
            &mut state,
            OpenWatchRequest {
                kind,
                namespace,
                selector,
                bookmarks,
                since,
                timeout,
            },
        );
    }
    let exact = query.get("resourceVersionMatch").is_some_and(|m| m == "Exact");
    if let Some(since) = since.filter(|since| exact && *since < state.compacted) {
        state.gone += 1;
        let message = format!("too old resource version: {since} ({})", state.compacted);
        return status(StatusCode::GONE, "Expired", &message, None);
    }
    list(&state, kind, namespace.as_deref(), selector.as_deref())
}

fn list(state: &State, kind: ResourceType, namespace: Option<&str>, selector: Option<&str>) -> Response {
    let items: Vec<Value> = state
        .objects
        .iter()
        .filter(|((type_name, ns, _), object)| {
            *type_name == kind.name() && namespace.is_none_or(|n| n == ns) && selected(object, selector)
        })
        .map(|(_, object)| {
            // The API server leaves the type out of a typed list's items.
            let mut item = object.clone();
            let fields = item.as_object_mut().expect("object");
            fields.remove("apiVersion");
            fields.remove("kind");
            item
        })
        .collect();
    axum::Json(json!({
        "kind": format!("{}List", kind.kind),
        "apiVersion": kind.api_version(),
        "metadata": { "resourceVersion": state.revision.to_string() },
        "items": items,
    }))
    .into_response()
}

struct OpenWatchRequest {
    kind: ResourceType,
    namespace: Option<String>,
    selector: Option<String>,
    bookmarks: bool,
    since: Option<u64>,
    timeout: u64,
}

/// Replays what happened after `since` (or, without it, every object as `ADDED`), then stays open.
fn start_watch(state: &mut State, request: OpenWatchRequest) -> Response {
    let (lines, received) = mpsc::unbounded_channel();
    let OpenWatchRequest {
        kind,
        namespace,
        selector,
        bookmarks,
        since,
        timeout,
    } = request;
    let watch = OpenWatch {
        kind,
        namespace,
        selector,
        bookmarks,
        lines,
    };
    let in_scope = |object: &Value| {
        watch
            .namespace
            .as_deref()
            .is_none_or(|ns| ns == str_at(object, "/metadata/namespace"))
            && selected(object, watch.selector.as_deref())
    };
    match since {
        Some(since) if since < state.compacted => {
            // Real API servers answer 200 and then an ERROR event, not a 410 status.
            state.gone += 1;
            let gone = status_object(
                410,
                "Expired",
                &format!("too old resource version: {since} ({})", state.compacted),
                None,
            );
            let _ = watch.lines.send(event_line("ERROR", &gone));
            return watch_response(received, timeout);
        }
        Some(since) => {
            for change in state
                .history
                .iter()
                .filter(|c| c.revision > since && c.kind == kind && in_scope(&c.object))
            {
                let _ = watch.lines.send(event_line(change.event, &change.object));
            }
        }
        None => {
            for ((_, _, _), object) in state
                .objects
                .iter()
                .filter(|((t, _, _), o)| *t == kind.name() && in_scope(o))
            {
                let _ = watch.lines.send(event_line("ADDED", object));
            }
        }
    }
    state.watches.push(watch);
    watch_response(received, timeout)
}

/// A chunked stream of event lines, ending when the server drops its sender or the timeout passes.
fn watch_response(received: mpsc::UnboundedReceiver<Bytes>, timeout_seconds: u64) -> Response {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_seconds);
    let lines = futures::stream::unfold(received, move |mut received| async move {
        match tokio::time::timeout_at(deadline, received.recv()).await {
            Ok(Some(line)) => Some((Ok::<_, Infallible>(line), received)),
            _ => None,
        }
    });
    ([(header::CONTENT_TYPE, "application/json")], Body::from_stream(lines)).into_response()
}

fn event_line(event: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({ "type": event, "object": object })).expect("JSON");
    line.push(b'\n');
    line.into()
}

fn forbidden(kind: ResourceType, verb: &str, namespace: Option<&str>) -> Response {
    let scope = match namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".into(),
    };
    let message = format!(
        "{} is forbidden: User \"system:serviceaccount:cairn:cairn\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
        kind.name(),
        kind.plural,
        kind.group
    );
    status(StatusCode::FORBIDDEN, "Forbidden", &message, Some(kind))
}

fn not_found(path: &str) -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("the server could not find the requested resource ({path})"),
        None,
    )
}

fn status(code: StatusCode, reason: &str, message: &str, kind: Option<ResourceType>) -> Response {
    (code, axum::Json(status_object(code.as_u16(), reason, message, kind))).into_response()
}

/// A `meta/v1` Status, as every API error body is.
fn status_object(code: u16, reason: &str, message: &str, kind: Option<ResourceType>) -> Value {
    let mut status = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    if let Some(kind) = kind {
        status["details"] = json!({ "group": kind.group, "kind": kind.plural });
    }
    status
}

fn version_info() -> Value {
    json!({
        "major": "1", "minor": "33", "emulationMajor": "1", "emulationMinor": "33",
        "minCompatibilityMajor": "1", "minCompatibilityMinor": "32",
        "gitVersion": "v1.33.4", "gitCommit": "74cdb426ec7c4ee0b0c1f1d1d4a6c2e0a4e4a7a1", "gitTreeState": "clean",
        "buildDate": "2026-08-13T15:22:56Z", "goVersion": "go1.24.5", "compiler": "gc", "platform": "linux/amd64",
    })
}

fn str_at<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

/// Whether an object's labels satisfy a label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`,
/// `k in (a,b)`, `k notin (a,b)`, joined by commas.
fn selected(object: &Value, selector: Option<&str>) -> bool {
    let Some(selector) = selector else { return true };
    let labels = object["metadata"]["labels"].as_object();
    let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
    requirements(selector).iter().all(|requirement| {
        let requirement = requirement.trim();
        if let Some((key, values)) = requirement.split_once(" notin ") {
            return label(key.trim()).is_none_or(|v| !set(values).contains(&v));
        }
        if let Some((key, values)) = requirement.split_once(" in ") {
            return label(key.trim()).is_some_and(|v| set(values).contains(&v));
        }
        if let Some((key, value)) = requirement.split_once("!=") {
            return label(key.trim()) != Some(value.trim());
        }
        if let Some((key, value)) = requirement.split_once('=') {
            return label(key.trim()) == Some(value.trim_start_matches('=').trim());
        }
        match requirement.strip_prefix('!') {
            Some(key) => label(key.trim()).is_none(),
            None => label(requirement).is_some(),
        }
    })
}

/// Splits at the commas outside parentheses.
fn requirements(selector: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&selector[start..]);
    parts
}

fn set(values: &str) -> BTreeSet<&str> {
    values
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .collect()
}
