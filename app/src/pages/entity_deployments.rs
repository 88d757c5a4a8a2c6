//! `/catalog/{namespace}/{kind}/{name}/deployments`: the entity's workloads in every cluster, live
//! once the page is interactive: problems first in plain words, then per cluster and namespace each
//! workload with its pods, then the rollouts recorded.

use crate::safe::title::PageTitle;
use leptos::prelude::*;

use crate::api::catalog::{EntityDetails, encode, load_entity};
use crate::api::deployments::{EntityDeployments, load_entity_deployments};
use crate::api::features::Features;
use crate::components::deployments::clusters::{ClusterSections, NoWorkloads};
use crate::components::deployments::live::{LiveIndicator, follow, now};
use crate::components::deployments::problems::ProblemSummary;
use crate::components::deployments::state::LiveDeployments;
use crate::components::deployments::timeline::RolloutTimeline;
use crate::pages::entity::{EntityHeading, EntityTab, EntityTabs};
use crate::pages::not_found::NotFound;

/// The entity's Deployments tab.
#[component]
pub fn EntityDeploymentsPage() -> impl IntoView {
    if !Features::current().deployments {
        return view! { <NotConfigured /> }.into_any();
    }
    let key = crate::pages::entity::entity_key();
    let entity = Resource::new(
        move || key.get(),
        |(kind, namespace, name)| load_entity(kind, namespace, name),
    );
    let deployments = Resource::new(
        move || key.get(),
        |(kind, namespace, name)| load_entity_deployments(kind, namespace, name),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let entity = entity.await?;
                let deployments = deployments.await?;
                Ok::<_, ServerFnError>(match (entity, deployments) {
                    (Some(details), Some(deployments)) => view! { <DeploymentsTab details deployments /> }.into_any(),
                    _ => view! { <NotFound /> }.into_any(),
                })
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn DeploymentsTab(details: EntityDetails, deployments: EntityDeployments) -> impl IntoView {
    let row = details.row;
    let state = LiveDeployments::new(deployments.clusters, deployments.workloads, deployments.history);
    follow(
        format!("/api/kubernetes/stream?entity={}", encode(&row.entity_ref)),
        state,
    );
    let now = now();
    view! {
        <PageTitle text=format!("{} · Deployments", row.label()) />
        <EntityHeading row=row.clone() />
        <EntityTabs entity_ref=row.entity_ref.clone() kind=row.kind.clone() current=EntityTab::Deployments />
        <div class="deployments-head">
            <h2>"Deployments"</h2>
            <LiveIndicator connection=state.connection />
        </div>
        <ProblemSummary state />
        <Show when=move || state.workloads.with(Vec::is_empty)>
            <NoWorkloads state entity_name=row.name.clone() />
        </Show>
        <ClusterSections state now />
        <RolloutTimeline history=state.history />
    }
    .into_any()
}

/// Shown when the server watches no cluster.
#[component]
pub fn NotConfigured() -> impl IntoView {
    view! {
        <PageTitle text="Deployments" />
        <section class="panel" data-testid="deployments-unavailable">
            <h1>"Deployments are not available"</h1>
            <p>"This portal watches no Kubernetes cluster. Configure "<code>"kubernetes.clusters"</code>" in cairn.yaml to see what runs where."</p>
        </section>
    }
}
