//! The scaffolder as the server's handlers and the pages' server functions see it: templates read
//! from the catalog and checked, tasks created (never run inside a request), their state and
//! events, cancelling, dry runs.

mod expressions;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use catalog::model::filter::Filter;
use catalog::service::Catalog;
use catalog::store::PageRequest;

use crate::actions::{Registry, Services};
use crate::dry_run::{DryRunReport, dry_run};
use crate::model::schema::{self, FieldError};
use crate::model::{ModelError, Template, support};
use crate::render::Renderer;
use crate::store::{EventRow, StoreError, TaskRow, TaskStore};
use crate::workspace::{Limits, Workspace};

/// Where tasks work and how they are run.
#[derive(Clone, Debug)]
pub struct ScaffolderConfig {
    /// Task workspaces are created below it (and removed when the task ends).
    pub work_dir: PathBuf,
    /// Tasks run side by side by this process.
    pub workers: usize,
    /// How long a claim on a task lasts unless renewed: how soon another replica recovers the
    /// task of one that died.
    pub lease: Duration,
    pub limits: Limits,
}

impl Default for ScaffolderConfig {
    fn default() -> Self {
        ScaffolderConfig {
            work_dir: PathBuf::from("data/scaffolder"),
            workers: 2,
            lease: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }
}

/// What a caller did wrong, or what failed.
#[derive(Debug, thiserror::Error)]
pub enum ScaffolderError {
    #[error("{0}")]
    NotFound(String),
    /// The values do not fit the form: one error per field.
    #[error("the values do not fit the template's form: {}", .0.iter().map(|e| format!("{}: {}", e.path, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The template uses what Cairn lacks, or is malformed: one error per field.
    #[error("the template cannot run in Cairn: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Unsupported(Vec<ModelError>),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Catalog(#[from] catalog::store::StoreError),
}

/// A template for the gallery, with whatever keeps it from running.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateSummary {
    pub template: Template,
    pub problems: Vec<ModelError>,
}

/// The scaffolder service (one per process; shared by handlers, pages and workers).
pub struct Scaffolder {
    pub store: TaskStore,
    pub catalog: Arc<Catalog>,
    pub registry: Registry,
    pub services: Arc<Services>,
    pub config: ScaffolderConfig,
    /// Bumped whenever this process stores task events: wakes event streams at once (streams of
    /// other replicas' tasks poll).
    changes: tokio::sync::watch::Sender<u64>,
    /// Wakes the workers when a task is created here.
    pub(crate) wake: tokio::sync::Notify,
}

impl Scaffolder {
    pub fn new(catalog: Arc<Catalog>, services: Services, config: ScaffolderConfig) -> Arc<Scaffolder> {
        Arc::new(Scaffolder {
            store: TaskStore::new(catalog.store.clone()),
            catalog,
            registry: Registry::builtin(),
            services: Arc::new(services),
            config,
            changes: tokio::sync::watch::channel(0).0,
            wake: tokio::sync::Notify::new(),
        })
    }

    /// Everything in a template Cairn cannot run (actions, fields, schema errors: `support::check`
    /// includes `schema::check_schema`).
    pub fn problems(&self, template: &Template) -> Vec<ModelError> {
        let mut problems = support::check(template, &self.registry.ids());
        problems.extend(expressions::problems(
            template,
            &Renderer::new(self.config.limits.render_fuel),
        ));
        problems
    }

    /// Every template in the catalog, by title.
    pub async fn templates(&self) -> Result<Vec<TemplateSummary>, ScaffolderError> {
        let request = PageRequest {
            filter: Some(Filter::Field {
                key: "kind".into(),
                values: vec!["template".into()],
            }),
            full_text: None,
            full_text_fields: Vec::new(),
            order: Vec::new(),
            limit: catalog::store::MAX_LIMIT,
            offset: 0,
            after: None,
            backwards: false,
        };
        let page = self.catalog.store.list_entities(&request).await?;
        let mut summaries: Vec<TemplateSummary> = page
            .items
            .iter()
            .filter_map(|entity| match Template::from_entity(entity) {
                Ok(template) => Some(TemplateSummary {
                    problems: self.problems(&template),
                    template,
                }),
                // Older template versions (v1beta2) are listed by the catalog but not runnable.
                Err(_) => None,
            })
            .collect();
        summaries.sort_by(|a, b| a.template.title.to_lowercase().cmp(&b.template.title.to_lowercase()));
        Ok(summaries)
    }

    /// One template and its problems; `None` when the catalog has no such template.
    pub async fn template(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<(Template, Value, Vec<ModelError>)>, ScaffolderError> {
        let entity_ref = format!("template:{namespace}/{name}").to_lowercase();
        let Some(entity) = self
            .catalog
            .store
            .entities_by_refs(&[entity_ref])
            .await?
            .pop()
            .flatten()
        else {
            return Ok(None);
        };
        let template = Template::from_entity(&entity).map_err(|e| ScaffolderError::Unsupported(vec![e]))?;
        let problems = self.problems(&template);
        Ok(Some((template, entity, problems)))
    }

    /// Backstage's parameter-schema body: `{title, description, steps: [{title, description, schema}]}`.
    pub fn parameter_schema(template: &Template) -> Value {
        json!({
            "title": template.title,
            "description": template.description,
            "steps": template.pages.iter().map(|p| json!({
                "title": p.title.clone().unwrap_or_else(|| "Fill in some steps".into()),
                "description": p.description,
                "schema": p.schema,
            })).collect::<Vec<_>>(),
        })
    }

    /// Checks the values and stores a task for a worker to run; returns its id.
    pub async fn create_task(
        &self,
        template_ref: &str,
        values: Map<String, Value>,
        user: Option<&str>,
    ) -> Result<String, ScaffolderError> {
        let (namespace, name) = parse_template_ref(template_ref)?;
        let (template, entity, problems) = self
            .template(&namespace, &name)
            .await?
            .ok_or_else(|| ScaffolderError::NotFound(format!("there is no template {template_ref} in the catalog")))?;
        if !problems.is_empty() {
            return Err(ScaffolderError::Unsupported(problems));
        }
        let values = schema::with_defaults(&template.pages, &values);
        let invalid = schema::validate(&template.pages, &values);
        if !invalid.is_empty() {
            return Err(ScaffolderError::Invalid(invalid));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let spec = json!({
            "apiVersion": entity.get("apiVersion"),
            "steps": entity["spec"]["steps"],
            "output": entity["spec"].get("output").cloned().unwrap_or(json!({})),
            "parameters": values,
            "templateInfo": {"entityRef": template.entity_ref, "baseUrl": template.base_url, "entity": entity},
            "user": {"ref": user},
        });
        self.store.create(&id, &spec, &template.entity_ref, user).await?;
        self.wake.notify_one();
        Ok(id)
    }

    pub async fn task(&self, id: &str) -> Result<Option<TaskRow>, ScaffolderError> {
        Ok(self.store.task(id).await?)
    }

    pub async fn events(&self, id: &str, after: i64) -> Result<Vec<EventRow>, ScaffolderError> {
        Ok(self.store.events(id, after, 1000).await?)
    }

    /// Asks a task to stop; returns its status after the request.
    pub async fn cancel(&self, id: &str) -> Result<String, ScaffolderError> {
        let status = self
            .store
            .request_cancel(id)
            .await?
            .ok_or_else(|| ScaffolderError::NotFound(format!("there is no task {id}")))?;
        self.changed();
        Ok(status)
    }

    /// Dry-runs a template entity (`POST /v2/dry-run`). `files` are the template's own files
    /// (Backstage's `directoryContents`), against which `./skeleton` resolves; without them the
    /// template's registered location is used.
    pub async fn dry_run_entity(
        &self,
        entity: &Value,
        values: &Map<String, Value>,
        files: &[(String, Vec<u8>)],
    ) -> Result<DryRunReport, ScaffolderError> {
        let mut template = Template::from_entity(entity).map_err(|e| ScaffolderError::Unsupported(vec![e]))?;
        let problems = self.problems(&template);
        if !problems.is_empty() {
            return Err(ScaffolderError::Unsupported(problems));
        }
        let dir = self
            .config
            .work_dir
            .join(format!("dry-run-{}", uuid::Uuid::new_v4().simple()));
        let _cleanup = RemoveOnDrop(dir.clone());
        if !files.is_empty() {
            // The template's files go through a workspace too: no path may leave it.
            let source = Workspace::new(dir.join("template"), self.config.limits.clone());
            std::fs::create_dir_all(source.root()).map_err(|e| ScaffolderError::BadRequest(e.to_string()))?;
            for (path, bytes) in files {
                source
                    .write(path, bytes)
                    .map_err(|e| ScaffolderError::BadRequest(format!("directoryContents: {e}")))?;
            }
            template.base_url = Some(source.root().join("template.yaml").display().to_string());
        }
        let out = dir.join("workspace");
        let mut report = dry_run(
            template,
            values,
            &self.registry,
            self.services.clone(),
            &out,
            self.config.limits.clone(),
        )
        .await
        .map_err(|e| ScaffolderError::BadRequest(e.to_string()))?;
        // Read before the directory goes; the workspace limits bound the total.
        for file in &report.files {
            if let Ok(bytes) = std::fs::read(out.join(&file.path)) {
                report.contents.push((file.path.clone(), bytes));
            }
        }
        Ok(report)
    }

    /// Dry-runs a catalog template (the wizard's preview).
    pub async fn dry_run_template(
        &self,
        namespace: &str,
        name: &str,
        values: &Map<String, Value>,
    ) -> Result<DryRunReport, ScaffolderError> {
        let (_, entity, _) = self
            .template(namespace, name)
            .await?
            .ok_or_else(|| ScaffolderError::NotFound(format!("there is no template {namespace}/{name}")))?;
        self.dry_run_entity(&entity, values, &[]).await
    }

    /// Event streams wait on this to hear about new events stored by this process.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    pub(crate) fn changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }
}

/// A directory removed when the value goes out of scope.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `template:ns/name`, `ns/name` or `name` → (namespace, name).
pub fn parse_template_ref(entity_ref: &str) -> Result<(String, String), ScaffolderError> {
    let rest = entity_ref.strip_prefix("template:").unwrap_or(entity_ref);
    if entity_ref.contains(':') && !entity_ref.to_lowercase().starts_with("template:") {
        return Err(ScaffolderError::BadRequest(format!(
            "`{entity_ref}` is not a template reference"
        )));
    }
    let (namespace, name) = rest.split_once('/').unwrap_or(("default", rest));
    if name.is_empty() || namespace.is_empty() {
        return Err(ScaffolderError::BadRequest(format!(
            "`{entity_ref}` is not a template reference"
        )));
    }
    Ok((namespace.to_lowercase(), name.to_lowercase()))
}
