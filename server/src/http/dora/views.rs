//! What the Delivery pages show, as data: `GET /api/incidents` (a scope's incidents in a range,
//! bounded) and `GET /api/dora/export/{table}.{csv|json}` (each table of the pages: deployments,
//! series, breakdown, incidents; the same query as the metrics).

use access::Permission;
use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use catalog::store::now_ms;
use delivery::export::{Table, rows};
use serde::Deserialize;
use serde_json::Value;

use super::{MetricsParams, api_error};
use crate::auth::request::Caller;
use crate::http::access::authorize;
use crate::http::catalog::ApiError;
use crate::state::AppState;

/// The metrics' parameters and `limit` (a string: `serde(flatten)` cannot read numbers from a
/// query).
#[derive(Deserialize)]
pub(super) struct IncidentParams {
    #[serde(flatten)]
    scope: MetricsParams,
    limit: Option<String>,
}

/// `GET /api/incidents?entity=…|group=…&from=…&to=…&limit=…`: newest first, at most
/// `delivery::MAX_INCIDENTS` (`truncated` says when more started in the range).
pub(super) async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(params): Query<IncidentParams>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &caller, Permission::CatalogRead, &[])?;
    let query = parse(&state, &params.scope)?;
    let limit = match params.limit.as_deref() {
        None => delivery::MAX_INCIDENTS,
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::Input(format!("limit: `{l}` is not a number")))?,
    };
    let list = state.delivery.incidents(&query, limit).await.map_err(api_error)?;
    Ok(Json(serde_json::to_value(list).unwrap_or_default()))
}

/// `GET /api/dora/export/{table}.csv|.json?entity=…|group=…&from=…&to=…&interval=…`.
pub(super) async fn export(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(file): Path<String>,
    Query(params): Query<MetricsParams>,
) -> Result<Response, ApiError> {
    authorize(&state, &caller, Permission::CatalogRead, &[])?;
    let (name, format) = file
        .rsplit_once('.')
        .filter(|(_, f)| matches!(*f, "csv" | "json"))
        .ok_or_else(|| ApiError::NotFound(format!("no export {file}: ask for <table>.csv or <table>.json")))?;
    let table = Table::parse(name)
        .ok_or_else(|| ApiError::NotFound(format!("no table {name}: deployments, series, breakdown or incidents")))?;
    let query = parse(&state, &params)?;
    let metrics = state.delivery.metrics(&query).await.map_err(api_error)?;
    let incidents = if table == Table::Incidents {
        Some(
            state
                .delivery
                .incidents(&query, delivery::MAX_INCIDENTS)
                .await
                .map_err(api_error)?,
        )
    } else {
        None
    };
    let rows = rows(table, &metrics, incidents.as_ref());
    let disposition = format!(
        "attachment; filename=\"delivery-{}-{}.{format}\"",
        metrics.scope,
        table.name()
    );
    Ok(if format == "csv" {
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            rows.csv(),
        )
            .into_response()
    } else {
        ([(header::CONTENT_DISPOSITION, disposition)], Json(rows.json())).into_response()
    })
}

fn parse(state: &AppState, params: &MetricsParams) -> Result<delivery::MetricsQuery, ApiError> {
    state
        .delivery
        .query(
            params.entity.as_deref(),
            params.group.as_deref(),
            (params.from.as_deref(), params.to.as_deref()),
            params.interval.as_deref(),
            now_ms(),
        )
        .map_err(api_error)
}
