//! The entity's rollouts as recorded, newest first: outcome, version, revision, where, when and
//! how long.

use deployments::model::{RolloutOutcome, RolloutRecord};
use leptos::prelude::*;

use super::format;

/// What the entry's heading says happened.
pub fn outcome_label(outcome: RolloutOutcome) -> &'static str {
    match outcome {
        RolloutOutcome::InProgress => "Started",
        RolloutOutcome::Completed => "Completed",
        RolloutOutcome::Failed => "Failed",
        RolloutOutcome::RolledBack => "Rolled back",
    }
}

#[component]
pub fn RolloutTimeline(history: RwSignal<Vec<RolloutRecord>>) -> impl IntoView {
    view! {
        <section class="panel timeline-panel" aria-labelledby="timeline-title">
            <h3 id="timeline-title">"Rollout history"</h3>
            <Show
                when=move || history.with(|h| !h.is_empty())
                fallback=|| view! { <p class="empty">"No rollout recorded yet."</p> }
            >
                <ol class="timeline" data-testid="rollout-timeline">
                    <For
                        each=move || history.get()
                        key=|r| (r.key.clone(), r.revision.clone(), r.outcome.as_str(), r.finished_ms, r.message.clone())
                        let:record
                    >
                        <TimelineEntry record />
                    </For>
                </ol>
            </Show>
        </section>
    }.into_any()
}

#[component]
fn TimelineEntry(record: RolloutRecord) -> impl IntoView {
    let took = record
        .finished_ms
        .and_then(|end| format::duration(record.started_ms, end))
        .map(|d| format!(", took {d}"));
    let finished = record.finished_ms.map(|end| {
        view! { " → "<time datetime=format::datetime(end)>{format::when(end)}</time> }
    });
    view! {
        <li class=format!("timeline-entry outcome-{}", record.outcome.as_str()) data-testid="rollout" data-outcome=record.outcome.as_str()>
            <span class="timeline-dot" aria-hidden="true"></span>
            <div class="timeline-body">
                <p class="timeline-head">
                    <strong>{outcome_label(record.outcome)}</strong>" "
                    {format!("{} {}", record.key.kind.as_str(), record.key.name)}
                    " to revision "<span class="mono">{record.revision.clone()}</span>
                    <span class="muted">{format!(" in {}/{}", record.key.cluster, record.key.namespace)}</span>
                </p>
                <p class="mono small">{record.version.clone()}</p>
                <p class="muted small">
                    <time datetime=format::datetime(record.started_ms)>{format::when(record.started_ms)}</time>
                    {finished}
                    {took}
                </p>
                {record.message.clone().map(|m| view! { <p class="small">{m}</p> })}
            </div>
        </li>
    }.into_any()
}
