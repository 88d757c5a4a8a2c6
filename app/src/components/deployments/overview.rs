//! The Deployments page's table: every workload across clusters with its entity, owner, place,
//! health, version, replicas and first problem, problems first. A row re-renders when its
//! workload changes.

use deployments::model::{ClusterState, Workload};
use leptos::prelude::*;

use super::filters::{Filters, short_ref};
use super::state::{LiveDeployments, LiveWorkload, stale_since};
use super::{HealthBadge, StaleMark, format};
use crate::api::catalog::entity_href;

#[component]
pub fn DeploymentsTable(state: LiveDeployments, filters: Filters) -> impl IntoView {
    let shown = {
        let filters = filters.clone();
        Memo::new(move |_| {
            state.workloads.with(|list| {
                list.iter()
                    .filter(|w| w.info.with(|i| filters.matches(i)))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    };
    let count = move || {
        let n = shown.with(Vec::len);
        format!("{n} {}", if n == 1 { "workload" } else { "workloads" })
    };
    view! {
        <p class="muted" data-testid="deployments-count">{count}</p>
        <div class="table-wrap">
            <table class="entities deployments-table" data-testid="deployments-table">
                <thead>
                    <tr>
                        <th scope="col">"Workload"</th>
                        <th scope="col">"Entity"</th>
                        <th scope="col">"Owner"</th>
                        <th scope="col">"Cluster"</th>
                        <th scope="col">"Namespace"</th>
                        <th scope="col">"Health"</th>
                        <th scope="col">"Version"</th>
                        <th scope="col">"Ready"</th>
                        <th scope="col">"Problem"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || shown.get() key=|w| w.key.clone() let:workload>
                        <OverviewRow workload clusters=state.clusters />
                    </For>
                </tbody>
            </table>
        </div>
        <Show when=move || shown.with(Vec::is_empty)>
            <p class="empty" data-testid="deployments-none">"No workload matches these filters."</p>
        </Show>
    }
    .into_any()
}

#[component]
fn OverviewRow(workload: LiveWorkload, clusters: RwSignal<Vec<ClusterState>>) -> impl IntoView {
    let info = workload.info.clone();
    let key = &workload.key;
    let id = format!("{}/{}/{}/{}", key.cluster, key.namespace, key.kind.as_str(), key.name);
    view! {
        <tr data-testid="deployment-row" data-workload=id>
            {move || {
                let w = info.get();
                let stale = clusters.with(|c| stale_since(&w, c));
                view! { <OverviewCells workload=w stale /> }
            }}
        </tr>
    }
    .into_any()
}

#[component]
fn OverviewCells(workload: Workload, stale: Option<i64>) -> impl IntoView {
    let link = |r: Option<String>| match r {
        Some(r) => view! { <a href=entity_href(&r) title=r.clone()>{short_ref(&r).to_string()}</a> }.into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    let problem = workload.problems.first().map(|p| {
        let more = workload.problems.len() - 1;
        view! {
            <span data-testid="first-problem">{p.text()}</span>
            {(more > 0).then(|| view! { <span class="muted small">{format!(" (+{more} more)")}</span> })}
        }
    });
    let r = workload.replicas;
    let images: Vec<&str> = workload.images.iter().map(|i| i.image.as_str()).collect();
    let images = images.join("\n");
    view! {
        <td>
            <span class="muted small">{workload.key.kind.as_str()}" "</span>
            <span class="entity-name">{workload.key.name.clone()}</span>
        </td>
        <td>{link(workload.entity.clone())}</td>
        <td>{link(workload.owner.clone())}</td>
        <td>{workload.key.cluster.clone()}</td>
        <td>{workload.key.namespace.clone()}</td>
        <td><HealthBadge health=workload.health /><StaleMark since_ms=stale /></td>
        <td class="mono" title=images>
            {format::version(&workload.images)}
        </td>
        <td>{format!("{}/{}", r.ready, r.desired)}</td>
        <td class="problem-cell">{problem}</td>
    }
}
