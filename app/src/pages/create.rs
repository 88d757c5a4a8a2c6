//! `/create`: the template gallery. Search and filters live in the URL (plain GET links and a GET
//! form, so they work before the wasm loads); templates Cairn cannot run are shown, disabled, with
//! their problems.

use crate::safe::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::scaffolder::{GalleryQuery, TemplateCard, list_templates};
use crate::components::scaffolder::card::TemplateCardView;

/// The gallery page.
#[component]
pub fn CreatePage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| GalleryQuery::from_params(|k| p.get(k))));
    let templates = Resource::new(|| (), |()| list_templates());
    view! {
        <PageTitle text="Create" />
        <div class="page-head">
            <h1>"Create a new component"</h1>
        </div>
        <p class="lede create-lede">"Choose a golden path: answer a few questions and Cairn creates the repository, publishes it and registers it in the catalog."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                templates.await.map(|cards| view! { <Gallery cards query /> })
            })}
        </Transition>
    }
}

#[component]
fn Gallery(cards: Vec<TemplateCard>, query: Memo<GalleryQuery>) -> impl IntoView {
    let tags = facet(cards.iter().flat_map(|c| c.tags.iter().map(|t| t.to_lowercase())));
    let owners = facet(cards.iter().filter_map(|c| c.owner.clone()));
    let shown = {
        let cards = cards.clone();
        move || {
            cards
                .iter()
                .filter(|c| c.matches(&query.get()))
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    let total = cards.len();
    view! {
        <div class="catalog-layout">
            <aside class="filters" aria-label="Filters">
                <SearchBox query />
                <Filter title="Tags" param="tag" values=tags query />
                <Filter title="Owner" param="owner" values=owners query />
            </aside>
            <section class="catalog-results">
                {move || {
                    let shown = shown();
                    view! {
                        <p class="muted" data-testid="template-count">{format!("{} of {total} templates", shown.len())}</p>
                        <Show when={let empty = shown.is_empty(); move || empty}>
                            <p class="empty">"No template matches; clear the search or a filter."</p>
                        </Show>
                        <ul class="template-gallery">
                            {shown.into_iter().map(|card| view! { <li><TemplateCardView card /></li> }).collect_view()}
                        </ul>
                    }
                }}
            </section>
        </div>
    }
}

/// Distinct values, sorted, with how many templates have each.
fn facet(values: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for value in values {
        *counts.entry(value).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

/// Search as you type once hydrated (the URL follows); a GET form before.
#[component]
fn SearchBox(query: Memo<GalleryQuery>) -> impl IntoView {
    let navigate = use_navigate();
    let GalleryQuery { q: value, tag, owner } = query.get_untracked();
    let on_input = move |ev: leptos::ev::Event| {
        let href = query.get_untracked().with("q", &event_target_value(&ev)).href();
        let options = leptos_router::NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        };
        navigate(&href, options);
    };
    view! {
        <form class="search" action="/create" method="get" role="search" on:submit=|ev| ev.prevent_default()>
            <label for="template-search">"Search"</label>
            <input id="template-search" name="q" type="search" placeholder="Name, description, tag…" value=value on:input=on_input autocomplete="off" />
            {(!tag.is_empty()).then(|| view! { <input type="hidden" name="tag" value=tag.clone() /> })}
            {(!owner.is_empty()).then(|| view! { <input type="hidden" name="owner" value=owner.clone() /> })}
        </form>
    }
}

/// A filter's values as links; the chosen one is marked and clicking it again clears it.
#[component]
fn Filter(
    title: &'static str,
    param: &'static str,
    values: Vec<(String, usize)>,
    query: Memo<GalleryQuery>,
) -> impl IntoView {
    let empty = values.is_empty();
    view! {
        <section class="facet" data-facet=param>
            <h2>{title}</h2>
            <Show when=move || empty>
                <p class="muted">"None"</p>
            </Show>
            <ul>
                {values.into_iter().map(|(value, count)| {
                    let selected = {
                        let value = value.clone();
                        move || query.with(|q| if param == "tag" { &q.tag } else { &q.owner }.eq_ignore_ascii_case(&value))
                    };
                    let href = {
                        let (value, selected) = (value.clone(), selected.clone());
                        move || query.with(|q| q.with(param, if selected() { "" } else { &value }).href())
                    };
                    let label = value.split_once('/').map_or(value.as_str(), |(_, n)| n).to_string();
                    view! {
                        <li>
                            <a href=href class:selected=selected.clone() aria-pressed=move || if selected() { "true" } else { "false" }>
                                <span>{label}</span>
                                <span class="count">{count}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
