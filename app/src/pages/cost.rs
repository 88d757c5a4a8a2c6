//! `/cost`: the organisation's cost explorer over 7, 30 or 90 days, grouped by team, system,
//! domain, namespace or cluster; a row drills down to the entities behind it, and an entity to
//! its Cost tab. Idle, unmounted volumes and unallocated cost are rows of their own, and the
//! workloads behind the unallocated cost are listed. Every row expands to its figures.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::catalog::entity_href;
use crate::api::cost::{Explorer, GROUPINGS, grouping, load_cost_explorer, range_days};
use crate::components::cost::controls::RangeLinks;
use crate::components::cost::lines_table::{LinesTable, Link};
use crate::pages::entity_cost::urlencoding;
use crate::safe::title::PageTitle;

/// The organisation's cost explorer.
#[component]
pub fn CostPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        query.with(|q| {
            (
                grouping(q.get("by").as_deref()).to_string(),
                q.get("key").filter(|k| !k.is_empty()),
                range_days(q.get("days").and_then(|d| d.parse().ok())),
            )
        })
    });
    let data = Resource::new(
        move || params.get(),
        |(by, key, days)| load_cost_explorer(Some(by), key, Some(days)),
    );
    view! {
        <PageTitle text="Cost" />
        <div class="page-head"><h1>"Cost"</h1></div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move { data.await.map(|data| view! { <ExplorerView data /> }) })}
        </Transition>
    }
    .into_any()
}

#[component]
fn ExplorerView(data: Explorer) -> impl IntoView {
    let (by, days) = (data.by.clone(), data.days);
    let by_label = GROUPINGS
        .iter()
        .find(|(g, _)| *g == by)
        .map(|(_, l)| *l)
        .unwrap_or("Team");
    let lede = match &data.key {
        Some(key) => format!("The entities behind {by_label} {key}, over the last {days} days and today so far."),
        None => format!(
            "The organisation's cost by {}, over the last {days} days and today so far (UTC days). A row leads to the entities behind it.",
            by_label.to_lowercase()
        ),
    };
    let drill: Link = match &data.key {
        Some(_) => Arc::new(|line| (!line.reserved()).then(|| format!("{}/cost", entity_href(&line.key)))),
        None => {
            let by = by.clone();
            Arc::new(move |line| {
                let drillable = !line.reserved() || line.key == cost::allocation::UNALLOCATED;
                drillable.then(|| format!("/cost?by={by}&key={}&days={days}", urlencoding(&line.key)))
            })
        }
    };
    let query = match &data.key {
        Some(key) => format!("by={by}&key={}", urlencoding(key)),
        None => format!("by={by}"),
    };
    let export = format!(
        "/api/cost/export.csv?window={}d&aggregate={}&accumulate=true",
        days + 1,
        if by == "team" { "owner" } else { by.as_str() }
    );
    view! {
        <p class="muted" data-testid="scope">{lede}</p>
        <div class="delivery-controls">
            <nav class="depth" aria-label="Group by" data-testid="group-by">
                <span class="muted">"Group by "</span>
                {GROUPINGS.iter().map(|(g, label)| {
                    let here = *g == by && data.key.is_none();
                    view! { <a href=format!("/cost?by={g}&days={days}") class:selected=here aria-current=here.then_some("true")>{*label}</a> }
                }).collect_view()}
            </nav>
            <RangeLinks days query=query />
        </div>
        {data.key.as_ref().map(|_| view! { <p><a href=format!("/cost?by={by}&days={days}")>{format!("← every {}", by_label.to_lowercase())}</a></p> })}
        <LinesTable lines=data.lines.clone() name_header=if data.key.is_some() { "Entity".to_string() } else { by_label.to_string() } testid="explorer-lines" link=drill />
        <p class="exports small"><a href=export rel="external" download="">"Download as CSV"</a></p>
        <section data-testid="unallocated">
            <h2>"Unallocated: workloads no entity claims"</h2>
            <p class="muted small">"Their cost is counted above as unallocated, never dropped. Claim a workload with Backstage's kubernetes annotations on its entity to allocate it."</p>
            <LinesTable lines=data.unallocated.clone() name_header="Workload (namespace/kind/name)" testid="unallocated-lines" link=Arc::new(|_| None) />
        </section>
    }
    .into_any()
}
