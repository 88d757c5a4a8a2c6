//! SLOs and error budgets: `GET /api/slo` (the list, worst first, by entity or owner),
//! `GET /api/slo/{id}` (one SLO's report, burn-down and deploy markers), `GET /api/slo/problems`
//! (the SLO files' problems) and `GET /api/slo/gate` (may a production deploy go ahead?).
//! Read APIs: authorized as the catalog's reads are, by the request layer. Handlers parse and
//! call `slo::service::Slos`.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use slo::service::{ListFilter, SloError, now_seconds};

use crate::http::catalog::ApiError;
use crate::state::AppState;

/// `/api/slo*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/slo", get(list))
        .route("/api/slo/gate", get(gate))
        .route("/api/slo/problems", get(problems))
        .route("/api/slo/{id}", get(detail))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    entity: Option<String>,
    owner: Option<String>,
    system: Option<String>,
}

async fn list(State(state): State<AppState>, Query(params): Query<ListParams>) -> Result<Json<Value>, ApiError> {
    let entity = params.entity.as_deref().map(entity_ref).transpose()?;
    let filter = ListFilter {
        entity,
        owner: params.owner,
        system: params.system,
    };
    let slos = state.slos.list(&filter, now_seconds()).await.map_err(api_error)?;
    Ok(Json(json!({
        "connected": state.slos.connected(),
        "items": slos,
    })))
}

async fn detail(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let detail = state.slos.detail(&id, now_seconds()).await.map_err(api_error)?;
    Ok(Json(serde_json::to_value(detail).unwrap_or_default()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityParams {
    entity: Option<String>,
    /// `rollback` or `fix` (the policy may let them through), else a feature.
    change: Option<String>,
}

async fn problems(State(state): State<AppState>, Query(params): Query<EntityParams>) -> Result<Json<Value>, ApiError> {
    let entity = params.entity.as_deref().map(entity_ref).transpose()?;
    let problems = state.slos.problems(entity.as_deref()).await.map_err(api_error)?;
    let items: Vec<Value> = problems
        .into_iter()
        .map(|p| json!({"entity": p.entity, "file": p.file, "line": p.line, "field": p.field, "message": p.message}))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn gate(State(state): State<AppState>, Query(params): Query<EntityParams>) -> Result<Json<Value>, ApiError> {
    let entity = params
        .entity
        .as_deref()
        .ok_or_else(|| ApiError::Input("entity: required (component:default/checkout)".into()))?;
    let entity = entity_ref(entity)?;
    let gate = state
        .slos
        .gate(&entity, params.change.as_deref(), now_seconds())
        .await
        .map_err(api_error)?;
    Ok(Json(serde_json::to_value(gate).unwrap_or_default()))
}

fn entity_ref(text: &str) -> Result<String, ApiError> {
    catalog::model::entity_ref::EntityRef::parse(text.trim(), Some("component"), "default")
        .map(|r| r.to_string().to_lowercase())
        .map_err(|e| ApiError::Input(format!("entity: {e}")))
}

fn api_error(e: SloError) -> ApiError {
    match e {
        SloError::Input(m) => ApiError::Input(m),
        SloError::NotFound(m) => ApiError::NotFound(format!("no SLO with id `{m}`")),
        SloError::Store(e) => ApiError::Internal(e.to_string()),
    }
}
