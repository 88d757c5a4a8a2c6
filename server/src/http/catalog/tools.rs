//! `/refresh`, `/validate-entity` and `/analyze-location`.

use axum::{Json, extract::State, http::StatusCode};
use catalog::model::{EntityRef, check_envelope, relations_of, validate_entity as check_fields};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::error::RequestId;
use crate::auth::request::Caller;
use crate::http::access;
use crate::state::AppState;
use ::access::Permission;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    entity_ref: String,
}

/// `POST /refresh {"entityRef"}`: reads the entity's location again, now.
pub async fn refresh(
    State(state): State<AppState>,
    Caller(caller): Caller,
    request_id: RequestId,
    Json(body): Json<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    let entity_ref = EntityRef::parse_full(&body.entity_ref).map_err(|e| ApiError::Input(e.to_string()))?;
    access::authorize_entity(&state, &caller, Permission::EntityRefresh, &entity_ref.to_string()).await?;
    let store = &state.catalog.store;
    let location = store
        .location_of_entity(&entity_ref.to_string())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No entity named '{entity_ref}' found")))?;
    let refreshed = state.catalog.refresh(&location).await;
    refreshed.map_err(|e| ApiError::from_catalog(e, &request_id))?;
    Ok(StatusCode::OK)
}

#[derive(Deserialize)]
pub struct ValidateRequest {
    entity: Value,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted for Backstage compatibility; placeholders are not resolved here"
    )]
    location: Option<String>,
}

/// `POST /validate-entity {"entity", "location"}`: 200 `{}` or 400 `{"errors": [{"name", "message"}]}`.
pub async fn validate_entity(Json(body): Json<ValidateRequest>) -> (StatusCode, Json<Value>) {
    let result = check_envelope(&body.entity).and_then(|entity_ref| {
        check_fields(&body.entity)?;
        let kind = body.entity["kind"].as_str().unwrap_or_default();
        let spec = body.entity["spec"].as_object().cloned().unwrap_or_default();
        relations_of(kind, &entity_ref, &spec).map(|_| ())
    });
    match result {
        Ok(()) => (StatusCode::OK, Json(json!({}))),
        Err(err) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": [{"name": "InputError", "message": err.to_string()}]})),
        ),
    }
}

#[derive(Deserialize)]
pub struct AnalyzeRequest {
    location: Target,
}

#[derive(Deserialize)]
pub struct Target {
    #[serde(rename = "type")]
    location_type: String,
    target: String,
}

/// `POST /analyze-location {"location": {"type", "target"}}`: what registering it would bring,
/// in Backstage's shape (`existingEntityFiles`, `generateEntities`), the first 100 of each with
/// `entityCount` and `problemCount` for the rest.
pub async fn analyze_location(
    State(state): State<AppState>,
    Caller(caller): Caller,
    request_id: RequestId,
    Json(body): Json<AnalyzeRequest>,
) -> Result<Json<Value>, ApiError> {
    // It reads the target as registering would: the same permission.
    access::authorize(&state, &caller, Permission::LocationCreate, &[])?;
    let (location_type, target) = (&body.location.location_type, &body.location.target);
    let listing = state
        .catalog
        .preview(location_type, target)
        .await
        .map_err(|e| ApiError::from_catalog(e, &request_id))?;
    let registered = state
        .catalog
        .store
        .locations()
        .await?
        .iter()
        .any(|l| l.location_type == *location_type && l.target == *target);
    let files: Vec<Value> = listing
        .entities
        .into_iter()
        .map(|entity| {
            let source = entity["metadata"]["annotations"]["backstage.io/managed-by-location"]
                .as_str()
                .unwrap_or(target)
                .to_string();
            let source = source.strip_prefix("file:").unwrap_or(&source).to_string();
            json!({"entity": entity, "location": {"type": location_type, "target": source}, "isRegistered": registered})
        })
        .collect();
    Ok(Json(
        json!({"existingEntityFiles": files, "generateEntities": [], "entityCount": listing.entity_count,
               "problems": listing.problems, "problemCount": listing.problem_count}),
    ))
}
