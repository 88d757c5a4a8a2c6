//! A workload's pods: phase (with the scheduler's reason when pending), readiness, restarts, each
//! container's state and last termination, node and age. One keyed row per pod, each with its own
//! signal: a pod's change re-renders its row, whatever the table's size.

use deployments::model::PodInfo;
use leptos::prelude::*;

use super::format;
use super::state::LivePod;

/// How many pods are ready, of how many.
pub fn ready_count(pods: &[LivePod]) -> (usize, usize) {
    let ready = pods.iter().filter(|p| p.info.with(|i| i.ready)).count();
    (ready, pods.len())
}

#[component]
pub fn PodTable(pods: ArcRwSignal<Vec<LivePod>>, now: RwSignal<Option<i64>>) -> impl IntoView {
    let counts = {
        let pods = pods.clone();
        Memo::new(move |_| pods.with(|p| ready_count(p)))
    };
    let each = move || pods.get();
    view! {
        <details class="pods" data-testid="pods" open>
            <summary data-testid="pod-count">
                {move || {
                    let (ready, total) = counts.get();
                    format!("Pods: {ready} of {total} ready")
                }}
            </summary>
            <div class="table-wrap pods-wrap">
                <table class="entities pods-table">
                    <thead>
                        <tr>
                            <th scope="col">"Pod"</th>
                            <th scope="col">"Phase"</th>
                            <th scope="col">"Ready"</th>
                            <th scope="col">"Restarts"</th>
                            <th scope="col">"Containers"</th>
                            <th scope="col">"Last termination"</th>
                            <th scope="col">"Node"</th>
                            <th scope="col">"Age"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each key=|p| p.name.clone() let:pod>
                            <PodRow info=pod.info now />
                        </For>
                    </tbody>
                </table>
            </div>
        </details>
    }
    .into_any()
}

#[component]
fn PodRow(info: ArcRwSignal<PodInfo>, now: RwSignal<Option<i64>>) -> impl IntoView {
    let name = info.with_untracked(|p| p.name.clone());
    let (for_class, for_age) = (info.clone(), info.clone());
    // Absolute until the page is interactive (the server cannot know the reader's "now").
    let age = move || {
        for_age.with(|p| p.created_ms).map(|created| match now.get() {
            Some(now) => format::age(created, now),
            None => format::when(created),
        })
    };
    view! {
        <tr data-testid="pod" data-pod=name class:problem=move || for_class.with(|p| !p.ready && p.phase != "Succeeded")>
            {move || view! { <PodCells pod=info.get() /> }}
            <td class="age">{age}</td>
        </tr>
    }.into_any()
}

#[component]
fn PodCells(pod: PodInfo) -> impl IntoView {
    let terminations: Vec<String> = pod
        .containers
        .iter()
        .filter_map(|c| {
            c.last_termination
                .as_ref()
                .map(|t| format!("{}: {}", c.name, format::termination(t)))
        })
        .collect();
    view! {
        <td class="mono">{pod.name.clone()}</td>
        <td data-testid="pod-phase">
            {pod.phase.clone()}
            {pod.unschedulable.clone().map(|r| view! { <div class="muted small" data-testid="unschedulable">{r}</div> })}
        </td>
        <td>{if pod.ready { "yes" } else { "no" }}</td>
        <td data-testid="pod-restarts">{pod.restarts}</td>
        <td data-testid="pod-containers">
            {pod
                .containers
                .iter()
                .map(|c| {
                    let (class, text) = format::container_state(&c.state);
                    let message = match &c.state {
                        deployments::model::ContainerState::Waiting { message, .. } => message.clone(),
                        _ => None,
                    };
                    view! {
                        <div class=format!("state state-{class}") title=message>
                            <span class="muted">{c.name.clone()}": "</span>{text}
                        </div>
                    }
                })
                .collect_view()}
        </td>
        <td data-testid="pod-termination">
            {terminations.into_iter().map(|t| view! { <div>{t}</div> }).collect_view()}
        </td>
        <td class="mono small">{pod.node.clone()}</td>
    }
}
