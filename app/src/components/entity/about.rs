//! The about card: description, owner, system, domain, lifecycle, tags, links, source, annotations.

use leptos::prelude::*;

use crate::api::catalog::{EntityDetails, RefLink};
use crate::components::entity_link::EntityLink;

#[component]
pub fn About(details: EntityDetails) -> impl IntoView {
    let row = details.row.clone();
    let link =
        |r: Option<String>| r.map(|entity_ref| view! { <EntityLink link=RefLink { entity_ref, exists: true } /> });
    let owner = details
        .relations
        .iter()
        .find(|g| g.relation_type == "ownedBy")
        .and_then(|g| g.targets.first().cloned());
    view! {
        <section class="panel about" aria-labelledby="about-title">
            <h2 id="about-title">"About"</h2>
            <p class="description">{row.description.clone().unwrap_or_else(|| "No description.".into())}</p>
            <dl class="facts">
                <dt>"Owner"</dt>
                <dd>{owner.map(|o| view! { <EntityLink link=o /> })}</dd>
                <dt>"System"</dt>
                <dd>{link(row.system.clone())}</dd>
                {details.domain.clone().map(|d| view! { <dt>"Domain"</dt><dd>{link(Some(d))}</dd> })}
                <dt>"Type"</dt>
                <dd>{row.entity_type.clone()}</dd>
                <dt>"Lifecycle"</dt>
                <dd>{row.lifecycle.clone()}</dd>
                <dt>"Tags"</dt>
                <dd>{row.tags.iter().map(|t| view! { <span class="chip">{t.clone()}</span> }).collect_view()}</dd>
                <dt>"Source"</dt>
                <dd class="mono" data-testid="source">{details.source.clone()}</dd>
                <dt>"Location"</dt>
                <dd class="mono">{details.location_target.clone()}</dd>
            </dl>
            <Links links=details.links.clone() />
            <KeyValues title="Labels" pairs=details.labels.clone() />
            <KeyValues title="Annotations" pairs=details.annotations.clone() />
        </section>
    }
}

#[component]
fn Links(links: Vec<crate::api::catalog::LinkView>) -> impl IntoView {
    (!links.is_empty()).then(|| {
        view! {
            <h3>"Links"</h3>
            <ul class="links">
                {links
                    .into_iter()
                    .map(|l| {
                        if l.safe {
                            view! { <li><a href=l.url rel="noopener noreferrer" target="_blank">{l.title}</a></li> }.into_any()
                        } else {
                            // Never an href for javascript:, data: and the like.
                            view! { <li>{l.title} " " <span class="mono muted">{l.url}</span></li> }.into_any()
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

#[component]
fn KeyValues(title: &'static str, pairs: Vec<(String, String)>) -> impl IntoView {
    (!pairs.is_empty()).then(|| {
        view! {
            <details class="key-values">
                <summary>{format!("{title} ({})", pairs.len())}</summary>
                <dl class="facts mono">
                    {pairs.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                </dl>
            </details>
        }
    })
}
