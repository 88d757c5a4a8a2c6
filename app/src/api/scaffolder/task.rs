//! A task as its page shows it: the template's steps, the events so far (from the store when the
//! page is rendered, then live from the event stream), and what the events say about each step.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::catalog::entity_href;

/// A task and its events so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: String,
    /// `open`, `processing`, `completed`, `failed` or `cancelled`.
    pub status: String,
    pub template_ref: String,
    pub template_title: String,
    /// The template's steps: (id, name).
    pub steps: Vec<(String, String)>,
    pub events: Vec<TaskEvent>,
}

/// One event of a task (Backstage's serialized event, flattened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskEvent {
    pub id: i64,
    /// `log`, `completion`, `cancelled` or `recovered`.
    pub event_type: String,
    pub message: String,
    pub step_id: Option<String>,
    pub status: Option<String>,
    pub duration_ms: Option<u64>,
    pub output: Option<Value>,
    pub error: Option<String>,
}

impl TaskEvent {
    /// An event from its stored parts.
    pub fn new(id: i64, event_type: &str, body: &Value) -> TaskEvent {
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
        TaskEvent {
            id,
            event_type: event_type.to_string(),
            message: text("message").unwrap_or_default(),
            step_id: text("stepId"),
            status: text("status"),
            duration_ms: body.get("durationMs").and_then(Value::as_u64),
            output: body.get("output").cloned(),
            error: body
                .get("error")
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }

    /// An event from the event stream's JSON (`{id, taskId, type, body, createdAt}`).
    pub fn from_stream(data: &str) -> Option<TaskEvent> {
        let json: Value = serde_json::from_str(data).ok()?;
        let id = json.get("id")?.as_i64()?;
        let event_type = json.get("type")?.as_str()?;
        Some(TaskEvent::new(id, event_type, json.get("body")?))
    }

    /// The event that closes a task.
    pub fn is_final(&self) -> bool {
        self.event_type == "completion" || self.event_type == "cancelled"
    }
}

/// Where a step stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepState {
    pub id: String,
    pub name: String,
    /// `pending`, `processing`, `completed`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    pub duration_ms: Option<u64>,
}

/// Each step's state after the events: the latest status an event gave it, `pending` before any.
/// A step still processing when the task was cancelled or failed takes the task's end.
pub fn step_states(steps: &[(String, String)], events: &[TaskEvent]) -> Vec<StepState> {
    let end = events
        .iter()
        .rev()
        .find(|e| e.is_final())
        .and_then(|e| e.status.clone());
    steps
        .iter()
        .map(|(id, name)| {
            let last = events
                .iter()
                .rev()
                .find(|e| e.step_id.as_deref() == Some(id) && e.status.is_some());
            let mut status = last.and_then(|e| e.status.clone()).unwrap_or_else(|| "pending".into());
            if status == "processing"
                && let Some(end) = &end
            {
                status = end.clone();
            }
            StepState {
                id: id.clone(),
                name: name.clone(),
                status,
                duration_ms: last.and_then(|e| e.duration_ms),
            }
        })
        .collect()
}

/// The task's status after the events: the closing event's, else `processing` once anything happened.
pub fn task_status(initial: &str, events: &[TaskEvent]) -> String {
    match events.iter().rev().find(|e| e.is_final()) {
        Some(end) => end.status.clone().unwrap_or_else(|| end.event_type.clone()),
        None if initial == "open" && !events.is_empty() => "processing".into(),
        None => initial.to_string(),
    }
}

/// A link of the task's output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputLink {
    pub title: String,
    /// Where it leads; `None` when a browser cannot or must not follow it (`file:`, `javascript:`):
    /// the address is then shown as text.
    pub href: Option<String>,
    /// The address as written (or the entity's reference).
    pub target: String,
    /// The link leaves the portal (a repository).
    pub external: bool,
}

/// `output.links`: an `entityRef` becomes the entity's page, a `url` is linked when it is http(s).
pub fn output_links(output: &Value) -> Vec<OutputLink> {
    let links = output.get("links").and_then(Value::as_array);
    links
        .into_iter()
        .flatten()
        .filter_map(|link| {
            let title = link.get("title").and_then(Value::as_str);
            if let Some(entity_ref) = link.get("entityRef").and_then(Value::as_str) {
                return Some(OutputLink {
                    title: title.unwrap_or("Open in catalog").to_string(),
                    href: Some(entity_href(&entity_ref.to_lowercase())),
                    target: entity_ref.to_string(),
                    external: false,
                });
            }
            let url = link.get("url").and_then(Value::as_str)?;
            Some(OutputLink {
                title: title.unwrap_or(url).to_string(),
                href: crate::safe::href(url).map(str::to_string),
                target: url.to_string(),
                external: true,
            })
        })
        .collect()
}

/// `output.text`: (title, content) pairs, shown as plain text.
pub fn output_texts(output: &Value) -> Vec<(String, String)> {
    let texts = output.get("text").and_then(Value::as_array);
    texts
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let content = t.get("content").and_then(Value::as_str)?;
            let title = t.get("title").and_then(Value::as_str).unwrap_or("Output");
            Some((title.to_string(), content.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: i64, kind: &str, body: Value) -> TaskEvent {
        TaskEvent::new(id, kind, &body)
    }

    #[test]
    fn steps_follow_their_latest_status() {
        let steps = vec![
            ("fetch".to_string(), "Fetch".to_string()),
            ("publish".into(), "Publish".into()),
            ("register".into(), "Register".into()),
        ];
        let events = vec![
            event(
                1,
                "log",
                json!({"message": "Beginning step Fetch", "stepId": "fetch", "status": "processing"}),
            ),
            event(2, "log", json!({"message": "wrote 3 files", "stepId": "fetch"})),
            event(
                3,
                "log",
                json!({"message": "Finished step Fetch", "stepId": "fetch", "status": "completed", "durationMs": 12}),
            ),
            event(
                4,
                "log",
                json!({"message": "Beginning step Publish", "stepId": "publish", "status": "processing"}),
            ),
        ];
        let states = step_states(&steps, &events);
        assert_eq!(
            states.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(),
            ["completed", "processing", "pending"]
        );
        assert_eq!(states[0].duration_ms, Some(12));
        assert_eq!(task_status("open", &events), "processing");

        let mut failed = events.clone();
        failed.push(event(5, "completion", json!({"message": "Run failed: push refused", "status": "failed", "error": {"message": "Run failed: push refused"}})));
        assert_eq!(step_states(&steps, &failed)[1].status, "failed");
        assert_eq!(task_status("processing", &failed), "failed");
        assert_eq!(failed[4].error.as_deref(), Some("Run failed: push refused"));
    }

    #[test]
    fn stream_events_parse_and_links_map_to_pages() {
        let data = r#"{"id":7,"taskId":"t","type":"completion","body":{"message":"done","status":"completed","output":{"links":[{"title":"Repository","url":"https://git.example/r"},{"title":"Open in catalog","entityRef":"component:default/Svc"},{"url":"javascript:alert(1)"}],"text":[{"title":"Next","content":"Run it"}]}},"createdAt":"2026-01-01T00:00:00Z"}"#;
        let event = TaskEvent::from_stream(data).unwrap();
        assert!(event.is_final());
        let output = event.output.unwrap();
        let links = output_links(&output);
        assert_eq!(links.len(), 3);
        assert_eq!(links[0].href.as_deref(), Some("https://git.example/r"));
        assert!(links[0].external);
        assert_eq!(links[1].href.as_deref(), Some("/catalog/default/component/svc"));
        assert_eq!(links[2].href, None, "a javascript: address is shown, never linked");
        assert_eq!(links[2].target, "javascript:alert(1)");
        assert_eq!(output_texts(&output), vec![("Next".to_string(), "Run it".to_string())]);
        assert!(TaskEvent::from_stream("not json").is_none());
    }
}
