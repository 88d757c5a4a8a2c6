//! Argo CD's view of the workload's application (sync, health, revision) and Argo Rollouts'
//! progress (strategy, step n of m, canary weight).

use deployments::model::{ArgoCdStatus, ArgoRolloutStatus};
use leptos::prelude::*;

/// A status word coloured by whether it is fine.
fn state_class(word: &str) -> &'static str {
    match word {
        "Synced" | "Healthy" => "state state-ok",
        "OutOfSync" | "Degraded" | "Missing" => "state state-bad",
        _ => "state state-pending",
    }
}

#[component]
pub fn ArgoCd(status: ArgoCdStatus) -> impl IntoView {
    view! {
        <div class="argo" data-testid="argo-cd">
            <span class="label">"Argo CD "<span class="mono">{status.application.clone()}</span></span>
            <span class=state_class(&status.sync)>{status.sync.clone()}</span>
            <span class=state_class(&status.health)>{status.health.clone()}</span>
            {status.revision.map(|r| view! { <span>"revision "<span class="mono">{r}</span></span> })}
            {status.message.map(|m| view! { <p class="muted small">{m}</p> })}
        </div>
    }
}

/// `step 2 of 4`, `canary weight 20%`: what is known of the rollout's progress.
pub fn rollout_progress(status: &ArgoRolloutStatus) -> Vec<String> {
    let mut parts = Vec::new();
    match (status.step, status.steps) {
        (Some(step), Some(steps)) => parts.push(format!("step {step} of {steps}")),
        (Some(step), None) => parts.push(format!("step {step}")),
        _ => {}
    }
    if let Some(weight) = status.canary_weight {
        parts.push(format!("canary weight {weight}%"));
    }
    parts
}

#[component]
pub fn ArgoRollout(status: ArgoRolloutStatus) -> impl IntoView {
    let progress = rollout_progress(&status).join(", ");
    view! {
        <div class="argo" data-testid="argo-rollout">
            <span class="label">"Argo Rollouts"</span>
            <span class="chip">{status.strategy.clone()}</span>
            <span class=state_class(&status.phase)>{status.phase.clone()}</span>
            <span>{progress}</span>
            {status.message.map(|m| view! { <p class="muted small">{m}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_says_step_and_weight() {
        let mut status = ArgoRolloutStatus {
            strategy: "canary".into(),
            phase: "Paused".into(),
            step: Some(2),
            steps: Some(4),
            canary_weight: Some(20),
            message: None,
        };
        assert_eq!(rollout_progress(&status), ["step 2 of 4", "canary weight 20%"]);
        status.steps = None;
        status.canary_weight = None;
        assert_eq!(rollout_progress(&status), ["step 2"]);
    }
}
