//! Dry runs: a template run into a throw-away workspace with nothing published, giving every
//! generated file. Used by `POST /v2/dry-run`, the wizard's preview and `cairn template dry-run`.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actions::{Registry, Services};
use crate::model::{Template, schema};
use crate::runner::{self, Run};
use crate::workspace::{GeneratedFile, Limits, Workspace};

/// What a dry run produced: the files, the log (Backstage's event bodies), the rendered output,
/// and the error that stopped it, if any.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DryRunReport {
    pub files: Vec<GeneratedFile>,
    pub log: Vec<Value>,
    pub output: Map<String, Value>,
    pub error: Option<String>,
    /// Every file's bytes, by path, when the caller asked for them (the API sends them back).
    #[serde(skip)]
    pub contents: Vec<(String, Vec<u8>)>,
}

/// A dry run that could not start: the template file or the values could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("{0}")]
    Workspace(String),
}

/// Runs `template` with `values` into `dir` (created, and expected empty) with nothing published.
pub async fn dry_run(
    template: Template,
    values: &Map<String, Value>,
    registry: &Registry,
    services: Arc<Services>,
    dir: &Path,
    limits: Limits,
) -> Result<DryRunReport, DryRunError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| DryRunError::Workspace(format!("cannot create {}: {e}", dir.display())))?;
    let values = schema::with_defaults(&template.pages, values);
    let names: Vec<(String, String)> = template.steps.iter().map(|s| (s.id.clone(), s.name.clone())).collect();
    let workspace = Workspace::new(dir.to_path_buf(), limits);
    let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
    let (_cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let run = Run {
        task_id: format!("dry-run-{}", uuid::Uuid::new_v4().simple()),
        template: Arc::new(template),
        values,
        user: None,
        dry_run: true,
        workspace: workspace.clone(),
    };
    let result = runner::run(run, registry, services, events_tx, cancel_rx).await;
    let mut log = Vec::new();
    while let Ok(event) = events_rx.try_recv() {
        log.push(crate::worker::event_body(&event, &names));
    }
    let files = workspace.files().map_err(|e| DryRunError::Workspace(e.to_string()))?;
    Ok(match result {
        Ok(out) => DryRunReport {
            files,
            log,
            output: out.output,
            error: None,
            contents: Vec::new(),
        },
        Err(err) => DryRunReport {
            files,
            log,
            output: Map::new(),
            error: Some(err.to_string()),
            contents: Vec::new(),
        },
    })
}

/// `cairn template dry-run`: reads the template file (its first Template document), runs it with
/// `values` and leaves the generated files in `out`. Skeletons resolve next to the file.
pub async fn dry_run_file(
    template_yaml: &Path,
    values: Map<String, Value>,
    out: &Path,
) -> Result<DryRunReport, DryRunError> {
    let template = read_template(template_yaml)?;
    if out.exists() && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(DryRunError::Workspace(format!(
            "{} exists and is not empty",
            out.display()
        )));
    }
    let services = Services {
        git: catalog::ingest::git::GitSettings {
            cache_dir: std::env::temp_dir().join("cairn-dry-run-git"),
            allow_file: true,
            ..Default::default()
        },
        ..Default::default()
    };
    dry_run(
        template,
        &values,
        &Registry::builtin(),
        Arc::new(services),
        out,
        Limits::default(),
    )
    .await
}

/// The first `kind: Template` document of a file, with its location as the base for `./` URLs.
pub fn read_template(path: &Path) -> Result<Template, DryRunError> {
    let fail = |message: String| DryRunError::Read {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let documents = catalog::read::documents::read_documents(&bytes, &catalog::read::documents::ReadLimits::default())
        .map_err(|e| fail(e.to_string()))?;
    for document in documents {
        let value = document
            .value
            .map_err(|e| fail(format!("line {}: {}", e.line, e.message)))?;
        let Some(value) = value else { continue };
        if value.get("kind").and_then(Value::as_str) != Some("Template") {
            continue;
        }
        let mut template =
            Template::from_entity(&value).map_err(|e| fail(format!("line {}: {e}", document.first_line)))?;
        let absolute = std::path::absolute(path).map_err(|e| fail(e.to_string()))?;
        template.base_url = Some(absolute.display().to_string());
        return Ok(template);
    }
    Err(fail("has no `kind: Template` document".into()))
}

/// Values for a dry run from a YAML or JSON file (a mapping of parameter names to values).
pub fn read_values(path: &Path) -> Result<Map<String, Value>, DryRunError> {
    let fail = |message: String| DryRunError::Read {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let documents = catalog::read::documents::read_documents(&bytes, &catalog::read::documents::ReadLimits::default())
        .map_err(|e| fail(e.to_string()))?;
    match documents.into_iter().next().map(|d| d.value) {
        None | Some(Ok(None)) => Ok(Map::new()),
        Some(Ok(Some(Value::Object(values)))) => Ok(values),
        Some(Ok(Some(_))) => Err(fail("must be a mapping of parameter names to values".into())),
        Some(Err(e)) => Err(fail(format!("line {}: {}", e.line, e.message))),
    }
}

/// Log lines for people: one per event, `[step] message`.
pub fn log_lines(log: &[Value]) -> Vec<String> {
    log.iter()
        .map(|body| {
            let message = body.get("message").and_then(Value::as_str).unwrap_or_default();
            match body.get("stepId").and_then(Value::as_str) {
                Some(step) => format!("[{step}] {message}"),
                None => message.to_string(),
            }
        })
        .collect()
}
