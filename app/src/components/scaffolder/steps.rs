//! A task's steps, each with a status icon (and the status in words for screen readers) and its
//! duration once it finished.

use leptos::prelude::*;

use crate::api::scaffolder::StepState;

/// The step list; `steps` follows the task's events.
#[component]
pub fn StepList(#[prop(into)] steps: Signal<Vec<StepState>>) -> impl IntoView {
    view! {
        <section class="panel task-steps" aria-labelledby="steps-heading">
            <h2 id="steps-heading">"Steps"</h2>
            <ol>
                <For each=move || steps.get() key=|s| (s.id.clone(), s.status.clone(), s.duration_ms) let:step>
                    <li class=format!("step step-{}", step.status) data-testid="task-step" data-status=step.status.clone()>
                        <StatusIcon status=step.status.clone() />
                        <span class="step-name">{step.name.clone()}</span>
                        {step.duration_ms.map(|ms| view! { <span class="muted small step-duration">{duration(ms)}</span> })}
                    </li>
                </For>
            </ol>
        </section>
    }
}

/// An icon for a status, with the status as text for assistive technology.
#[component]
pub fn StatusIcon(status: String) -> impl IntoView {
    let icon = match status.as_str() {
        "completed" => "✓",
        "failed" => "✕",
        "processing" => "◔",
        "skipped" => "↷",
        "cancelled" => "⊘",
        _ => "○",
    };
    view! {
        <span class=format!("status-icon status-{status}") aria-hidden="true">{icon}</span>
        <span class="visually-hidden">{format!("{status}: ")}</span>
    }
}

/// "340 ms", "1.2 s", "2 min 5 s".
pub fn duration(ms: u64) -> String {
    match ms {
        ms if ms < 1000 => format!("{ms} ms"),
        ms if ms < 60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        ms => crate::components::humanize_seconds(ms / 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_are_short() {
        assert_eq!(duration(340), "340 ms");
        assert_eq!(duration(1234), "1.2 s");
        assert_eq!(duration(125_000), "2 min 5 s");
    }
}
