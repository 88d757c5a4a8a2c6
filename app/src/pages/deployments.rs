//! `/deployments`: every workload across clusters with its owner, health and version, problems
//! first, filtered by owner, cluster, namespace and state (in the URL), live once interactive.

use crate::safe::title::PageTitle;
use deployments::model::Reachability;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::deployments::{DeploymentsOverview, load_deployments_overview};
use crate::api::features::Features;
use crate::components::deployments::clusters::ClusterNotice;
use crate::components::deployments::filters::{FilterForm, Filters, Place, choices};
use crate::components::deployments::live::{LiveIndicator, follow};
use crate::components::deployments::overview::DeploymentsTable;
use crate::components::deployments::state::LiveDeployments;
use crate::pages::entity_deployments::NotConfigured;

/// The Deployments page.
#[component]
pub fn DeploymentsPage() -> impl IntoView {
    if !Features::current().deployments {
        return view! { <NotConfigured /> }.into_any();
    }
    let query = use_query_map();
    let filters = Memo::new(move |_| query.with(|q| Filters::from_params(|k| q.get(k))));
    let overview = Resource::new(|| (), |_| load_deployments_overview());
    view! {
        <PageTitle text="Deployments" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                overview.await.map(|overview| view! { <Overview overview filters /> })
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn Overview(overview: DeploymentsOverview, filters: Memo<Filters>) -> impl IntoView {
    let state = LiveDeployments::new(overview.clusters, overview.workloads, Vec::new());
    follow("/api/kubernetes/stream".into(), state);
    let places = Memo::new(move |_| {
        state
            .workloads
            .with(|list| list.iter().map(|w| w.info.with(Place::of)).collect::<Vec<_>>())
    });
    let options = Memo::new(move |_| {
        let chosen = filters.get();
        places.with(|p| state.clusters.with(|c| choices(p, c, &chosen)))
    });
    let notices = move || {
        state.clusters.with(|clusters| {
            clusters
                .iter()
                .filter(|c| !matches!(c.reachability, Reachability::Reachable) || !c.forbidden.is_empty())
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="page-head">
            <h1>"Deployments"</h1>
            <LiveIndicator connection=state.connection />
        </div>
        <div class="cluster-notices">
            {move || notices().into_iter().map(|cluster| view! { <ClusterNotice cluster /> }).collect_view()}
        </div>
        {move || {
            let filters = filters.get();
            view! {
                <FilterForm filters=filters.clone() choices=options.into() />
                <DeploymentsTable state filters />
            }
        }}
    }
    .into_any()
}
