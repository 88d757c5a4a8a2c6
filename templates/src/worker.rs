//! The task workers: each claims the oldest open task from the database (or one a dead replica
//! left behind), runs it in its own workspace with a heartbeat that renews the claim and notices
//! cancelling, stores its events as they happen, and records how it ended.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, watch};

use catalog::store::now_ms;

use crate::model::Template;
use crate::runner::{self, Run, RunError, RunEvent, StepStatus};
use crate::service::Scaffolder;
use crate::store::TaskRow;
use crate::workspace::Workspace;

/// How often a running task's claim is renewed and its cancel flag read.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How often idle workers look for tasks other replicas created.
const POLL: Duration = Duration::from_secs(2);

/// Runs `config.workers` workers until `stop` turns true; tasks in progress then are left for
/// the next start (or another replica) to recover once their claim lapses.
pub async fn run_task_workers(scaffolder: Arc<Scaffolder>, stop: watch::Receiver<bool>) {
    // Zero workers is allowed: a replica that only serves pages and the API.
    let workers: Vec<_> = (0..scaffolder.config.workers)
        .map(|n| {
            let worker = format!("{}-{n}", uuid::Uuid::new_v4());
            tokio::spawn(work(scaffolder.clone(), worker, stop.clone()))
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
}

async fn work(scaffolder: Arc<Scaffolder>, worker: String, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let until = now_ms() + scaffolder.config.lease.as_millis() as i64;
        match scaffolder.store.claim(&worker, until).await {
            Ok(Some(task)) => {
                tokio::select! {
                    () = run_claimed(&scaffolder, &worker, task) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
            Ok(None) => {
                tokio::select! {
                    () = scaffolder.wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
            Err(err) => {
                tracing::error!(error = %err, "claiming a scaffolder task failed");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// A claimed task, from start to its final status.
async fn run_claimed(scaffolder: &Arc<Scaffolder>, worker: &str, task: TaskRow) {
    let id = task.id.clone();
    if task.attempts > 1 {
        match recover(scaffolder, worker, &task).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::error!(task = %id, error = %err, "recovering a scaffolder task failed");
                return;
            }
        }
    }
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let recorder = tokio::spawn(record_events(
        scaffolder.clone(),
        id.clone(),
        task_step_names(&task),
        events_rx,
    ));
    // Aborted however this function ends, including when the worker is stopped mid-run.
    let heartbeat = AbortOnDrop(tokio::spawn(heartbeat(
        scaffolder.clone(),
        id.clone(),
        worker.to_string(),
        cancel_tx,
    )));
    let dir = scaffolder.config.work_dir.join(&id);
    let result = match prepare(&task, &dir) {
        Ok((template, values, user)) => {
            let run = Run {
                task_id: id.clone(),
                template: Arc::new(template),
                values,
                user,
                dry_run: false,
                workspace: Workspace::new(dir.clone(), scaffolder.config.limits.clone()),
            };
            runner::run(
                run,
                &scaffolder.registry,
                scaffolder.services.clone(),
                events_tx,
                cancel_rx,
            )
            .await
        }
        Err(message) => Err(RunError::Render {
            field: "task spec".into(),
            source: crate::render::RenderError { message, line: None },
        }),
    };
    drop(heartbeat);
    // Every event of the run is stored before the closing one.
    let side_effects = recorder.await.unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let (status, output, closing) = closing_event(result, &side_effects);
    match scaffolder
        .store
        .finish(&id, worker, status, output.as_ref(), closing)
        .await
    {
        Ok(true) => tracing::info!(task = %id, status, "scaffolder task finished"),
        Ok(false) => tracing::warn!(task = %id, "scaffolder task was taken over by another worker before it finished"),
        Err(err) => tracing::error!(task = %id, error = %err, "recording a scaffolder task's end failed"),
    }
    scaffolder.changed();
}

/// The final status, output and closing event of a run.
fn closing_event(
    result: Result<runner::RunOutput, RunError>,
    side_effects: &[String],
) -> (&'static str, Option<Value>, (&'static str, Value)) {
    match result {
        Ok(out) => {
            let output = Value::Object(out.output);
            (
                "completed",
                Some(output.clone()),
                (
                    "completion",
                    json!({"message": "Run completed with status: completed", "status": "completed", "output": output}),
                ),
            )
        }
        Err(RunError::Cancelled) => (
            "cancelled",
            None,
            (
                "cancelled",
                json!({"message": with_leftovers("Run cancelled".into(), side_effects), "status": "cancelled"}),
            ),
        ),
        Err(err) => {
            let message = with_leftovers(format!("Run failed: {err}"), side_effects);
            (
                "failed",
                None,
                (
                    "completion",
                    json!({"message": message, "status": "failed", "error": {"name": "Error", "message": message}}),
                ),
            )
        }
    }
}

/// Says what a run that did not complete already did outside Cairn, so nobody is left with a
/// half-published repository they do not know about.
fn with_leftovers(message: String, side_effects: &[String]) -> String {
    if side_effects.is_empty() {
        message
    } else {
        format!("{message}. Already done, and not undone: {}", side_effects.join("; "))
    }
}

/// A task whose worker stopped (the process died or was stopped): run again from the start when
/// it had done nothing outside its workspace yet, otherwise failed with what it left behind.
/// True when it should run again.
async fn recover(scaffolder: &Arc<Scaffolder>, worker: &str, task: &TaskRow) -> Result<bool, crate::store::StoreError> {
    let events = scaffolder.store.events(&task.id, 0, 100_000).await?;
    let side_effects: Vec<String> = events
        .iter()
        .filter_map(|e| e.body.get("sideEffect").and_then(Value::as_str).map(str::to_string))
        .collect();
    if side_effects.is_empty() && task.attempts <= 3 {
        let body = json!({"message": format!("The server running this task stopped; nothing had been published yet, so it starts again (attempt {}).", task.attempts)});
        scaffolder.store.append(&task.id, &[("recovered", body)]).await?;
        scaffolder.changed();
        return Ok(true);
    }
    let reason = if side_effects.is_empty() {
        format!(
            "Run failed: the server running this task stopped {} times",
            task.attempts - 1
        )
    } else {
        "Run failed: the server running this task stopped before it finished".to_string()
    };
    let message = with_leftovers(reason, &side_effects);
    let closing = (
        "completion",
        json!({"message": message, "status": "failed", "error": {"name": "Error", "message": message}}),
    );
    scaffolder
        .store
        .finish(&task.id, worker, "failed", None, closing)
        .await?;
    scaffolder.changed();
    Ok(false)
}

/// The template, values and user of a stored task.
fn prepare(
    task: &TaskRow,
    dir: &std::path::Path,
) -> Result<(Template, Map<String, Value>, Option<(String, Value)>), String> {
    let entity = &task.spec["templateInfo"]["entity"];
    let template = Template::from_entity(entity).map_err(|e| e.to_string())?;
    let values = task.spec["parameters"].as_object().cloned().unwrap_or_default();
    let user = task.spec["user"]["ref"].as_str().map(|r| {
        (
            r.to_string(),
            task.spec["user"].get("entity").cloned().unwrap_or(Value::Null),
        )
    });
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the workspace {}: {e}", dir.display()))?;
    Ok((template, values, user))
}

/// Step id → name, for log lines such as "Beginning step Publish".
fn task_step_names(task: &TaskRow) -> Vec<(String, String)> {
    Template::from_entity(&task.spec["templateInfo"]["entity"])
        .map(|t| t.steps.into_iter().map(|s| (s.id, s.name)).collect())
        .unwrap_or_default()
}

/// Stores the run's events as they come, a batch at a time; returns the side effects seen.
async fn record_events(
    scaffolder: Arc<Scaffolder>,
    id: String,
    names: Vec<(String, String)>,
    mut events: mpsc::UnboundedReceiver<RunEvent>,
) -> Vec<String> {
    let mut side_effects = Vec::new();
    let mut batch = Vec::new();
    while events.recv_many(&mut batch, 256).await > 0 {
        let rows: Vec<(&str, Value)> = batch
            .drain(..)
            .map(|event| {
                if let RunEvent::SideEffect { description, .. } = &event {
                    side_effects.push(description.clone());
                }
                ("log", event_body(&event, &names))
            })
            .collect();
        if let Err(err) = scaffolder.store.append(&id, &rows).await {
            tracing::error!(task = %id, error = %err, "storing scaffolder task events failed");
        }
        scaffolder.changed();
    }
    side_effects
}

/// A run event as Backstage's log event body.
pub fn event_body(event: &RunEvent, names: &[(String, String)]) -> Value {
    let name = |step: &str| {
        names
            .iter()
            .find(|(id, _)| id == step)
            .map_or(step.to_string(), |(_, name)| name.clone())
    };
    match event {
        RunEvent::Log { step, message } => json!({"message": message, "stepId": step}),
        RunEvent::StepStarted { step } => {
            json!({"message": format!("Beginning step {}", name(step)), "stepId": step, "status": "processing"})
        }
        RunEvent::StepFinished {
            step,
            status,
            duration_ms,
        } => {
            let (word, status) = match status {
                StepStatus::Completed => ("Finished", "completed"),
                StepStatus::Failed => ("Failed", "failed"),
                StepStatus::Skipped => ("Skipped", "skipped"),
                StepStatus::Cancelled => ("Cancelled", "cancelled"),
            };
            json!({"message": format!("{word} step {}", name(step)), "stepId": step, "status": status, "durationMs": duration_ms})
        }
        RunEvent::SideEffect { step, description } => {
            json!({"message": description, "stepId": step, "sideEffect": description})
        }
    }
}

/// Renews the claim while the task runs and passes a cancel request on to the run. A lost claim
/// (another worker took over) also stops the run.
async fn heartbeat(scaffolder: Arc<Scaffolder>, id: String, worker: String, cancel: watch::Sender<bool>) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        let until = now_ms() + scaffolder.config.lease.as_millis() as i64;
        match scaffolder.store.heartbeat(&id, &worker, until).await {
            Ok(Some(false)) => {}
            Ok(Some(true)) | Ok(None) => {
                let _ = cancel.send(true);
            }
            Err(err) => tracing::warn!(task = %id, error = %err, "renewing a scaffolder task's claim failed"),
        }
    }
}

/// A spawned task that ends with its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
