//! `/create/templates/{namespace}/{name}`: the form of one template, page by page, then the
//! review and Create. A template Cairn cannot run says why instead of offering a form.

use crate::safe::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::catalog::entity_href;
use crate::api::scaffolder::{TemplateForm, load_template};
use crate::components::scaffolder::wizard::Wizard;
use crate::pages::not_found::NotFound;

/// The template form page.
#[component]
pub fn TemplateFormPage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        params.with(|p| {
            (
                p.get("namespace").unwrap_or_default(),
                p.get("name").unwrap_or_default(),
            )
        })
    });
    let form = Resource::new(move || key.get(), |(namespace, name)| load_template(namespace, name));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                form.await.map(|found| match found {
                    Some(form) => view! { <TemplateView form /> }.into_any(),
                    None => view! { <NotFound /> }.into_any(),
                })
            })}
        </Transition>
    }
}

#[component]
fn TemplateView(form: TemplateForm) -> impl IntoView {
    let template = form.template;
    view! {
        <PageTitle text=format!("Create: {}", template.title) />
        <header class="entity-head">
            <p class="eyebrow"><a href="/create">"Create"</a>" · "{template.template_type.clone().unwrap_or_else(|| "template".into())}</p>
            <h1>{template.title.clone()}</h1>
            {template.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            <p class="small"><a href=entity_href(&template.entity_ref)>"View the template in the catalog"</a></p>
        </header>
        {if form.problems.is_empty() {
            view! { <Wizard template /> }.into_any()
        } else {
            view! {
                <section class="panel alert" role="alert">
                    <h2>"Cairn cannot run this template"</h2>
                    <ul class="problems">{form.problems.into_iter().map(|p| view! { <li class="mono">{p}</li> }).collect_view()}</ul>
                </section>
            }.into_any()
        }}
    }
}
