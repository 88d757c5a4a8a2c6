//! A task's events: `GET /v2/tasks/{id}/events` (a page, for polling clients) and
//! `GET /v2/tasks/{id}/eventstream` (server-sent events, live, ending with the task).

use std::convert::Infallible;
use std::time::Duration;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};

use templates::store::EventRow;

use super::tasks::iso;
use super::{api_error, authorized_task};
use crate::http::catalog::ApiError;
use crate::state::AppState;

/// How often a stream looks for events stored by another replica (events of this one wake it at once).
const POLL: Duration = Duration::from_millis(500);

#[derive(Deserialize)]
pub struct After {
    after: Option<i64>,
}

/// Backstage's serialized event: `{id, taskId, type, body, createdAt}`.
pub fn event_json(event: &EventRow) -> Value {
    json!({
        "id": event.id,
        "taskId": event.task_id,
        "type": event.event_type,
        "body": event.body,
        "createdAt": iso(event.created_at),
    })
}

fn is_final(event: &EventRow) -> bool {
    event.event_type == "completion" || event.event_type == "cancelled"
}

/// `GET /v2/tasks/{id}/events?after=N`.
pub async fn list(
    State(state): State<AppState>,
    crate::auth::request::Caller(caller): crate::auth::request::Caller,
    Path(id): Path<String>,
    Query(after): Query<After>,
) -> Result<Json<Vec<Value>>, ApiError> {
    authorized_task(&state, &caller, access::Permission::TaskRead, &id).await?;
    let events = state
        .scaffolder
        .events(&id, after.after.unwrap_or(0))
        .await
        .map_err(api_error)?;
    Ok(Json(events.iter().map(event_json).collect()))
}

/// `GET /v2/tasks/{id}/eventstream?after=N`: every event as `event: <type>`, `data: <json>`,
/// with `id:` so a reconnecting browser resumes (`Last-Event-ID`) where it left off.
pub async fn stream(
    State(state): State<AppState>,
    crate::auth::request::Caller(caller): crate::auth::request::Caller,
    Path(id): Path<String>,
    Query(after): Query<After>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    authorized_task(&state, &caller, access::Permission::TaskRead, &id).await?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let start = resume.or(after.after).unwrap_or(0);
    let scaffolder = state.scaffolder.clone();
    let mut stopping = state.stopping.clone();
    // A task's stream lasts as long as the task, which may outlive this process: end it with the server.
    let stream = async_stream(scaffolder, id, start).take_until(async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Events from the store as they arrive, until the task's closing event.
fn async_stream(
    scaffolder: std::sync::Arc<templates::service::Scaffolder>,
    id: String,
    start: i64,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let state = (scaffolder.subscribe(), start, false);
    futures::stream::unfold(state, move |(mut changes, mut last, done)| {
        let scaffolder = scaffolder.clone();
        let id = id.clone();
        async move {
            if done {
                return None;
            }
            let mut ended = false;
            loop {
                changes.borrow_and_update();
                let events = match scaffolder.events(&id, last).await {
                    Ok(events) => events,
                    Err(err) => {
                        tracing::error!(task = %id, error = %err, "reading task events for a stream");
                        return None;
                    }
                };
                if !events.is_empty() {
                    last = events.last().map_or(last, |e| e.id);
                    let finished = events.iter().any(is_final);
                    let batch: Vec<Result<Event, Infallible>> = events
                        .iter()
                        .map(|e| {
                            Ok(Event::default()
                                .event(e.event_type.clone())
                                .id(e.id.to_string())
                                .data(event_json(e).to_string()))
                        })
                        .collect();
                    return Some((futures::stream::iter(batch), (changes, last, finished)));
                }
                // Nothing new. A task that has ended ends the stream, once its events have been
                // read again: its closing event may have been stored since the read above.
                if ended {
                    return None;
                }
                match scaffolder.task(&id).await {
                    Ok(Some(task)) if task.status == "open" || task.status == "processing" => {}
                    _ => {
                        ended = true;
                        continue;
                    }
                }
                tokio::select! {
                    _ = changes.changed() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        }
    })
    .flatten()
}
