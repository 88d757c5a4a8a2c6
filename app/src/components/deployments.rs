//! The Deployments views: workloads with their pods, autoscaler, Argo status and warning events,
//! problems in plain words, clusters' reachability, the rollout timeline, and the live stream
//! that keeps them current (`state` holds the signals, `live` feeds them).

pub mod argo;
pub mod autoscaler;
pub mod clusters;
pub mod events;
pub mod filters;
pub mod format;
pub mod live;
pub mod overview;
pub mod pods;
pub mod problems;
pub mod state;
pub mod timeline;
pub mod workload;

use deployments::model::Health;
use leptos::prelude::*;

/// A workload's health as a coloured word.
#[component]
pub fn HealthBadge(health: Health) -> impl IntoView {
    view! {
        <span class=format!("health health-{}", health.as_str()) data-testid="health">{health.as_str()}</span>
    }
}

/// "stale" on what an unreachable cluster last said, with since when.
#[component]
pub fn StaleMark(since_ms: Option<i64>) -> impl IntoView {
    since_ms.map(|since| {
        view! {
            <span class="badge stale" data-testid="stale" title=format!("Last known state, as of {}", format::when(since))>
                "stale"
            </span>
        }
    })
}

#[cfg(test)]
mod tests;
