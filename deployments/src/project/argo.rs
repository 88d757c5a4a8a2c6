//! Argo CD `Application`s and Argo Rollouts `Rollout`s, read from their JSON (dynamic objects):
//! which Application tracks a workload and what it says, and a Rollout's strategy and canary step.

use std::collections::{BTreeMap, HashMap};

use kube::api::DynamicObject;
use serde_json::Value;

use crate::model::{ArgoCdStatus, ArgoRolloutStatus, RolloutPhase};

/// The label Argo CD's default tracking sets to the Application's name.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// `<app>:<group>/<Kind>:<namespace>/<name>`, Argo CD's annotation tracking.
pub const TRACKING_ID_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";

/// Applications by the names tracking uses: `name`, and `namespace_name` for Applications
/// outside Argo CD's own namespace.
pub struct Applications<'a> {
    by_name: HashMap<String, &'a DynamicObject>,
}

impl<'a> Applications<'a> {
    pub fn new(apps: &'a [std::sync::Arc<DynamicObject>]) -> Applications<'a> {
        let mut by_name = HashMap::with_capacity(apps.len() * 2);
        for app in apps {
            let Some(name) = app.metadata.name.as_deref() else {
                continue;
            };
            if let Some(ns) = app.metadata.namespace.as_deref() {
                by_name.insert(format!("{ns}_{name}"), &**app);
            }
            by_name.entry(name.to_string()).or_insert(&**app);
        }
        Applications { by_name }
    }

    /// The Application tracking a workload: by its tracking-id annotation when it has one (which
    /// must name this very workload, as a copied manifest's would not), else by its instance label.
    pub fn tracking(
        &self,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
        object: (&str, &str, &str, &str),
    ) -> Option<ArgoCdStatus> {
        let (group, kind, namespace, name) = object;
        let app = match annotations.get(TRACKING_ID_ANNOTATION) {
            Some(id) => {
                let (app, resource) = id.split_once(':')?;
                if resource != format!("{group}/{kind}:{namespace}/{name}") {
                    return None;
                }
                app
            }
            None => labels.get(INSTANCE_LABEL)?,
        };
        self.by_name.get(app).map(|app| application_status(app))
    }
}

fn text(value: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub fn application_status(app: &DynamicObject) -> ArgoCdStatus {
    let status = &app.data["status"];
    let failed_operation = matches!(
        text(status, &["operationState", "phase"]).as_deref(),
        Some("Failed" | "Error")
    );
    let message = text(status, &["health", "message"])
        .or_else(|| {
            status["conditions"]
                .as_array()?
                .iter()
                .find_map(|c| c["message"].as_str().map(str::to_string))
        })
        .or_else(|| {
            failed_operation
                .then(|| text(status, &["operationState", "message"]))
                .flatten()
        });
    ArgoCdStatus {
        application: app.metadata.name.clone().unwrap_or_default(),
        sync: text(status, &["sync", "status"]).unwrap_or_else(|| "Unknown".into()),
        health: text(status, &["health", "status"]).unwrap_or_else(|| "Unknown".into()),
        revision: text(status, &["sync", "revision"])
            .or_else(|| status["sync"]["revisions"].get(0)?.as_str().map(str::to_string)),
        message,
    }
}

/// A Rollout's strategy, step and canary weight.
pub fn rollout_status(rollout: &DynamicObject) -> ArgoRolloutStatus {
    let spec = &rollout.data["spec"];
    let status = &rollout.data["status"];
    let canary = spec["strategy"].get("canary");
    let steps = canary.and_then(|c| c["steps"].as_array());
    let index = status["currentStepIndex"]
        .as_u64()
        .and_then(|i| usize::try_from(i).ok());
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let (step, total) = match (steps, index) {
        (Some(steps), Some(i)) if !steps.is_empty() => {
            (Some(count((i + 1).min(steps.len()))), Some(count(steps.len())))
        }
        (Some(steps), None) if !steps.is_empty() => (None, Some(count(steps.len()))),
        _ => (None, None),
    };
    let weight = status["canary"]["weights"]["canary"]["weight"]
        .as_u64()
        .map(|w| count(w as usize))
        .or_else(|| {
            let (steps, i) = (steps?, index?);
            if i >= steps.len() {
                return Some(100);
            }
            steps[..=i]
                .iter()
                .rev()
                .find_map(|s| s["setWeight"].as_u64())
                .map(|w| count(w as usize))
        });
    ArgoRolloutStatus {
        strategy: if canary.is_some() { "canary" } else { "blueGreen" }.to_string(),
        phase: text(status, &["phase"]).unwrap_or_else(|| "Progressing".into()),
        step,
        steps: total,
        canary_weight: if canary.is_some() { weight } else { None },
        message: text(status, &["message"]),
    }
}

/// The views' rollout phase for an Argo `status.phase`.
pub fn rollout_phase(phase: &str) -> RolloutPhase {
    match phase {
        "Healthy" => RolloutPhase::Complete,
        "Paused" => RolloutPhase::Paused,
        "Degraded" => RolloutPhase::Failed,
        _ => RolloutPhase::Progressing,
    }
}
