//! The `/_testkit/` control endpoints (only on a server started with `KubeApi::start_controlled`,
//! as the `kube-api` binary is): browser tests and benchmarks change the cluster over HTTP.
//! Every endpoint but `GET /_testkit/counters` is `POST` with a JSON body (or none) and answers
//! JSON; bad input is a 400 `{"error": …}` naming what is wrong. They need no token (the server
//! listens on loopback only).
//!
//! | path | body | does |
//! |---|---|---|
//! | `apply` | an object | creates or replaces it; `{"resourceVersion": "N"}` |
//! | `delete` | `{"type": "pods", "namespace", "name"}` | deletes it; `{"resourceVersion": "N"}` |
//! | `outage` / `restore` | – | takes the server off the network / back |
//! | `drop-connections` | – | cuts every connection mid-stream |
//! | `silence` | – | open watches stay open and send nothing more |
//! | `end-watches` | – | ends open watches cleanly (a server-side timeout) |
//! | `compact` | – | forgets history: older resourceVersions get 410 Gone |
//! | `bookmark` | – | sends a BOOKMARK to every watch that allows them |
//! | `forbid` / `allow` | `{"type": "deployments.apps"}` | 403 for that type / no more |
//! | `remove-definition` / `install-definition` | `{"type": "rollouts.argoproj.io"}` | a custom type's CRD gone / back |
//!
//! Scenarios (`scenarios`), each answering `{"resourceVersion": "N"}` of its last write:
//!
//! | path | body |
//! |---|---|
//! | `scale` | `{"namespace", "name", "replicas": 5}` |
//! | `roll-out` | `{"namespace", "name", "image", "outcome": "progressing" \| "complete" \| "failed"}` (an older image: a rollback) |
//! | `crash-loop` | `{"namespace", "pod", "restarts": 7, "reason": "OOMKilled"}` |
//! | `recover` | `{"namespace", "pod"}` (a crash-looping pod runs again) |
//! | `autoscale` | `{"namespace", "name" (the HPA), "replicas": 6, "cpu": 85}` |
//! | `canary-step` | `{"namespace", "name" (the Rollout), "step": 2}` |

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State as Extract};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::scenarios::Outcome;
use super::{ResourceType, State};

pub(super) fn routes() -> Router<Arc<Mutex<State>>> {
    Router::new()
        .route("/_testkit/counters", get(counters))
        .route("/_testkit/{action}", post(control))
}

/// `GET /_testkit/counters`: requests seen per type (`lists`, `watchRequests`), watches open now
/// per type (`openWatches`, silenced ones left out), `410 Gone` answers (`gone`), and requests
/// refused during an outage per path (`refused`). A test can so check that many open pages
/// still make one watch per type.
async fn counters(Extract(state): Extract<Arc<Mutex<State>>>) -> Json<Value> {
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    state.watches.retain(|watch| !watch.lines.is_closed());
    let mut open: BTreeMap<String, usize> = BTreeMap::new();
    for watch in state.watches.iter().filter(|w| !w.silent.load(Ordering::Relaxed)) {
        *open.entry(watch.kind.name()).or_default() += 1;
    }
    let sorted =
        |counts: &HashMap<String, usize>| counts.iter().map(|(k, v)| (k.clone(), *v)).collect::<BTreeMap<_, _>>();
    Json(json!({
        "lists": sorted(&state.lists),
        "watchRequests": sorted(&state.watch_requests),
        "openWatches": open,
        "gone": state.gone,
        "refused": sorted(&state.refused),
    }))
}

async fn control(Extract(state): Extract<Arc<Mutex<State>>>, Path(action): Path<String>, body: String) -> Response {
    let body: Value = if body.trim().is_empty() {
        Value::Null
    } else {
        match serde_json::from_str(&body) {
            Ok(body) => body,
            Err(error) => return bad_request(format!("the body is not JSON: {error}")),
        }
    };
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(run) = without_body(&action) {
        run(&mut state);
        return Json(json!({})).into_response();
    }
    let answer = match action.as_str() {
        "apply" => state.apply(body).map(revision),
        "delete" => field(&body, "type").and_then(|type_name| {
            let (namespace, name) = (field(&body, "namespace")?, field(&body, "name")?);
            state.delete(type_name, namespace, name).map(revision)
        }),
        "scale" | "roll-out" | "crash-loop" | "recover" | "autoscale" | "canary-step" => {
            scenario(&mut state, &action, &body).map(revision)
        }
        "forbid" | "allow" | "remove-definition" | "install-definition" => type_of(&body).map(|type_name| {
            let set = if action.ends_with("definition") {
                &mut state.removed
            } else {
                &mut state.forbidden
            };
            if action == "forbid" || action == "remove-definition" {
                set.insert(type_name);
            } else {
                set.remove(&type_name);
            }
            json!({})
        }),
        _ => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": format!("no control {action:?}") })),
            )
                .into_response();
        }
    };
    match answer {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => bad_request(error),
    }
}

fn scenario(state: &mut State, action: &str, body: &Value) -> Result<u64, String> {
    let namespace = field(body, "namespace")?;
    match action {
        "scale" => state.scale(namespace, field(body, "name")?, number(body, "replicas")? as usize),
        "roll-out" => {
            let outcome = Outcome::parse(body["outcome"].as_str().unwrap_or("complete"))?;
            state.roll_out(namespace, field(body, "name")?, field(body, "image")?, outcome)
        }
        "crash-loop" => {
            let reason = body["reason"].as_str().unwrap_or("Error");
            state.crash_loop(namespace, field(body, "pod")?, number(body, "restarts")?, reason)
        }
        "recover" => state.recover(namespace, field(body, "pod")?),
        "autoscale" => state.autoscale(
            namespace,
            field(body, "name")?,
            number(body, "replicas")? as usize,
            number(body, "cpu")?,
        ),
        _ => state.canary_step(namespace, field(body, "name")?, number(body, "step")? as usize),
    }
}

fn number(body: &Value, name: &str) -> Result<u64, String> {
    body[name]
        .as_u64()
        .ok_or_else(|| format!("the body needs a whole number {name:?}"))
}

fn revision(revision: u64) -> Value {
    json!({ "resourceVersion": revision.to_string() })
}

/// The controls that take no body and answer `{}`.
fn without_body(action: &str) -> Option<fn(&mut State)> {
    Some(match action {
        "outage" => |state| {
            state.down = true;
            state.drop_connections();
        },
        "restore" => |state| state.down = false,
        "drop-connections" => State::drop_connections,
        "silence" => State::silence_watches,
        "end-watches" => |state| state.watches.clear(),
        "compact" => State::compact,
        "bookmark" => State::bookmark,
        _ => return None,
    })
}

fn field<'a>(body: &'a Value, name: &str) -> Result<&'a str, String> {
    body[name]
        .as_str()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("the body needs a string {name:?}"))
}

fn type_of(body: &Value) -> Result<String, String> {
    let type_name = field(body, "type")?;
    ResourceType::by_name(type_name)
        .map(|kind| kind.name())
        .ok_or_else(|| format!("no resource type {type_name:?} (write it as RBAC does: pods, deployments.apps)"))
}

fn bad_request(error: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response()
}
