//! `POST /v2/dry-run`: runs a template given in the body (with its files) without publishing
//! anything and returns the log, the generated files and the output.

use axum::{Json, extract::State};
use serde_json::Value;

use crate::http::catalog::ApiError;
use crate::state::AppState;

pub async fn run(State(_state): State<AppState>, Json(_body): Json<Value>) -> Result<Json<Value>, ApiError> {
    Err(ApiError::Input("dry runs are not available yet".into()))
}
