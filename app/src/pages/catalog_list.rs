//! `/catalog`: every entity of a kind, filtered by facets with counts, searched as you type,
//! sorted by column and paged by cursor. The whole state lives in the URL.

use crate::safe::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::catalog::{CatalogPage, CatalogQuery, FacetGroup, list_catalog};
use crate::api::features::Features;
use crate::components::entity_table::EntityTable;

/// The catalog list page.
#[component]
pub fn CatalogListPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| CatalogQuery::from_params(|k| p.get(k))));
    let page = Resource::new(move || query.get(), list_catalog);
    view! {
        <PageTitle text="Catalog" />
        <div class="page-head">
            <h1>"Catalog"</h1>
            <RegisterButton />
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                page.await.map(|page| view! { <CatalogView page query=query.get_untracked() /> })
            })}
        </Transition>
    }
}

#[component]
fn CatalogView(page: CatalogPage, query: CatalogQuery) -> impl IntoView {
    let kind = query.kind_or_default();
    view! {
        <KindTabs kinds=page.kinds.clone() query=query.clone() current=kind.clone() />
        <div class="catalog-layout">
            <aside class="filters" aria-label="Filters">
                <SearchBox query=query.clone() />
                {page.facets.iter().cloned().map(|group| view! { <FacetFilter group query=query.clone() /> }).collect_view()}
            </aside>
            <section class="catalog-results">
                <p class="muted" data-testid="result-count">{format!("{} {}", page.total, plural(&kind, page.total))}</p>
                <EntityTable rows=page.rows.clone() query=Some(query.clone()) show_kind=false />
                <Pager query page />
            </section>
        </div>
    }
}

fn plural(kind: &str, n: usize) -> String {
    let label = crate::components::kind_label(kind);
    if n == 1 {
        label.to_lowercase()
    } else {
        format!("{}s", label.to_lowercase())
    }
}

/// One tab per kind, with counts.
#[component]
fn KindTabs(kinds: Vec<crate::api::catalog::FacetValue>, query: CatalogQuery, current: String) -> impl IntoView {
    view! {
        <nav class="kind-tabs" aria-label="Kinds">
            {kinds
                .into_iter()
                .map(|k| {
                    let lower = k.value.to_lowercase();
                    let selected = lower == current;
                    let href = query.with("kind", &lower).href();
                    view! {
                        <a href=href class:selected=selected aria-current=selected.then_some("page")>
                            {k.value.clone()} <span class="count">{k.count}</span>
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// Search as you type: each keystroke updates `q` in the URL (replacing the history entry).
#[component]
fn SearchBox(query: CatalogQuery) -> impl IntoView {
    let navigate = use_navigate();
    let value = query.q.clone();
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let href = query.with("q", &text).href();
        navigate(
            &href,
            leptos_router::NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    view! {
        <form class="search" action="/catalog" method="get" role="search" on:submit=|ev| ev.prevent_default()>
            <label for="catalog-search">"Search"</label>
            <input id="catalog-search" name="q" type="search" placeholder="Name, description, tag…" value=value on:input=on_input autocomplete="off" />
        </form>
    }
}

/// A filter: its values with counts; the chosen one is marked and clicking it again clears it.
#[component]
fn FacetFilter(group: FacetGroup, query: CatalogQuery) -> impl IntoView {
    let chosen = query.filter_value(&group.param);
    let param = group.param.clone();
    let empty = group.values.is_empty();
    view! {
        <section class="facet" data-facet=param.clone()>
            <h2>{group.label.clone()}</h2>
            <Show when=move || empty>
                <p class="muted">"None"</p>
            </Show>
            <ul>
                {group
                    .values
                    .into_iter()
                    .map(|v| {
                        let selected = v.value.eq_ignore_ascii_case(&chosen);
                        let href = query.with(&param, if selected { "" } else { &v.value }).href();
                        let label = v.value.strip_prefix("group:default/").or(v.value.strip_prefix("user:default/")).unwrap_or(&v.value).to_string();
                        view! {
                            <li>
                                <a href=href class:selected=selected aria-pressed=if selected { "true" } else { "false" }>
                                    <span>{label}</span>
                                    <span class="count">{v.count}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Pager(query: CatalogQuery, page: CatalogPage) -> impl IntoView {
    let prev = page.prev.map(|c| query.with("cursor", &c).href());
    let next = page.next.map(|c| query.with("cursor", &c).href());
    view! {
        <nav class="pager" aria-label="Pages">
            {match prev {
                Some(href) => view! { <a href=href rel="prev">"← Previous"</a> }.into_any(),
                None => view! { <span class="muted">"← Previous"</span> }.into_any(),
            }}
            {match next {
                Some(href) => view! { <a href=href rel="next">"Next →"</a> }.into_any(),
                None => view! { <span class="muted">"Next →"</span> }.into_any(),
            }}
        </nav>
    }
}

/// Shown only where registering can work.
#[component]
fn RegisterButton() -> impl IntoView {
    (Features::current().register_locations
        && crate::api::access::Viewer::current().can(access::Permission::LocationCreate, &[]))
    .then(|| view! { <a class="button" href="/catalog-import">"Register existing component"</a> })
}
