//! `/v2/tasks`: create (never run in the request: a worker claims it), list, read, cancel.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use templates::store::TaskRow;

use super::{api_error, authorized_task};
use crate::auth::request::Caller;
use crate::http::access;
use crate::http::catalog::ApiError;
use crate::state::AppState;
use ::access::Permission;

/// `POST /v2/tasks` body: `{templateRef, values, secrets?}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTask {
    template_ref: String,
    #[serde(default)]
    values: Map<String, Value>,
}

/// `201 {"id"}` once stored; 400 with every field error when the values do not fit the form.
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(body): Json<NewTask>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    access::authorize_template(&state, &caller, &body.template_ref).await?;
    let id = state
        .scaffolder
        .create_task(&body.template_ref, body.values, caller.user_ref())
        .await
        .map_err(api_error)?;
    access::audit(
        &state,
        &caller,
        "template-run",
        &body.template_ref,
        Some(&format!("task {id}")),
    )
    .await;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    created_by: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /v2/tasks`: `{tasks: [...], totalTasks}`, newest first.
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    // Listing is reading tasks in general; each task's owner is its creator.
    let mine = caller.user_ref().map(str::to_string);
    let created_by = match access::authorize(&state, &caller, Permission::TaskRead, &[]) {
        Ok(()) => params.created_by.clone(),
        // Owner-only reading: people list their own tasks.
        Err(_) if mine.is_some() => mine,
        Err(denied) => return Err(denied),
    };
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let offset = params.offset.unwrap_or(0).max(0);
    let (tasks, total) = state
        .scaffolder
        .store
        .list(created_by.as_deref(), params.status.as_deref(), limit, offset)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({
        "tasks": tasks.iter().map(task_json).collect::<Vec<_>>(),
        "totalTasks": total,
    })))
}

/// `GET /v2/tasks/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let task = authorized_task(&state, &caller, Permission::TaskRead, &id).await?;
    Ok(Json(task_json(&task)))
}

/// `POST /v2/tasks/{id}/cancel`: `{status}` after the request.
pub async fn cancel(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorized_task(&state, &caller, Permission::TaskCancel, &id).await?;
    let status = state.scaffolder.cancel(&id).await.map_err(api_error)?;
    Ok(Json(json!({ "status": status })))
}

/// Backstage's serialized task: `{id, spec, status, createdAt, lastHeartbeatAt, createdBy}`.
/// The template entity stays out of the spec sent back (its steps and parameters are there).
pub fn task_json(task: &TaskRow) -> Value {
    let mut spec = task.spec.clone();
    if let Some(info) = spec.get_mut("templateInfo").and_then(Value::as_object_mut) {
        info.remove("entity");
    }
    json!({
        "id": task.id,
        "spec": spec,
        "status": task.status,
        "createdAt": iso(task.created_at),
        "lastHeartbeatAt": task.last_heartbeat_at.map(iso),
        "createdBy": task.created_by,
        "output": task.output,
    })
}

/// Milliseconds since the epoch as RFC 3339 (UTC).
pub fn iso(ms: i64) -> String {
    catalog::time::UtcTime::from_unix_ms(ms).rfc3339_millis()
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso(1_796_112_000_123), "2026-12-01T08:00:00.123Z");
    }
}
