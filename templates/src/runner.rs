//! Runs a template's steps in order: values checked against the form, each step's `if` and `each`
//! evaluated, its input rendered, its action called, its output kept for the next steps; then
//! `spec.output` rendered. Progress goes out as [`RunEvent`]s (the worker stores them, the
//! command-line dry run prints them).

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc::UnboundedSender, watch};

use crate::actions::{ActionContext, ActionError, Registry, Services};
use crate::model::schema::{self, FieldError};
use crate::model::{ModelError, Template, support};
use crate::render::{RenderError, Renderer};
use crate::workspace::Workspace;

/// What happens during a run, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RunEvent {
    Log {
        step: Option<String>,
        message: String,
    },
    StepStarted {
        step: String,
    },
    StepFinished {
        step: String,
        status: StepStatus,
        duration_ms: u64,
    },
    /// Something done outside the workspace (a repository created): kept even if the task dies.
    SideEffect {
        step: String,
        description: String,
    },
}

/// How a step ended (Backstage's step statuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Completed,
    Failed,
    Skipped,
    Cancelled,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the template cannot run in Cairn: {}", join(.0))]
    Unsupported(Vec<ModelError>),
    #[error("the values do not fit the template's form: {}", join(.0.iter().map(|e| format!("{}: {}", e.path, e.message))))]
    Invalid(Vec<FieldError>),
    #[error("step `{step}` ({action}): {source}")]
    Step {
        step: String,
        action: String,
        source: ActionError,
    },
    #[error("{field}: {source}")]
    Render { field: String, source: RenderError },
    #[error("the task was cancelled")]
    Cancelled,
    #[error("the task took longer than its limit of {0} s and was stopped")]
    TimedOut(u64),
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items.into_iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; ")
}

/// One run of a template.
pub struct Run {
    pub task_id: String,
    pub template: Arc<Template>,
    pub values: Map<String, Value>,
    /// `user:namespace/name` of the person running it, and their entity when the catalog has it.
    pub user: Option<(String, Value)>,
    pub dry_run: bool,
    pub workspace: Workspace,
}

/// A run's result: `spec.output` rendered (`links`, `text`, other values).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    pub output: Map<String, Value>,
}

/// Where the run stands: the next step to run and the outputs so far.
struct Progress {
    context: Value,
}

/// Runs every step. Cancelling (`cancel` set to true) stops at the next step boundary or at the
/// action's next check; the limits' `max_duration` stops the whole run.
pub async fn run(
    run: Run,
    registry: &Registry,
    services: Arc<Services>,
    events: UnboundedSender<RunEvent>,
    cancel: watch::Receiver<bool>,
) -> Result<RunOutput, RunError> {
    let problems = support::check(&run.template, &registry.ids());
    if !problems.is_empty() {
        return Err(RunError::Unsupported(problems));
    }
    let invalid = schema::validate(&run.template.pages, &run.values);
    if !invalid.is_empty() {
        return Err(RunError::Invalid(invalid));
    }
    let limit = run.workspace.limits().max_duration;
    match tokio::time::timeout(limit, steps(&run, registry, services, events, cancel)).await {
        Ok(result) => result,
        Err(_) => Err(RunError::TimedOut(limit.as_secs())),
    }
}

async fn steps(
    run: &Run,
    registry: &Registry,
    services: Arc<Services>,
    events: UnboundedSender<RunEvent>,
    cancel: watch::Receiver<bool>,
) -> Result<RunOutput, RunError> {
    let renderer = Renderer::new(run.workspace.limits().render_fuel);
    let (user_ref, user_entity) = run.user.clone().unwrap_or_default();
    let mut progress = Progress {
        context: json!({
            "parameters": run.values,
            "steps": {},
            "user": {"ref": user_ref, "entity": user_entity},
            "context": {"task": {"id": run.task_id}, "isDryRun": run.dry_run},
        }),
    };
    for (index, step) in run.template.steps.iter().enumerate() {
        if *cancel.borrow() {
            return Err(RunError::Cancelled);
        }
        let field = |f: &str| format!("spec.steps.{index}{f}");
        let started = Instant::now();
        let _ = events.send(RunEvent::StepStarted { step: step.id.clone() });
        let finish = |status| {
            let _ = events.send(RunEvent::StepFinished {
                step: step.id.clone(),
                status,
                duration_ms: started.elapsed().as_millis() as u64,
            });
        };
        if let Some(condition) = &step.condition {
            let go = renderer
                .condition(condition, &progress.context)
                .map_err(|source| RunError::Render {
                    field: field(".if"),
                    source,
                })?;
            if !go {
                let _ = events.send(RunEvent::Log {
                    step: Some(step.id.clone()),
                    message: "Skipped: its `if` is false".into(),
                });
                finish(StepStatus::Skipped);
                continue;
            }
        }
        let action = registry.get(&step.action).ok_or_else(|| {
            RunError::Unsupported(vec![ModelError::at(
                field(".action"),
                format!("unknown action `{}`", step.action),
            )])
        })?;
        let items = match &step.each {
            None => vec![None],
            Some(each) => each_items(&renderer, each, &progress.context).map_err(|source| RunError::Render {
                field: field(".each"),
                source,
            })?,
        };
        let mut outputs = Vec::new();
        for item in items {
            // Rendering is CPU work: give the runtime back between items, so this task's event
            // recorder and heartbeat (and everything else on this thread) keep running.
            tokio::task::yield_now().await;
            if *cancel.borrow() {
                finish(StepStatus::Cancelled);
                return Err(RunError::Cancelled);
            }
            // `each` is set in place: cloning the whole context per item would cost the size of
            // the values for every item.
            if let Some(item) = item {
                progress.context["each"] = item;
            }
            let input = renderer
                .value(&Value::Object(step.input.clone()), &progress.context)
                .map_err(|source| RunError::Render {
                    field: field(".input"),
                    source,
                })?;
            let Value::Object(input) = input else {
                return Err(RunError::Render {
                    field: field(".input"),
                    source: RenderError {
                        message: "must render to a mapping".into(),
                        line: None,
                    },
                });
            };
            if run.dry_run && !action.supports_dry_run() {
                let _ = events.send(RunEvent::Log {
                    step: Some(step.id.clone()),
                    message: format!("Skipping because {} does not support dry-run", action.id()),
                });
                outputs.push(Map::new());
                continue;
            }
            let ctx = ActionContext {
                task_id: run.task_id.clone(),
                step_id: step.id.clone(),
                workspace: run.workspace.clone(),
                template: run.template.clone(),
                renderer: renderer.clone(),
                dry_run: run.dry_run,
                user: run.user.as_ref().map(|(r, _)| r.clone()),
                services: services.clone(),
                events: events.clone(),
                cancel: cancel.clone(),
            };
            // Cancelling stops the action where it is (its future is dropped, child processes
            // with it), not only between steps.
            let mut cancelled = cancel.clone();
            let result = tokio::select! {
                result = action.run(&ctx, input) => result,
                _ = cancelled.wait_for(|c| *c) => Err(ActionError::Cancelled),
            };
            match result {
                Ok(output) => outputs.push(output),
                Err(ActionError::Cancelled) => {
                    finish(StepStatus::Cancelled);
                    return Err(RunError::Cancelled);
                }
                Err(source) => {
                    let _ = events.send(RunEvent::Log {
                        step: Some(step.id.clone()),
                        message: format!("Error: {source}"),
                    });
                    finish(StepStatus::Failed);
                    return Err(RunError::Step {
                        step: step.id.clone(),
                        action: step.action.clone(),
                        source,
                    });
                }
            }
        }
        if let Some(context) = progress.context.as_object_mut() {
            context.remove("each");
        }
        // An `each` step's output is the list of its iterations' outputs, as in Backstage.
        let output = match (&step.each, outputs.len()) {
            (None, _) => Value::Object(outputs.pop().unwrap_or_default()),
            (Some(_), _) => Value::Array(outputs.into_iter().map(Value::Object).collect()),
        };
        progress.context["steps"][&step.id] = json!({ "output": output });
        finish(StepStatus::Completed);
    }
    let output = renderer
        .value(&Value::Object(run.template.output.clone()), &progress.context)
        .map_err(|source| RunError::Render {
            field: "spec.output".into(),
            source,
        })?;
    Ok(RunOutput {
        output: output.as_object().cloned().unwrap_or_default(),
    })
}

/// `each` rendered: a list gives `{key: index, value}` items, a mapping `{key, value}` per entry.
fn each_items(renderer: &Renderer, each: &Value, context: &Value) -> Result<Vec<Option<Value>>, RenderError> {
    let items = match renderer.value(each, context)? {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| Some(json!({"key": i.to_string(), "value": v})))
            .collect(),
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| Some(json!({"key": k, "value": v})))
            .collect(),
        _ => {
            return Err(RenderError {
                message: "must give a list or a mapping".into(),
                line: None,
            });
        }
    };
    Ok(items)
}
