//! One template in the gallery: what it makes, who owns it, and either "Choose" or its problems.

use leptos::prelude::*;

use crate::api::catalog::entity_href;
use crate::api::scaffolder::TemplateCard;

/// A gallery card. A template Cairn cannot run is shown disabled, with every problem listed.
#[component]
pub fn TemplateCardView(card: TemplateCard) -> impl IntoView {
    let runnable = card.problems.is_empty();
    let heading_id = format!("template-{}-{}", card.namespace, card.name);
    let labelled_by = heading_id.clone();
    view! {
        <article class="template-card" class:disabled=!runnable aria-labelledby=labelled_by
            data-testid="template-card" data-template=card.entity_ref.clone()>
            <header>
                {card.template_type.clone().map(|t| view! { <p class="eyebrow">{t}</p> })}
                <h2 id=heading_id>{card.title.clone()}</h2>
            </header>
            <p class="muted">{card.description.clone().unwrap_or_default()}</p>
            <p>{card.tags.iter().map(|t| view! { <span class="chip">{t.clone()}</span> }).collect_view()}</p>
            {card.owner.clone().map(|owner| view! {
                <p class="small">"Owner: "<a class="entity-link" href=entity_href(&owner)>{owner.clone()}</a></p>
            })}
            {if runnable {
                view! { <a class="button" href=card.href() aria-label=format!("Choose {}", card.title)>"Choose"</a> }.into_any()
            } else {
                view! { <Problems problems=card.problems.clone() /> }.into_any()
            }}
        </article>
    }
}

/// Why a template cannot run here.
#[component]
fn Problems(problems: Vec<String>) -> impl IntoView {
    view! {
        <div class="template-problems" role="note">
            <p class="error">"Cairn cannot run this template:"</p>
            <ul class="problems">{problems.into_iter().map(|p| view! { <li class="mono">{p}</li> }).collect_view()}</ul>
            <button type="button" class="button" disabled=true>"Choose"</button>
        </div>
    }
}
