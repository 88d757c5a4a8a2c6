//! The actions a step can call (one file per family) and the registry the runner, the API's
//! `GET /v2/actions` and the template check read.

pub mod catalog_register;
pub mod debug;
pub mod fetch;
pub mod fs;
pub mod publish_git;
pub mod publish_github;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::model::Template;
use crate::render::{RenderError, Renderer};
use crate::runner::RunEvent;
use crate::workspace::{Limits, Workspace, WorkspaceError};

/// Why an action failed, in words a template author can act on.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// An input is missing or has the wrong shape: names the input.
    #[error("input `{field}`: {message}")]
    Input { field: String, message: String },
    #[error("{0}")]
    Failed(String),
    #[error("the task was cancelled")]
    Cancelled,
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("{0}")]
    Render(#[from] RenderError),
}

impl ActionError {
    pub fn input(field: impl Into<String>, message: impl Into<String>) -> ActionError {
        ActionError::Input {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What an action's `run` returns: its output (`steps.<id>.output`).
pub type ActionFuture<'a> = Pin<Box<dyn Future<Output = Result<Map<String, Value>, ActionError>> + Send + 'a>>;

/// One scaffolder action (`fetch:template`, `publish:github`…).
pub trait Action: Send + Sync {
    fn id(&self) -> &'static str;
    fn description(&self) -> &'static str;
    /// JSON Schema of the input, as `GET /api/scaffolder/v2/actions` shows it.
    fn input_schema(&self) -> Value;
    /// JSON Schema of the output.
    fn output_schema(&self) -> Value {
        json!({"type": "object", "properties": {}})
    }
    /// Whether a dry run calls it. Actions that reach the outside world say `true` only when they
    /// then do nothing but compute and log what they would have done.
    fn supports_dry_run(&self) -> bool {
        false
    }
    fn run<'a>(&'a self, ctx: &'a ActionContext, input: Map<String, Value>) -> ActionFuture<'a>;
}

/// What the server lends the actions: credentials per Git host, the GitHub API, the catalog.
#[derive(Clone, Default)]
pub struct Services {
    /// Tokens per host for `git` (publishing and fetching remote skeletons), cache for fetches.
    pub git: catalog::ingest::git::GitSettings,
    /// GitHub hosts and their API (`integrations.github`).
    pub github: Vec<catalog::ingest::github::GithubIntegration>,
    /// The catalog `catalog:register` registers into; absent in a command-line dry run.
    pub catalog: Option<Arc<catalog::service::Catalog>>,
    pub limits: Limits,
}

/// Everything one step's action may use.
pub struct ActionContext {
    pub task_id: String,
    pub step_id: String,
    pub workspace: Workspace,
    pub template: Arc<Template>,
    pub renderer: Renderer,
    pub dry_run: bool,
    /// The person running the template (`user:namespace/name`), when known.
    pub user: Option<String>,
    pub services: Arc<Services>,
    pub events: tokio::sync::mpsc::UnboundedSender<RunEvent>,
    pub cancel: tokio::sync::watch::Receiver<bool>,
}

impl ActionContext {
    /// A line of the step's log, streamed to the task page.
    pub fn log(&self, message: impl Into<String>) {
        let _ = self.events.send(RunEvent::Log {
            step: Some(self.step_id.clone()),
            message: message.into(),
        });
    }

    /// Records something done outside the workspace (a repository created, a branch pushed) at
    /// once, so that a task that fails or dies later still says what it left behind.
    pub fn side_effect(&self, description: impl Into<String>) {
        let _ = self.events.send(RunEvent::SideEffect {
            step: self.step_id.clone(),
            description: description.into(),
        });
    }

    /// `Err(Cancelled)` once the task has been cancelled: long actions call it between stages.
    pub fn check_cancelled(&self) -> Result<(), ActionError> {
        if *self.cancel.borrow() {
            Err(ActionError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Reads a required text input.
pub fn required_str<'a>(input: &'a Map<String, Value>, field: &str) -> Result<&'a str, ActionError> {
    match input.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(ActionError::input(field, "is required")),
        Some(_) => Err(ActionError::input(field, "must be text")),
    }
}

/// Reads an optional text input.
pub fn optional_str<'a>(input: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, ActionError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ActionError::input(field, "must be text")),
    }
}

/// Every action Cairn offers, by id.
#[derive(Clone)]
pub struct Registry {
    actions: Vec<Arc<dyn Action>>,
}

impl Registry {
    /// The built-in actions.
    pub fn builtin() -> Registry {
        let mut actions: Vec<Arc<dyn Action>> = Vec::new();
        actions.extend(fetch::actions());
        actions.extend(fs::actions());
        actions.extend(debug::actions());
        actions.extend(publish_git::actions());
        actions.extend(publish_github::actions());
        actions.extend(catalog_register::actions());
        actions.sort_by_key(|a| a.id());
        Registry { actions }
    }

    pub fn get(&self, id: &str) -> Option<&Arc<dyn Action>> {
        self.actions.iter().find(|a| a.id() == id)
    }

    pub fn ids(&self) -> Vec<&'static str> {
        self.actions.iter().map(|a| a.id()).collect()
    }

    /// Backstage's `GET /v2/actions` body: `[{id, description, schema: {input, output}}]`.
    pub fn describe(&self) -> Value {
        Value::Array(
            self.actions
                .iter()
                .map(|a| {
                    json!({
                        "id": a.id(),
                        "description": a.description(),
                        "schema": {"input": a.input_schema(), "output": a.output_schema()},
                        "examples": [],
                    })
                })
                .collect(),
        )
    }
}
