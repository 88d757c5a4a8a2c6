//! `/create/tasks/{id}`: a task's steps and log, live once the page is interactive (the server
//! render shows the events so far), a Cancel button while it runs, and how it ended.

use crate::safe::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::scaffolder::{CancelTask, TaskView, load_task, step_states, task_status};
use crate::components::scaffolder::{
    live::follow_events, log::LogView, outcome::TaskOutcome, steps::StatusIcon, steps::StepList,
};
use crate::pages::not_found::NotFound;

/// The task page.
#[component]
pub fn TaskPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let task = Resource::new(move || id.get(), load_task);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                task.await.map(|found| match found {
                    Some(task) => view! { <TaskMonitor task /> }.into_any(),
                    None => view! { <NotFound /> }.into_any(),
                })
            })}
        </Transition>
    }
}

#[component]
fn TaskMonitor(task: TaskView) -> impl IntoView {
    let events = RwSignal::new(task.events.clone());
    let initial = task.status.clone();
    let status = Memo::new(move |_| events.with(|e| task_status(&initial, e)));
    let running = move || matches!(status.get().as_str(), "open" | "processing");
    follow_events(task.id.clone(), events);
    let steps = task.steps.clone();
    let states = Signal::derive(move || events.with(|e| step_states(&steps, e)));
    view! {
        <PageTitle text=format!("Creating: {}", task.template_title) />
        <header class="entity-head">
            <p class="eyebrow"><a href="/create">"Create"</a>" · task"</p>
            <h1>{task.template_title.clone()}</h1>
            <p class="muted mono">{task.id.clone()}</p>
            <p class="task-status" data-testid="task-status" data-status=move || status.get()>
                {move || view! { <StatusIcon status=status.get() /> }}
                <span>{move || status.get()}</span>
            </p>
            <Show when=running>
                <CancelButton id=task.id.clone() />
            </Show>
        </header>
        <TaskOutcome events />
        <div class="task-grid">
            <StepList steps=states />
            <LogView events steps=task.steps.clone() />
        </div>
    }
}

/// Asks the task to stop; the stream then reports the cancellation.
#[component]
fn CancelButton(id: String) -> impl IntoView {
    let cancel = ServerAction::<CancelTask>::new();
    view! {
        <ActionForm action=cancel attr:class="actions">
            <input type="hidden" name="id" value=id />
            <button type="submit" class="button danger" disabled=move || cancel.pending().get()>"Cancel"</button>
            {move || cancel.value().get().and_then(Result::err).map(|e| view! { <span class="error" role="alert">{e.to_string()}</span> })}
        </ActionForm>
    }
}
