//! `/api/kubernetes`: the Deployments views as JSON, and their live stream (server-sent events).
//! Present only when clusters are configured; reading needs `catalog.entity.read` (on the entity,
//! judged by its owners, for an entity's view).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use access::Permission;
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    response::sse::{Event, KeepAlive, Sse},
    routing::get,
};
use catalog::model::EntityRef;
use deployments::Deployments;
use deployments::model::{EntityDeployments, RolloutRecord, Update};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::http::access::{authorize, authorize_entity};
use crate::http::catalog::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/entities/{kind}/{namespace}/{name}", get(entity))
        .route("/workloads", get(workloads))
        .route("/rollouts", get(rollouts))
        .route("/stream", get(stream))
}

fn service(state: &AppState) -> Result<&Arc<Deployments>, ApiError> {
    state.deployments.as_ref().ok_or_else(|| {
        ApiError::NotFound("no Kubernetes clusters are configured (kubernetes.clusterLocatorMethods)".into())
    })
}

/// `GET /entities/{kind}/{namespace}/{name}`: the entity's workloads in every cluster, with pods,
/// and its rollout history.
async fn entity(
    State(state): State<AppState>,
    crate::auth::request::Caller(caller): crate::auth::request::Caller,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Json<EntityDeployments>, ApiError> {
    let deployments = service(&state)?;
    let entity_ref = EntityRef::new(&kind, &namespace, &name).to_string();
    authorize_entity(&state, &caller, Permission::CatalogRead, &entity_ref).await?;
    if state
        .catalog
        .store
        .entity_by_ref(&EntityRef::new(&kind, &namespace, &name))
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!("No entity named '{entity_ref}' found")));
    }
    Ok(Json(deployments.entity(&entity_ref).await?))
}

#[derive(Serialize)]
struct Overview {
    clusters: Vec<deployments::model::ClusterState>,
    workloads: Vec<deployments::model::Workload>,
}

/// `GET /workloads`: every workload of every cluster (without pods), problems first.
async fn workloads(
    State(state): State<AppState>,
    crate::auth::request::Caller(caller): crate::auth::request::Caller,
) -> Result<Json<Overview>, ApiError> {
    let deployments = service(&state)?;
    authorize(&state, &caller, Permission::CatalogRead, &[])?;
    let (clusters, workloads) = deployments.overview();
    Ok(Json(Overview { clusters, workloads }))
}

#[derive(Deserialize)]
struct RolloutsQuery {
    entity: Option<String>,
    limit: Option<u32>,
}

/// `GET /rollouts[?entity=REF][&limit=N]`: the recorded rollouts, newest first.
async fn rollouts(
    State(state): State<AppState>,
    crate::auth::request::Caller(caller): crate::auth::request::Caller,
    Query(query): Query<RolloutsQuery>,
) -> Result<Json<Vec<RolloutRecord>>, ApiError> {
    let history = service(&state)?.store();
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let records = match &query.entity {
        Some(entity) => {
            let entity_ref = parse_ref(entity)?;
            authorize_entity(&state, &caller, Permission::CatalogRead, &entity_ref).await?;
            history.rollouts_of_entity(&entity_ref, limit).await?
        }
        None => {
            authorize(&state, &caller, Permission::CatalogRead, &[])?;
            history.recent_rollouts(limit).await?
        }
    };
    Ok(Json(records))
}

fn parse_ref(text: &str) -> Result<String, ApiError> {
    EntityRef::parse(text, None, "default")
        .map(|r| r.to_string())
        .map_err(|e| ApiError::Input(format!("entity: {e}")))
}

#[derive(Deserialize)]
struct StreamQuery {
    entity: Option<String>,
}

/// `GET /stream[?entity=REF]`: `event: update` messages, each one JSON `Update`; the first after
/// every (re)connection is a snapshot. With `entity`, that entity's workloads with their pods;
/// without, every workload without pods (the Deployments page).
async fn stream(
    State(state): State<AppState>,
    crate::auth::request::Caller(caller): crate::auth::request::Caller,
    Query(query): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let deployments = service(&state)?;
    let entity = match &query.entity {
        Some(entity) => {
            let entity_ref = parse_ref(entity)?;
            authorize_entity(&state, &caller, Permission::CatalogRead, &entity_ref).await?;
            Some(entity_ref)
        }
        None => {
            authorize(&state, &caller, Permission::CatalogRead, &[])?;
            None
        }
    };
    let updates = deployments
        .stream(entity)
        .ok_or_else(|| ApiError::Unavailable("too many live streams are open on this server; retry shortly".into()))?;
    let mut stopping = state.stopping.clone();
    let events = futures::stream::unfold(updates, |mut updates| async move {
        let update: Update = updates.recv().await?;
        let event = Event::default()
            .event("update")
            .json_data(&update)
            .unwrap_or_else(|_| Event::default().comment("unserialisable update"));
        Some((Ok(event), updates))
    })
    // Pages never close their stream: end it with the server, or the graceful shutdown waits.
    .take_until(async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
