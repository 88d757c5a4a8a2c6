//! A task's log: every event's message in order, with the step it belongs to. Announced politely
//! to screen readers as lines arrive.

use leptos::prelude::*;

use crate::api::scaffolder::TaskEvent;

/// The log; `events` grows as the stream delivers them.
#[component]
pub fn LogView(events: RwSignal<Vec<TaskEvent>>, steps: Vec<(String, String)>) -> impl IntoView {
    let step_name = move |id: &Option<String>| {
        id.as_ref().map(|id| {
            steps
                .iter()
                .find(|(s, _)| s == id)
                .map_or(id.clone(), |(_, name)| name.clone())
        })
    };
    view! {
        <section class="panel task-log-panel" aria-labelledby="log-heading">
            <h2 id="log-heading">"Log"</h2>
            <ol class="task-log" aria-live="polite" data-testid="task-log">
                <For each=move || events.get() key=|e| e.id let:event>
                    <li class=format!("log-{}", event.event_type) data-event=event.id>
                        {step_name(&event.step_id).map(|name| view! { <span class="log-step">{name}</span> })}
                        <span class="log-message">{event.message.clone()}</span>
                    </li>
                </For>
            </ol>
            <Show when=move || events.with(Vec::is_empty)>
                <p class="muted">"Waiting for a worker to pick the task up…"</p>
            </Show>
        </section>
    }
}
