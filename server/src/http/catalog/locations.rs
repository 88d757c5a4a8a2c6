//! `/locations`: list, register (or preview with `dryRun=true`), read, unregister.

use axum::{
    Json,
    extract::{Path, RawQuery, State},
    http::StatusCode,
};
use catalog::model::EntityRef;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::error::RequestId;
use super::params::Params;
use crate::auth::request::Caller;
use crate::http::access;
use crate::state::AppState;
use ::access::Permission;

/// `GET /locations`: `[{"data": {"id", "type", "target"}, "status": {…}}]`. `data` is Backstage's
/// shape; `status` is Cairn's: the last refresh (attempt, success, duration, entity and problem
/// counts, error), consecutive failures, when it is due next and whether it is refreshing now.
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Value>>, ApiError> {
    let statuses = state.catalog.store.location_statuses().await?;
    Ok(Json(
        statuses
            .into_iter()
            .map(|s| {
                let location = s.location.clone();
                let mut status = json!(s);
                if let Some(fields) = status.as_object_mut() {
                    fields.remove("location");
                }
                json!({"data": location, "status": status})
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct NewLocation {
    #[serde(rename = "type")]
    location_type: String,
    target: String,
}

/// `POST /locations[?dryRun=true]`: 201 `{location, entities, exists?}`; 409 when already registered.
/// `entities` holds the first 100 (Backstage returns them all); `entityCount` says how many in all.
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    request_id: RequestId,
    RawQuery(query): RawQuery,
    Json(body): Json<NewLocation>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    access::authorize(&state, &caller, Permission::LocationCreate, &[])?;
    let dry_run = Params::parse(query.as_deref())
        .one("dryRun")
        .is_some_and(|v| v == "true");
    let registration = state
        .catalog
        .register(&body.location_type, &body.target, dry_run)
        .await
        .map_err(|e| ApiError::from_catalog(e, &request_id))?;
    let listing = registration.listing;
    let mut response = json!({
        "location": registration.location,
        "entities": listing.entities,
        "entityCount": listing.entity_count,
    });
    if dry_run {
        response["exists"] = Value::Bool(registration.exists);
    } else {
        let target = format!("{}:{}", body.location_type, body.target);
        access::audit(&state, &caller, "location-registered", &target, None).await;
    }
    if listing.problem_count > 0 {
        response["problems"] = json!(listing.problems);
        response["problemCount"] = json!(listing.problem_count);
    }
    Ok((StatusCode::CREATED, Json(response)))
}

/// `GET /locations/{id}`.
pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    match state.catalog.store.location(&id).await? {
        Some(location) => Ok(Json(json!(location))),
        None => Err(ApiError::NotFound(format!("Found no location with ID {id}"))),
    }
}

/// `DELETE /locations/{id}`: 204; the entities only it provided go with it.
pub async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let store = &state.catalog.store;
    match store.location(&id).await? {
        Some(location) if location.origin == "config" => Err(ApiError::Input(format!(
            "location {} comes from the configuration file; remove it there",
            location.target
        ))),
        Some(location) => {
            access::authorize_location(&state, &caller, Permission::LocationDelete, &id).await?;
            if !store.delete_location(&id).await? {
                return Err(ApiError::NotFound(format!("Found no location with ID {id}")));
            }
            let target = format!("{}:{}", location.location_type, location.target);
            access::audit(&state, &caller, "location-unregistered", &target, None).await;
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(ApiError::NotFound(format!("Found no location with ID {id}"))),
    }
}

/// `GET /locations/by-entity/{kind}/{namespace}/{name}`: the location that provides the entity.
pub async fn by_entity(
    State(state): State<AppState>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let entity_ref = EntityRef::new(&kind, &namespace, &name);
    match state.catalog.store.location_of_entity(&entity_ref.to_string()).await? {
        Some(location) => Ok(Json(json!(location))),
        None => Err(ApiError::NotFound(format!("No location for entity '{entity_ref}'"))),
    }
}
