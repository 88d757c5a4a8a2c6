//! The review: every value as people will read it (choices by their labels, passwords hidden),
//! the file preview, and Create. Values the server refuses send the person back to their page.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde_json::{Map, Value};
use templates::model::schema::{self, Field, FieldKind};
use templates::model::{ParameterPage, Template};

use super::fields::shown;
use super::preview::FilePreview;
use super::state::{FormState, get_path};
use super::wizard::{focus_first_invalid, page_of};
use crate::api::catalog::encode;
use crate::api::scaffolder::{CreateOutcome, CreateTask, DryRun, DryRunOutcome};

/// The review page.
#[component]
pub fn Review(
    template: Template,
    step: RwSignal<usize>,
    page_count: usize,
    back: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let state = FormState::current();
    let values = state.values.get_untracked();
    let sections = sections(&template.pages, &values);
    let values_json = serde_json::to_string(&values).unwrap_or_default();
    let create = ServerAction::<CreateTask>::new();
    let preview = ServerAction::<DryRun>::new();
    let navigate = use_navigate();
    let pages = template.pages.clone();
    Effect::new(move |_| match create.value().get() {
        Some(Ok(CreateOutcome::Created(id))) => navigate(&format!("/create/tasks/{}", encode(&id)), Default::default()),
        Some(Ok(CreateOutcome::Invalid(errors))) => {
            let page = errors.iter().find_map(|e| page_of(&pages, &values, &e.path));
            state.server_errors.set(errors);
            if let Some(i) = page.filter(|i| *i < page_count) {
                state.show_all.set(true);
                step.set(i);
                focus_first_invalid();
            }
        }
        _ => {}
    });
    let (t, json) = (template.clone(), values_json.clone());
    let on_preview = move |_| {
        preview.dispatch(DryRun {
            namespace: t.namespace.clone(),
            name: t.name.clone(),
            values: json.clone(),
        });
    };
    let entity_ref = template.entity_ref.clone();
    let on_create = move |_| {
        create.dispatch(CreateTask {
            template_ref: entity_ref.clone(),
            values: values_json.clone(),
        });
    };
    view! {
        <section class="panel wizard-page" aria-labelledby="review-title">
            <h2 id="review-title">"Review"</h2>
            {sections.into_iter().map(|(title, rows)| view! { <ReviewSection title rows /> }).collect_view()}
            <ServerErrors />
            <div class="wizard-buttons">
                <button type="button" class="button secondary" on:click=move |_| back()>"Back"</button>
                <button type="button" class="button secondary" on:click=on_preview disabled=move || preview.pending().get()>"Preview files"</button>
                <button type="button" class="button" on:click=on_create disabled=move || create.pending().get()>"Create"</button>
            </div>
            <Show when=move || create.pending().get()><p class="muted" role="status">"Creating the task…"</p></Show>
            {move || create.value().get().and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        </section>
        <Show when=move || preview.pending().get()><p class="muted" role="status">"Generating the files…"</p></Show>
        {move || preview.value().get().map(|result| match result {
            Ok(DryRunOutcome::Report(report)) => view! { <FilePreview report /> }.into_any(),
            Ok(DryRunOutcome::Invalid(errors)) => view! {
                <ul class="error" role="alert">{errors.into_iter().map(|e| view! { <li>{format!("{}: {}", e.path, e.message)}</li> }).collect_view()}</ul>
            }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
    }
}

#[component]
fn ReviewSection(title: String, rows: Vec<(String, String)>) -> impl IntoView {
    view! {
        <h3>{title}</h3>
        <dl class="facts review-values" data-testid="review-values">
            {rows.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
        </dl>
    }
}

/// Errors the server found that no page field shows (a rule across fields, a removed field).
#[component]
fn ServerErrors() -> impl IntoView {
    let state = FormState::current();
    move || {
        let errors = state.server_errors.get();
        (!errors.is_empty()).then(|| view! {
            <ul class="error" role="alert" data-testid="server-errors">
                {errors.into_iter().map(|e| view! { <li>{format!("{}: {}", e.path, e.message)}</li> }).collect_view()}
            </ul>
        })
    }
}

/// Each page's title and its (field title, shown value) rows.
pub fn sections(pages: &[ParameterPage], values: &Map<String, Value>) -> Vec<(String, Vec<(String, String)>)> {
    pages
        .iter()
        .enumerate()
        .map(|(i, page)| {
            let mut rows = Vec::new();
            for field in schema::fields(page, values) {
                rows_of(&field, values, "", &mut rows);
            }
            (page.title.clone().unwrap_or_else(|| format!("Step {}", i + 1)), rows)
        })
        .collect()
}

fn rows_of(field: &Field, values: &Map<String, Value>, prefix: &str, rows: &mut Vec<(String, String)>) {
    let title = format!("{prefix}{}", field.title);
    if let FieldKind::Object(fields) = &field.kind {
        for sub in fields {
            rows_of(sub, values, &format!("{title} › "), rows);
        }
        return;
    }
    rows.push((title, display(field, get_path(values, &field.path))));
}

/// A value as the review shows it.
pub fn display(field: &Field, value: Option<&Value>) -> String {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return "—".into();
    };
    let label = |options: &[(Value, String)], v: &Value| {
        options
            .iter()
            .find(|(o, _)| o == v)
            .map_or_else(|| shown(v), |(_, l)| l.clone())
    };
    match &field.kind {
        FieldKind::Password => "••••••••".into(),
        FieldKind::Checkbox => if value.as_bool() == Some(true) { "Yes" } else { "No" }.into(),
        FieldKind::Select { options } => label(options, value),
        FieldKind::MultiSelect { options } => value
            .as_array()
            .map(|list| list.iter().map(|v| label(options, v)).collect::<Vec<_>>().join(", "))
            .unwrap_or_else(|| shown(value)),
        _ => match value {
            Value::Array(list) => list.iter().map(shown).collect::<Vec<_>>().join(", "),
            other => shown(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_review_shows_labels_hides_secrets_and_flattens_objects() {
        let page = ParameterPage {
            title: Some("Service".into()),
            description: None,
            schema: json!({"properties": {
                "name": {"type": "string", "title": "Name"},
                "size": {"type": "string", "title": "Size", "enum": ["s", "l"], "enumNames": ["Small", "Large"]},
                "token": {"type": "string", "title": "Token", "ui:widget": "password"},
                "public": {"type": "boolean", "title": "Public"},
                "db": {"type": "object", "title": "Database", "properties": {"engine": {"type": "string", "title": "Engine"}}}
            }}),
        };
        let values = json!({"name": "svc", "size": "l", "token": "secret", "public": true, "db": {"engine": "pg"}});
        let values = values.as_object().cloned().unwrap();
        let sections = sections(&[page], &values);
        assert_eq!(sections[0].0, "Service");
        let rows: std::collections::HashMap<_, _> = sections[0].1.iter().cloned().collect();
        assert_eq!(rows["Name"], "svc");
        assert_eq!(rows["Size"], "Large");
        assert_eq!(rows["Token"], "••••••••");
        assert_eq!(rows["Public"], "Yes");
        assert_eq!(rows["Database › Engine"], "pg");
    }
}
