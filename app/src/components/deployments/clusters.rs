//! An entity's workloads placed by cluster and namespace, with what each cluster says about
//! itself: unreachable since when (its workloads then show their last known state), resource types
//! its service account may not list, still connecting. And the empty state, which says where it
//! looked and how to map an entity.

use deployments::model::{ClusterState, Reachability};
use leptos::prelude::*;

use super::format;
use super::state::LiveDeployments;
use super::workload::WorkloadCard;

/// Clusters worth a section: those with workloads, and those whose state may hide some.
fn shown_clusters(state: &LiveDeployments) -> Vec<String> {
    let mut names: Vec<String> = state.clusters.with(|clusters| {
        clusters
            .iter()
            .filter(|c| !matches!(c.reachability, Reachability::Reachable) || !c.forbidden.is_empty())
            .map(|c| c.name.clone())
            .collect()
    });
    state.workloads.with(|list| {
        for w in list {
            if !names.contains(&w.key.cluster) {
                names.push(w.key.cluster.clone());
            }
        }
    });
    // Configured order.
    state.clusters.with(|clusters| {
        names.sort_by_key(|n| clusters.iter().position(|c| &c.name == n).unwrap_or(usize::MAX));
    });
    names
}

/// Every workload, by cluster and namespace.
#[component]
pub fn ClusterSections(state: LiveDeployments, now: RwSignal<Option<i64>>) -> impl IntoView {
    let names = Memo::new(move |_| shown_clusters(&state));
    view! {
        <For each=move || names.get() key=|name| name.clone() let:name>
            <ClusterSection name state now />
        </For>
    }
    .into_any()
}

#[component]
fn ClusterSection(name: String, state: LiveDeployments, now: RwSignal<Option<i64>>) -> impl IntoView {
    let cluster = {
        let name = name.clone();
        Memo::new(move |_| state.clusters.with(|c| c.iter().find(|c| c.name == name).cloned()))
    };
    let namespaces = {
        let name = name.clone();
        Memo::new(move |_| {
            let mut namespaces: Vec<String> = state.workloads.with(|list| {
                list.iter()
                    .filter(|w| w.key.cluster == name)
                    .map(|w| w.key.namespace.clone())
                    .collect()
            });
            namespaces.sort();
            namespaces.dedup();
            namespaces
        })
    };
    let in_cluster = name.clone();
    view! {
        <section class="cluster-section" data-testid="cluster" data-cluster=name.clone()>
            <h3 class="cluster-name"><span class="muted">"Cluster "</span>{name.clone()}</h3>
            {move || cluster.get().map(|c| view! { <ClusterNotice cluster=c /> })}
            <For each=move || namespaces.get() key=|ns| ns.clone() let:namespace>
                <NamespaceGroup cluster=in_cluster.clone() namespace state now />
            </For>
        </section>
    }
    .into_any()
}

#[component]
fn NamespaceGroup(
    cluster: String,
    namespace: String,
    state: LiveDeployments,
    now: RwSignal<Option<i64>>,
) -> impl IntoView {
    let (c, n) = (cluster.clone(), namespace.clone());
    let workloads = move || {
        state.workloads.with(|list| {
            list.iter()
                .filter(|w| w.key.cluster == c && w.key.namespace == n)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let heading = namespace.clone();
    view! {
        <div class="namespace-group" data-namespace=namespace>
            <h4 class="namespace-name"><span class="muted">"Namespace "</span>{heading}</h4>
            <For each=workloads key=|w| w.key.clone() let:workload>
                <WorkloadCard workload clusters=state.clusters now />
            </For>
        </div>
    }
    .into_any()
}

/// What a cluster says about itself, when it is not simply reachable.
#[component]
pub fn ClusterNotice(cluster: ClusterState) -> impl IntoView {
    let reach = match cluster.reachability {
        Reachability::Reachable => None,
        Reachability::Connecting => Some(view! {
            <p class="cluster-notice pending" data-testid="cluster-connecting">
                {format!("{}: connecting…", cluster.name)}
            </p>
        }
        .into_any()),
        Reachability::Unreachable { since_ms } => Some(view! {
            <p class="cluster-notice stale-notice" role="alert" data-testid="cluster-unreachable" title=format::when(since_ms)>
                {format!(
                    "{}: unreachable since {} — showing its last known state",
                    cluster.name,
                    format::clock(since_ms)
                )}
            </p>
        }
        .into_any()),
    };
    let forbidden = (!cluster.forbidden.is_empty()).then(|| {
        view! {
            <ul class="cluster-notice forbidden" data-testid="cluster-forbidden">
                {cluster
                    .forbidden
                    .iter()
                    .map(|f| view! {
                        <li>
                            {format!("{}: not allowed to list ", cluster.name)}
                            <code>{f.resource.clone()}</code>
                            " — "{f.message.clone()}
                        </li>
                    })
                    .collect_view()}
            </ul>
        }
    });
    view! { {reach} {forbidden} }
}

/// No workload maps to the entity: where the page looked and how to map one.
#[component]
pub fn NoWorkloads(state: LiveDeployments, entity_name: String) -> impl IntoView {
    let searched = move || {
        state.clusters.with(|c| {
            if c.is_empty() {
                "No cluster is configured.".to_string()
            } else {
                let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
                let noun = if names.len() == 1 { "cluster" } else { "clusters" };
                format!("Searched {noun} {}.", names.join(", "))
            }
        })
    };
    view! {
        <section class="panel deployments-empty" data-testid="deployments-empty">
            <h3>"No workloads found for this entity"</h3>
            <p data-testid="searched-clusters">{searched}</p>
            <p>"Workloads are mapped to an entity by the label "
                <code>{format!("backstage.io/kubernetes-id: {entity_name}")}</code>
                " on the Deployment (StatefulSet, DaemonSet, Rollout) and its pods, or by the entity's annotation "
                <code>"backstage.io/kubernetes-label-selector"</code>
                " (e.g. "<code>{format!("app.kubernetes.io/name={entity_name}")}</code>"), optionally with "
                <code>"backstage.io/kubernetes-namespace"</code>"."
            </p>
        </section>
    }
    .into_any()
}
