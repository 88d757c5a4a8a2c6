//! Backstage's scaffolder REST API under `/api/scaffolder`, same paths and JSON shapes: templates'
//! parameter schemas, the actions, tasks (create, list, read, cancel, live event stream) and dry runs.

mod dry_run;
mod events;
mod tasks;

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    extract::{Path, State},
    routing::{get, post},
};
use serde_json::Value;

use templates::service::{Scaffolder, ScaffolderError};

use crate::http::catalog::ApiError;
use crate::state::AppState;

/// The scaffolder routes, to be nested under `/api/scaffolder`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/actions", get(actions))
        .route(
            "/v2/templates/{namespace}/{kind}/{name}/parameter-schema",
            get(parameter_schema),
        )
        .route("/v2/tasks", get(tasks::list).post(tasks::create))
        .route("/v2/tasks/{id}", get(tasks::get_one))
        .route("/v2/tasks/{id}/cancel", post(tasks::cancel))
        .route("/v2/tasks/{id}/events", get(events::list))
        .route("/v2/tasks/{id}/eventstream", get(events::stream))
        .route(
            "/v2/dry-run",
            post(dry_run::run).layer(DefaultBodyLimit::max(dry_run::MAX_BODY_BYTES)),
        )
}

/// `GET /v2/actions`: every action with its input and output schema.
async fn actions(State(state): State<AppState>) -> Json<Value> {
    Json(state.scaffolder.registry.describe())
}

/// `GET /v2/templates/{namespace}/{kind}/{name}/parameter-schema`: the form's pages.
async fn parameter_schema(
    State(state): State<AppState>,
    Path((namespace, kind, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    if !kind.eq_ignore_ascii_case("template") {
        return Err(ApiError::Input(format!("`{kind}` is not a template kind")));
    }
    let (template, _, problems) = state
        .scaffolder
        .template(&namespace, &name)
        .await
        .map_err(api_error)?
        .ok_or_else(|| ApiError::NotFound(format!("there is no template {namespace}/{name}")))?;
    if !problems.is_empty() {
        return Err(api_error(ScaffolderError::Unsupported(problems)));
    }
    Ok(Json(Scaffolder::parameter_schema(&template)))
}

/// The task `id`, once `caller` may act on it with `permission` (its owner is its creator).
pub(crate) async fn authorized_task(
    state: &AppState,
    caller: &access::Principal,
    permission: access::Permission,
    id: &str,
) -> Result<templates::store::TaskRow, ApiError> {
    let task = state
        .scaffolder
        .task(id)
        .await
        .map_err(api_error)?
        .ok_or_else(|| ApiError::NotFound(format!("there is no task {id}")))?;
    crate::http::access::authorize_task(state, caller, permission, &task)?;
    Ok(task)
}

/// The API's answer to a scaffolder failure.
pub(crate) fn api_error(err: ScaffolderError) -> ApiError {
    match err {
        ScaffolderError::NotFound(m) => ApiError::NotFound(m),
        ScaffolderError::Invalid(_) | ScaffolderError::Unsupported(_) | ScaffolderError::BadRequest(_) => {
            ApiError::Input(err.to_string())
        }
        ScaffolderError::Store(e) => ApiError::Internal(e.to_string()),
        ScaffolderError::Catalog(e) => ApiError::Internal(e.to_string()),
    }
}
