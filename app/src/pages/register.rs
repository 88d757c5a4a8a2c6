//! `/catalog-import`: register an existing component. Paste a location, see what it would add,
//! then import it; the entities appear in the catalog at once.

use crate::safe::title::PageTitle;
use leptos::prelude::*;

use crate::api::catalog::{ImportLocation, LocationPreview, PreviewLocation};
use crate::api::features::Features;
use crate::components::entity_link::EntityLink;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let preview = ServerAction::<PreviewLocation>::new();
    let import = ServerAction::<ImportLocation>::new();
    let target = RwSignal::new(String::new());
    view! {
        <PageTitle text="Register existing component" />
        <h1>"Register existing component"</h1>
        <RegistrationUnavailable />
        <section class="panel">
            <p>"Enter the URL of a catalog-info.yaml in a repository (https://github.com/org/repo/blob/main/catalog-info.yaml), a Git repository (git:https://host/org/repo.git?ref=main&path=services/*/catalog-info.yaml), or a local file, directory or glob. Cairn reads it and shows what it would add before anything is registered."</p>
            <ActionForm action=preview attr:class="register-form">
                <label for="location-target">"Location"</label>
                <input id="location-target" name="target" type="text" required placeholder="/path/to/repo/catalog-info.yaml"
                    prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev)) />
                <button type="submit" class="button" disabled=move || preview.pending().get()>"Analyze"</button>
            </ActionForm>
        </section>
        {move || preview.value().get().map(|result| match result {
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            Ok(found) => view! { <Preview found import /> }.into_any(),
        })}
        {move || import.value().get().map(|result| match result {
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            Ok(done) => view! {
                <section class="panel success" role="status" data-testid="imported">
                    <h2>{format!("Registered {} entities", done.entity_count)}</h2>
                    <ul>{done.entities.iter().cloned().map(|e| view! { <li><EntityLink link=e /></li> }).collect_view()}</ul>
                    <More shown=done.entities.len() total=done.entity_count what="entities" />
                </section>
            }.into_any(),
        })}
    }
}

#[component]
fn Preview(found: LocationPreview, import: ServerAction<ImportLocation>) -> impl IntoView {
    let count = found.entity_count;
    let target = format!("{}:{}", found.location_type, found.target);
    view! {
        <section class="panel" data-testid="preview">
            <h2>{format!("{count} entities found")}</h2>
            <ul class="preview-list">
                {found.entities.iter().map(|e| view! { <li class="mono">{e.entity_ref.clone()}</li> }).collect_view()}
            </ul>
            <More shown=found.entities.len() total=found.entity_count what="entities" />
            {(!found.problems.is_empty()).then(|| view! {
                <h3>"Problems"</h3>
                <ul class="problems">{found.problems.iter().map(|p| view! { <li class="mono">{p.clone()}</li> }).collect_view()}</ul>
                <More shown=found.problems.len() total=found.problem_count what="problems" />
            })}
            {(count > 0).then(|| view! {
                <ActionForm action=import>
                    <input type="hidden" name="target" value=target.clone() />
                    <button type="submit" class="button" disabled=move || import.pending().get()>"Import"</button>
                </ActionForm>
            })}
        </section>
    }
}

/// "… and 99 900 more entities" under a list cut short.
#[component]
fn More(shown: usize, total: usize, what: &'static str) -> impl IntoView {
    (total > shown).then(|| view! { <p class="muted">{format!("… and {} more {what}", total - shown)}</p> })
}

/// Explains, up front, when this server allows no location type it can read.
#[component]
fn RegistrationUnavailable() -> impl IntoView {
    let viewer = crate::api::access::Viewer::current();
    let denied = (!viewer.can(access::Permission::LocationCreate, &[])).then(|| {
        view! {
            <p class="panel alert" role="alert" data-testid="register-denied">
                "You may not register locations here: the policy gives "<code>"catalog.location.create"</code>
                " to "{viewer.settings.policy.rule(access::Permission::LocationCreate).describe()}
                " only. Ask an admin."
            </p>
        }
    });
    let unavailable = (!Features::current().register_locations).then(|| {
        view! {
            <p class="panel alert" role="alert">
                "This server does not allow registering locations it can read. An administrator can allow "
                <code>"url"</code>", "<code>"git"</code>" or "<code>"file"</code>" locations with "<code>"catalog.allowedLocationTypes"</code>"."
            </p>
        }
    });
    view! { {denied} {unavailable} }
}
