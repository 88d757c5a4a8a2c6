//! How a task ended: its output links (the repository, the catalog entity) and texts, or the
//! error that stopped it, said plainly.

use leptos::prelude::*;

use crate::api::scaffolder::{OutputLink, TaskEvent, output_links, output_texts};

/// The end of the task; nothing while it runs.
#[component]
pub fn TaskOutcome(events: RwSignal<Vec<TaskEvent>>) -> impl IntoView {
    let end = move || events.with(|e| e.iter().rev().find(|e| e.is_final()).cloned());
    move || {
        end().map(|end| match end.status.as_deref() {
            Some("completed") => view! { <Completed end /> }.into_any(),
            _ if end.event_type == "cancelled" => view! {
                <section class="panel alert" role="status" data-testid="task-outcome">
                    <h2>"Cancelled"</h2>
                    <p>{end.message.clone()}</p>
                </section>
            }
            .into_any(),
            _ => view! {
                <section class="panel alert" role="alert" data-testid="task-outcome">
                    <h2>"The task failed"</h2>
                    <p class="mono task-error">{end.error.clone().unwrap_or(end.message.clone())}</p>
                </section>
            }
            .into_any(),
        })
    }
}

/// A link of the output; an address a browser cannot follow from here is shown as text.
#[component]
fn OutputLinkView(link: OutputLink) -> impl IntoView {
    let rel = link.external.then_some("noopener noreferrer");
    match link.href {
        Some(href) => view! { <a class="button" href=href rel=rel>{link.title}</a> }.into_any(),
        None => {
            view! { <span>{link.title}": "<code data-testid="output-address">{link.target}</code></span> }.into_any()
        }
    }
}

#[component]
fn Completed(end: TaskEvent) -> impl IntoView {
    let output = end.output.unwrap_or_default();
    let links = output_links(&output);
    let texts = output_texts(&output);
    view! {
        <section class="panel success" role="status" data-testid="task-outcome">
            <h2>"Done"</h2>
            <ul class="output-links">
                {links.into_iter().map(|link| view! { <li><OutputLinkView link /></li> }).collect_view()}
            </ul>
            {texts.into_iter().map(|(title, content)| view! {
                <h3>{title}</h3>
                <pre class="code output-text">{content}</pre>
            }).collect_view()}
        </section>
    }
}
