//! Delivery metrics and what feeds them: `/api/dora` (deployments CI reports, the metrics) and
//! `/api/incidents` (incidents reported through the API, Alertmanager's and PagerDuty's
//! webhooks); `views` serves what the Delivery pages show as data (incident lists, exports).
//! Handlers authorize, parse and call `delivery::Delivery`.

mod views;

use access::Permission;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    routing::{get, post},
};
use catalog::store::now_ms;
use delivery::{DeliveryError, store::Upsert};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::request::Caller;
use crate::http::access::{audit, authorize_entity};
use crate::http::catalog::ApiError;
use crate::state::AppState;

/// A report is a few hundred bytes; a notification of many alerts a few hundred kilobytes.
const MAX_REPORT_BYTES: usize = 64 << 10;
const MAX_ALERTS_BYTES: usize = 4 << 20;

/// Alertmanager's webhook: its bearer token is its own, not a Cairn API token (`auth::request`).
pub const ALERTMANAGER_PATH: &str = "/api/incidents/alertmanager";

/// PagerDuty's v3 webhook: signed with `dora.pagerduty.secret`, no Cairn credentials (`auth::request`).
pub const PAGERDUTY_PATH: &str = "/api/incidents/pagerduty";

/// `/api/dora/*` and `/api/incidents*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/dora/deployments",
            post(report_deployment).layer(DefaultBodyLimit::max(MAX_REPORT_BYTES)),
        )
        .route("/api/dora/metrics", get(metrics))
        .route("/api/dora/export/{file}", get(views::export))
        .route(
            "/api/incidents",
            get(views::list)
                .post(report_incident)
                .layer(DefaultBodyLimit::max(MAX_REPORT_BYTES)),
        )
        .route(
            ALERTMANAGER_PATH,
            post(alertmanager).layer(DefaultBodyLimit::max(MAX_ALERTS_BYTES)),
        )
        .route("/api/incidents/{id}/suspects", get(suspects))
        .route(
            "/api/incidents/{id}/links",
            post(decide).layer(DefaultBodyLimit::max(MAX_REPORT_BYTES)),
        )
        .route(
            PAGERDUTY_PATH,
            post(pagerduty).layer(DefaultBodyLimit::max(MAX_REPORT_BYTES)),
        )
}

/// `POST /api/dora/deployments`: 201 when recorded, 200 when the same id came again.
async fn report_deployment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = json_body(&body)?;
    authorize_report(&state, &caller, &body).await?;
    let done = state
        .delivery
        .report_deployment(&body, &caller.actor(), now_ms())
        .await
        .map_err(api_error)?;
    let id = body["id"].as_str().unwrap_or_default();
    if done == Upsert::Created {
        audit(&state, &caller, "deployment-report", id, None).await;
    }
    Ok(answer(done, id))
}

/// `POST /api/incidents`: 201 when recorded, 200 when the same id came again (a newly named
/// deployment is linked, a resolution recorded).
async fn report_incident(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = json_body(&body)?;
    authorize_report(&state, &caller, &body).await?;
    let done = state
        .delivery
        .report_incident(&body, &caller.actor(), now_ms())
        .await
        .map_err(api_error)?;
    let id = body["id"].as_str().unwrap_or_default();
    audit(&state, &caller, "incident-report", id, body["deployment"].as_str()).await;
    Ok(answer(done, id))
}

/// `POST /api/incidents/alertmanager`: Alertmanager's webhook, with the configured bearer token.
async fn alertmanager(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    let Some(expected) = state.delivery.settings.alertmanager_token.as_deref() else {
        return Err(ApiError::Unavailable(
            "Alertmanager's webhook is not configured here (dora.alertmanager.token)".into(),
        ));
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or_default()
        .trim();
    if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::Unauthorized(
            "the bearer token is not the one configured in dora.alertmanager.token".into(),
        ));
    }
    let applied = state.delivery.alertmanager(&body, now_ms()).await.map_err(api_error)?;
    Ok(Json(serde_json::to_value(applied).unwrap_or_default()))
}

/// `POST /api/incidents/pagerduty`: PagerDuty's v3 webhook; one of the `X-PagerDuty-Signature`
/// signatures must be the body's under the configured secret.
async fn pagerduty(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    let Some(secret) = state.delivery.settings.pagerduty_secret.as_deref() else {
        return Err(ApiError::Unavailable(
            "PagerDuty's webhook is not configured here (dora.pagerduty.secret)".into(),
        ));
    };
    let signature = headers
        .get("x-pagerduty-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !delivery::pagerduty::signed_by(secret, signature, &body) {
        tracing::warn!("PagerDuty webhook refused: bad or missing signature");
        return Err(ApiError::Unauthorized(
            "no X-PagerDuty-Signature signature matches dora.pagerduty.secret".into(),
        ));
    }
    let applied = state.delivery.pagerduty(&body, now_ms()).await.map_err(api_error)?;
    Ok(Json(serde_json::to_value(applied).unwrap_or_default()))
}

/// `GET /api/incidents/{id}/suspects`: the deployments suspected of causing it, ranked.
async fn suspects(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let entity = state.delivery.incident_entity(&id).await.map_err(api_error)?;
    authorize_entity(&state, &caller, Permission::CatalogRead, &entity).await?;
    let suspects = state.delivery.suspects(&id).await.map_err(api_error)?;
    Ok(Json(serde_json::to_value(suspects).unwrap_or_default()))
}

/// `POST /api/incidents/{id}/links` `{"deployment", "decision": "confirmed" | "rejected"}`:
/// an owner of the incident's entity (`incidents.link`) says whether a deployment caused it.
async fn decide(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body = json_body(&body)?;
    let entity = state.delivery.incident_entity(&id).await.map_err(api_error)?;
    authorize_entity(&state, &caller, Permission::IncidentLink, &entity).await?;
    let field = |name: &str| {
        body[name]
            .as_str()
            .filter(|v| !v.is_empty() && v.len() <= 400)
            .ok_or_else(|| ApiError::Input(format!("{name}: is required (a string)")))
    };
    let (deployment, decision) = (field("deployment")?, field("decision")?);
    state
        .delivery
        .decide(&id, deployment, decision, &caller.actor(), now_ms())
        .await
        .map_err(api_error)?;
    audit(
        &state,
        &caller,
        &format!("incident-link-{decision}"),
        &id,
        Some(deployment),
    )
    .await;
    Ok(Json(
        json!({"incident": id, "deployment": deployment, "decision": decision}),
    ))
}

#[derive(Deserialize)]
struct MetricsParams {
    entity: Option<String>,
    group: Option<String>,
    from: Option<String>,
    to: Option<String>,
    interval: Option<String>,
}

/// `GET /api/dora/metrics?entity=…|group=…&from=…&to=…&interval=day|week|month`.
async fn metrics(State(state): State<AppState>, Query(params): Query<MetricsParams>) -> Result<Json<Value>, ApiError> {
    let query = state
        .delivery
        .query(
            params.entity.as_deref(),
            params.group.as_deref(),
            (params.from.as_deref(), params.to.as_deref()),
            params.interval.as_deref(),
            now_ms(),
        )
        .map_err(api_error)?;
    let metrics = state.delivery.metrics(&query).await.map_err(api_error)?;
    Ok(Json(serde_json::to_value(metrics).unwrap_or_default()))
}

/// Reporting needs `events.report` (a token with `events:write`), judged by the entity's owners.
async fn authorize_report(state: &AppState, caller: &access::Principal, body: &Value) -> Result<(), ApiError> {
    let entity = body["entity"]
        .as_str()
        .and_then(|e| delivery::report::entity_ref(e, "entity").ok())
        .unwrap_or_default();
    authorize_entity(state, caller, Permission::EventsReport, &entity).await
}

fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::Input(format!("body: not JSON: {e}")))
}

fn answer(done: Upsert, id: &str) -> (StatusCode, Json<Value>) {
    let (status, created) = match done {
        Upsert::Created => (StatusCode::CREATED, true),
        _ => (StatusCode::OK, false),
    };
    (status, Json(json!({"id": id, "created": created})))
}

fn api_error(err: DeliveryError) -> ApiError {
    match err {
        DeliveryError::Invalid { .. } => ApiError::Input(err.to_string()),
        DeliveryError::Conflict(m) => ApiError::Conflict(m),
        DeliveryError::NotFound(m) => ApiError::NotFound(m),
        DeliveryError::Store(e) => ApiError::Internal(e.to_string()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
