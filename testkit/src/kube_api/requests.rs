//! The API server's side of a request: routing by path, lists, watch streams, Status bodies.

use std::collections::HashMap;
use std::convert::Infallible;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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

use super::selector::valid_fields;
use super::{OpenWatch, ResourceType, State, discovery, fields_selected, selected, str_at};

pub(super) async fn accept_loop(listener: tokio::net::TcpListener, app: Router, shared: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        if state.down {
            drop(state);
            // The control endpoints stay up through an outage: they are how it ends.
            let (app, shared) = (app.clone(), shared.clone());
            tokio::spawn(async move {
                if is_control(&stream).await {
                    let service = TowerToHyperService::new(app);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                } else {
                    refuse(stream, shared).await;
                }
            });
            continue;
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

/// Whether the connection's first request is for `/_testkit/` (looked at without consuming it).
async fn is_control(stream: &tokio::net::TcpStream) -> bool {
    let mut buffer = [0; 64];
    for _ in 0..20 {
        match tokio::time::timeout(Duration::from_millis(50), stream.peek(&mut buffer)).await {
            Ok(Ok(read)) if read > 0 => {
                let head = String::from_utf8_lossy(&buffer[..read]);
                if head.contains(' ') && (head.split(' ').nth(1).is_some_and(|t| t.len() >= 10) || read == buffer.len())
                {
                    return head.split(' ').nth(1).is_some_and(|t| t.starts_with("/_testkit/"));
                }
            }
            Ok(Ok(_)) | Ok(Err(_)) => return false,
            Err(_) => {}
        }
    }
    false
}

/// Reads the request line, counts it, and closes the connection without an answer.
async fn refuse(mut stream: tokio::net::TcpStream, shared: Arc<Mutex<State>>) {
    use tokio::io::AsyncReadExt;
    let mut head = Vec::new();
    let mut buffer = [0; 1024];
    while !head.contains(&b'\n') {
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
            Ok(Ok(read)) if read > 0 => head.extend_from_slice(&buffer[..read]),
            _ => break,
        }
    }
    let line = String::from_utf8_lossy(&head);
    let target = line.split(' ').nth(1).unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    *shared
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .refused
        .entry(path)
        .or_default() += 1;
}

pub(super) async fn handle(
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
        ["api"] => return axum::Json(discovery::core_versions()).into_response(),
        ["apis"] => return axum::Json(discovery::groups(&state)).into_response(),
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return not_found(uri.path()),
    };
    let (namespace, plural) = match rest {
        [] => {
            return match discovery::resources(&state, group, version) {
                Some(list) => axum::Json(list).into_response(),
                None => not_found(uri.path()),
            };
        }
        [plural] => (None, *plural),
        ["namespaces", namespace, plural] => (Some(namespace.to_string()), *plural),
        _ => return not_found(uri.path()),
    };
    let Some(kind) = ResourceType::by_path(group, version, plural)
        .filter(|k| state.installed(*k) && (k.namespaced || namespace.is_none()))
    else {
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
    let fields = query.get("fieldSelector").filter(|s| !s.is_empty()).cloned();
    if let Some(Err(message)) = fields.as_deref().map(valid_fields) {
        return status(StatusCode::BAD_REQUEST, "BadRequest", &message, None);
    }
    let since = query
        .get("resourceVersion")
        .filter(|v| !v.is_empty() && *v != "0")
        .map(|v| v.parse::<u64>().unwrap_or(0));
    let scope = Scope {
        kind,
        namespace,
        selector,
        fields,
    };
    if kind.is_metrics() {
        return metrics_list(&state, &scope, watch);
    }
    if watch {
        let timeout = query.get("timeoutSeconds").and_then(|t| t.parse().ok()).unwrap_or(1800);
        let bookmarks = query.get("allowWatchBookmarks").is_some_and(|b| b == "true");
        return start_watch(&mut state, scope, bookmarks, since, timeout);
    }
    let exact = query.get("resourceVersionMatch").is_some_and(|m| m == "Exact");
    if let Some(since) = since.filter(|since| exact && *since < state.compacted) {
        state.gone += 1;
        let message = format!("too old resource version: {since} ({})", state.compacted);
        return status(StatusCode::GONE, "Expired", &message, None);
    }
    let page = Page {
        limit: query.get("limit").and_then(|l| l.parse().ok()).filter(|l| *l > 0),
        after: query.get("continue").filter(|c| !c.is_empty()).cloned(),
    };
    list(&state, &scope, page)
}

/// Which objects of one type a request reads.
struct Scope {
    kind: ResourceType,
    namespace: Option<String>,
    selector: Option<String>,
    fields: Option<String>,
}

impl Scope {
    fn holds(&self, object: &Value) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| ns == str_at(object, "/metadata/namespace"))
            && selected(object, self.selector.as_deref())
            && fields_selected(object, self.fields.as_deref())
    }
}

/// `limit` and `continue`: the token is `<revision of the first page>/<namespace>/<name>` of the
/// last object sent, and the next page starts after it (objects are kept in that order).
struct Page {
    limit: Option<usize>,
    after: Option<String>,
}

fn list(state: &State, scope: &Scope, page: Page) -> Response {
    let type_name = scope.kind.name();
    let (revision, after) = match page
        .after
        .as_deref()
        .map(|token| token.splitn(3, '/').collect::<Vec<_>>())
    {
        None => (state.revision, None),
        Some(parts) => match parts.as_slice() {
            [revision, namespace, name] if revision.parse::<u64>().is_ok() => (
                revision.parse().unwrap_or_default(),
                Some((type_name.clone(), namespace.to_string(), name.to_string())),
            ),
            _ => return status(StatusCode::BAD_REQUEST, "BadRequest", "invalid continue token", None),
        },
    };
    let lower = match &after {
        Some(id) => Bound::Excluded(id.clone()),
        None => Bound::Included((type_name.clone(), String::new(), String::new())),
    };
    let mut matching = state
        .objects
        .range((lower, Bound::Unbounded))
        .take_while(|((t, _, _), _)| *t == type_name)
        .filter(|(_, object)| scope.holds(object));
    let mut items = Vec::new();
    let mut last = None;
    for (id, object) in matching.by_ref().take(page.limit.unwrap_or(usize::MAX)) {
        // The API server leaves the type out of a typed list's items.
        let mut item = object.clone();
        let fields = item.as_object_mut().expect("object");
        fields.remove("apiVersion");
        fields.remove("kind");
        items.push(item);
        last = Some(id);
    }
    let mut metadata = json!({ "resourceVersion": revision.to_string() });
    if let (Some((_, namespace, name)), Some(_)) = (last, matching.next()) {
        metadata["continue"] = format!("{revision}/{namespace}/{name}").into();
    }
    axum::Json(json!({
        "kind": format!("{}List", scope.kind.kind),
        "apiVersion": scope.kind.api_version(),
        "metadata": metadata,
        "items": items,
    }))
    .into_response()
}

/// metrics-server's answer: every measurement in the scope at once (no paging, no
/// `resourceVersion`); a watch is refused as metrics-server refuses it.
fn metrics_list(state: &State, scope: &Scope, watch: bool) -> Response {
    if watch {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            None,
        );
    }
    let items: Vec<Value> = state
        .metrics_items(scope.kind)
        .into_iter()
        .filter(|item| scope.holds(item))
        .collect();
    axum::Json(json!({
        "kind": format!("{}List", scope.kind.kind),
        "apiVersion": scope.kind.api_version(),
        "metadata": {},
        "items": items,
    }))
    .into_response()
}

/// Replays what happened after `since` (or, without it, every object as `ADDED`), then stays open.
fn start_watch(state: &mut State, scope: Scope, bookmarks: bool, since: Option<u64>, timeout: u64) -> Response {
    let (lines, received) = mpsc::unbounded_channel();
    let silent = Arc::new(AtomicBool::new(false));
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
            let _ = lines.send(event_line("ERROR", &gone));
            return watch_response(received, timeout, silent);
        }
        Some(since) => {
            for change in state
                .history
                .iter()
                .filter(|c| c.revision > since && c.kind == scope.kind && scope.holds(&c.object))
            {
                let _ = lines.send(event_line(change.event, &change.object));
            }
        }
        None => {
            for object in state
                .objects
                .iter()
                .filter(|((t, _, _), o)| *t == scope.kind.name() && scope.holds(o))
                .map(|(_, o)| o)
            {
                let _ = lines.send(event_line("ADDED", object));
            }
        }
    }
    let Scope {
        kind,
        namespace,
        selector,
        fields,
    } = scope;
    state.watches.push(OpenWatch {
        kind,
        namespace,
        selector,
        fields,
        bookmarks,
        lines,
        silent: silent.clone(),
    });
    watch_response(received, timeout, silent)
}

/// A chunked stream of event lines, ending when the server drops its sender or the timeout passes;
/// once silenced, it sends nothing more and never ends.
fn watch_response(received: mpsc::UnboundedReceiver<Bytes>, timeout_seconds: u64, silent: Arc<AtomicBool>) -> Response {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_seconds);
    let lines = futures::stream::unfold(received, move |mut received| {
        let silent = silent.clone();
        async move {
            let next = tokio::time::timeout_at(deadline, received.recv()).await;
            if silent.load(Ordering::Relaxed) {
                std::future::pending::<()>().await;
            }
            match next {
                Ok(Some(line)) => Some((Ok::<_, Infallible>(line), received)),
                _ => None,
            }
        }
    });
    ([(header::CONTENT_TYPE, "application/json")], Body::from_stream(lines)).into_response()
}

pub(super) fn event_line(event: &str, object: &Value) -> Bytes {
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

pub(super) fn status(code: StatusCode, reason: &str, message: &str, kind: Option<ResourceType>) -> Response {
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
