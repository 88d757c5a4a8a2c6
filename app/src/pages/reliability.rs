//! `/reliability`: every SLO, out of budget and burning fastest first, filterable by owner and
//! system (a plain GET form: it works without the page's script), each leading to its entity's
//! Reliability tab. A team's own view is its Group's Reliability tab.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::reliability::{OverviewView, load_reliability_overview};
use crate::components::reliability::connect::ConnectPrometheus;
use crate::components::reliability::list::SloList;
use crate::safe::title::PageTitle;

#[component]
pub fn ReliabilityPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        query.with(|q| {
            let pick = |k: &str| q.get(k).filter(|v| !v.is_empty());
            (pick("owner"), pick("system"))
        })
    });
    let data = Resource::new(
        move || filters.get(),
        |(owner, system)| load_reliability_overview(owner, system),
    );
    view! {
        <PageTitle text="Reliability" />
        <div class="page-head"><h1>"Reliability"</h1></div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let (owner, system) = filters.get();
                Suspend::new(async move { data.await.map(|data| view! { <Overview data owner system /> }) })
            }}
        </Transition>
    }
    .into_any()
}

#[component]
fn Overview(data: OverviewView, owner: Option<String>, system: Option<String>) -> impl IntoView {
    let out = data
        .items
        .iter()
        .filter(|s| s.figures.remaining.is_some_and(|r| r <= 0.0))
        .count();
    let alerting = data.items.iter().filter(|s| s.figures.alert.is_some()).count();
    let scope = format!(
        "{} of {} SLOs shown: {} out of budget, {} with a burn-rate alert firing. Out of budget and burning fastest first; figures as of each SLO's last sync.",
        data.items.len(),
        data.total,
        out,
        alerting
    );
    view! {
        <p class="muted" data-testid="scope">{scope}</p>
        {(!data.connected).then(|| view! { <ConnectPrometheus /> })}
        {(data.problems > 0).then(|| view! {
            <p class="warning" role="note" data-testid="problem-count">{format!("{} problems in SLO files: each is listed, with its file and line, on its entity's Reliability tab.", data.problems)}</p>
        })}
        <form method="get" action="/reliability" class="slo-filters" data-testid="filters">
            <Select name="owner" label="Owner" options=data.owners.clone() chosen=owner />
            <Select name="system" label="System" options=data.systems.clone() chosen=system />
            <button type="submit" class="button secondary small">"Filter"</button>
            <a href="/reliability" class="small">"All"</a>
        </form>
        <SloList items=data.items />
    }
    .into_any()
}

#[component]
fn Select(name: &'static str, label: &'static str, options: Vec<String>, chosen: Option<String>) -> impl IntoView {
    let chosen = chosen.map(|c| c.to_lowercase());
    view! {
        <label>
            {label}" "
            <select name=name>
                <option value="">"any"</option>
                {options.into_iter().map(|o| {
                    let selected = chosen.as_deref() == Some(o.as_str());
                    view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}
