//! Probes for load balancers and Kubernetes: `/healthz` says the process is up, `/readyz` that it
//! can serve (database reachable, schema current).

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use crate::state::AppState;

/// Liveness: no I/O, so a slow database never gets the process killed.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: 200 when the database answers and every migration is applied, 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = state.db.dialect().display_name();
    let check = async {
        state.db.ping().await?;
        state.db.schema_state().await
    };
    match check.await {
        Ok(schema) if schema.pending == 0 => (
            StatusCode::OK,
            Json(json!({"status": "ready", "database": database, "schema_version": schema.applied_version})),
        ),
        Ok(schema) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "not ready",
                "database": database,
                "reason": format!("{} database migration(s) not applied", schema.pending),
            })),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "not ready", "database": database, "reason": "database unreachable"})),
            )
        }
    }
}
