//! The wizard: one parameter page at a time under a stepper, checked as people type and again on
//! Next, then the review with the file preview and Create.

use std::collections::HashSet;

use leptos::prelude::*;
use serde_json::Map;
use templates::model::{ParameterPage, Template, schema};

use super::fields::FieldList;
use super::review::Review;
use super::state::FormState;

/// The whole wizard for a template that can run.
#[component]
pub fn Wizard(template: Template) -> impl IntoView {
    let pages = StoredValue::new(template.pages.clone());
    let page_count = template.pages.len();
    let step = RwSignal::new(0usize);
    let values = RwSignal::new(schema::with_defaults(&template.pages, &Map::new()));
    let errors = Memo::new(move |_| {
        let i = step.get();
        pages.with_value(|p| {
            p.get(i)
                .map(|page| values.with(|v| schema::validate_page(page, v)))
                .unwrap_or_default()
        })
    });
    let state = FormState {
        values,
        touched: RwSignal::new(HashSet::new()),
        server_errors: RwSignal::new(Vec::new()),
        show_all: RwSignal::new(false),
        errors,
    };
    provide_context(state);
    let titles: Vec<String> = template
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| p.title.clone().unwrap_or_else(|| format!("Step {}", i + 1)))
        .chain(std::iter::once("Review".to_string()))
        .collect();
    let next = move || {
        state.show_all.set(true);
        if state.errors.get_untracked().is_empty() {
            state.show_all.set(false);
            step.update(|s| *s += 1);
        } else {
            focus_first_invalid();
        }
    };
    let back = move || {
        state.show_all.set(false);
        step.update(|s| *s = s.saturating_sub(1));
    };
    let template = StoredValue::new(template);
    view! {
        <Stepper titles step />
        {move || {
            let i = step.get();
            match pages.with_value(|p| p.get(i).cloned()) {
                Some(page) => view! { <PageForm page first=i == 0 next back /> }.into_any(),
                None => view! { <Review template=template.get_value() step=step page_count back /> }.into_any(),
            }
        }}
    }
}

/// Where the person is: every page and the review, the current one marked.
#[component]
fn Stepper(titles: Vec<String>, step: RwSignal<usize>) -> impl IntoView {
    view! {
        <nav aria-label="Progress">
            <ol class="stepper">
                {titles.into_iter().enumerate().map(|(i, title)| view! {
                    <li class:current=move || step.get() == i class:done=move || i < step.get()
                        aria-current=move || (step.get() == i).then_some("step")>
                        <span class="step-number">{i + 1}</span>" "{title}
                    </li>
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// One page of fields; Enter or Next checks it before going on.
#[component]
fn PageForm(
    page: ParameterPage,
    first: bool,
    next: impl Fn() + Clone + Send + Sync + 'static,
    back: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let state = FormState::current();
    let title = page.title.clone();
    let description = page.description.clone();
    let fields = Signal::derive(move || state.values.with(|v| schema::fields(&page, v)));
    Effect::new(move |_| focus_page_start(first));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        next();
    };
    view! {
        <form class="panel wizard-page" novalidate on:submit=submit aria-labelledby="wizard-page-title">
            <h2 id="wizard-page-title" tabindex="-1">{title.unwrap_or_else(|| "Details".into())}</h2>
            {description.map(|d| view! { <p class="muted">{d}</p> })}
            <FieldList fields />
            <div class="wizard-buttons">
                {(!first).then(|| view! { <button type="button" class="button secondary" on:click=move |_| back()>"Back"</button> })}
                <button type="submit" class="button">"Next"</button>
            </div>
        </form>
    }
}

/// Moves focus to the first field whose value is refused, once the page has marked it.
pub fn focus_first_invalid() {
    request_animation_frame(|| {
        focus("[aria-invalid=\"true\"]");
    });
}

/// A new page: focus goes to its `ui:autofocus` field, else (after the first page) to its title,
/// so keyboard and screen reader users start at the top of what changed. Browsers honour
/// `autofocus` only on the page they load, not on a page drawn later.
fn focus_page_start(first: bool) {
    request_animation_frame(move || {
        if !focus(".wizard-page [autofocus]") && !first {
            focus("#wizard-page-title");
        }
    });
}

/// Focuses the first element matching `selector`; false when there is none (or on the server).
fn focus(selector: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let found = document().query_selector(selector).ok().flatten();
        if let Some(element) = found.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            return element.focus().is_ok();
        }
    }
    let _ = selector;
    false
}

/// The page holding a field: the first whose fields include the path (or its parent object).
pub fn page_of(pages: &[ParameterPage], values: &Map<String, serde_json::Value>, path: &str) -> Option<usize> {
    pages.iter().position(|page| {
        schema::fields(page, values)
            .iter()
            .any(|f| path == f.path || path.starts_with(&format!("{}.", f.path)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_server_error_leads_to_the_page_of_its_field() {
        let page = |properties: serde_json::Value| ParameterPage {
            title: None,
            description: None,
            schema: json!({ "properties": properties }),
        };
        let pages = [
            page(json!({"name": {"type": "string"}})),
            page(json!({"db": {"type": "object", "properties": {"size": {"type": "integer"}}}})),
        ];
        let values = Map::new();
        assert_eq!(page_of(&pages, &values, "name"), Some(0));
        assert_eq!(page_of(&pages, &values, "db.size"), Some(1));
        assert_eq!(page_of(&pages, &values, "nowhere"), None);
    }
}
