//! `POST /v2/dry-run`: runs a template given in the body (with its files) without publishing
//! anything and returns the log, the generated files and the output, in Backstage's shape, and
//! (Cairn's own field) `costEstimates`: what each generated Helm chart will request per month.

use axum::{Json, extract::State};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::api_error;
use crate::http::catalog::ApiError;
use crate::state::AppState;

/// Largest dry-run request body (the template's files travel in it, base64-encoded).
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DryRunRequest {
    template: Value,
    #[serde(default)]
    values: Map<String, Value>,
    #[serde(default)]
    directory_contents: Vec<FileContents>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileContents {
    path: String,
    base64_content: String,
}

/// `{log: [{body}], directoryContents: [{path, base64Content, executable}], output, steps}`;
/// a run that failed answers 400 with the error and the same log.
pub async fn run(
    State(state): State<AppState>,
    crate::auth::request::Caller(caller): crate::auth::request::Caller,
    Json(body): Json<DryRunRequest>,
) -> Result<Json<Value>, ApiError> {
    // The template travels in the body: it has no owner in the catalog to judge by.
    crate::http::access::authorize(&state, &caller, access::Permission::TemplateRun, &[])?;
    let engine = base64::engine::general_purpose::STANDARD;
    let files = body
        .directory_contents
        .iter()
        .map(|f| {
            engine
                .decode(&f.base64_content)
                .map(|bytes| (f.path.clone(), bytes))
                .map_err(|e| ApiError::Input(format!("directoryContents `{}`: not base64: {e}", f.path)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let report = state
        .scaffolder
        .dry_run_entity(&body.template, &body.values, &files)
        .await
        .map_err(api_error)?;
    let steps: Vec<Value> = templates::model::Template::from_entity(&body.template)
        .map(|t| {
            t.steps
                .iter()
                .map(|s| json!({"id": s.id, "name": s.name, "action": s.action}))
                .collect()
        })
        .unwrap_or_default();
    let log: Vec<Value> = report.log.iter().map(|body| json!({ "body": body })).collect();
    if let Some(error) = report.error {
        return Err(ApiError::Input(format!("the dry run failed: {error}")));
    }
    // Cairn's own: what each generated chart will request per month (`cost::estimate`).
    let texts: Vec<(&str, &str)> = report
        .files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), f.text.as_deref()?)))
        .collect();
    let cluster = body.values.get("cluster").and_then(Value::as_str);
    let estimates = cost::estimate::from_files(&texts, cluster, &state.cost_settings.prices);
    let contents: Vec<Value> = report
        .files
        .iter()
        .filter_map(|f| {
            let (_, bytes) = report.contents.iter().find(|(path, _)| *path == f.path)?;
            Some(json!({"path": f.path, "executable": f.executable, "base64Content": engine.encode(bytes)}))
        })
        .collect();
    Ok(Json(
        json!({"log": log, "directoryContents": contents, "output": report.output, "steps": steps, "costEstimates": estimates}),
    ))
}
