//! One workload on an entity's Deployments tab: kind and name, health, replicas, rollout with its
//! progress, revision and strategy, the running images, then its autoscaler, Argo status, warning
//! events and pods. The summary re-renders when the workload changes; its pods are rows of their
//! own.

use deployments::model::{ClusterState, ContainerImage, RolloutPhase, Workload};
use leptos::prelude::*;

use super::argo::{ArgoCd, ArgoRollout};
use super::autoscaler::AutoscalerFacts;
use super::events::WarningEvents;
use super::format;
use super::pods::PodTable;
use super::state::{LiveWorkload, stale_since};
use super::{HealthBadge, StaleMark};

#[component]
pub fn WorkloadCard(
    workload: LiveWorkload,
    clusters: RwSignal<Vec<ClusterState>>,
    now: RwSignal<Option<i64>>,
) -> impl IntoView {
    let info = workload.info.clone();
    let stale = {
        let info = info.clone();
        Memo::new(move |_| info.with(|w| clusters.with(|c| stale_since(w, c))))
    };
    let health = {
        let info = info.clone();
        move || info.with(|w| w.health.as_str())
    };
    view! {
        <article
            class="workload panel"
            class:stale=move || stale.get().is_some()
            data-testid="workload"
            data-workload=workload.key.name.clone()
            data-health=health
        >
            {move || view! { <WorkloadSummary workload=info.get() stale=stale.get() /> }}
            <PodTable pods=workload.pods.clone() now />
        </article>
    }
    .into_any()
}

#[component]
fn WorkloadSummary(workload: Workload, stale: Option<i64>) -> impl IntoView {
    view! {
        <header class="workload-head">
            <span class="workload-kind">{workload.key.kind.as_str()}</span>
            <h5 class="workload-name">{workload.key.name.clone()}</h5>
            <HealthBadge health=workload.health />
            <StaleMark since_ms=stale />
        </header>
        <div class="workload-facts">
            <ReplicaCounts workload=workload.clone() />
            <Rollout workload=workload.clone() />
        </div>
        <Images images=workload.images.clone() />
        {workload.autoscaler.clone().map(|a| view! { <AutoscalerFacts autoscaler=a /> })}
        {workload.argo_cd.clone().map(|a| view! { <ArgoCd status=a /> })}
        {workload.argo_rollout.clone().map(|a| view! { <ArgoRollout status=a /> })}
        <WarningEvents events=workload.events.clone() />
    }
    .into_any()
}

#[component]
fn ReplicaCounts(workload: Workload) -> impl IntoView {
    let r = workload.replicas;
    view! {
        <dl class="replicas" data-testid="replicas">
            <div><dt>"desired"</dt><dd>{r.desired}</dd></div>
            <div><dt>"updated"</dt><dd>{r.updated}</dd></div>
            <div><dt>"ready"</dt><dd>{r.ready}</dd></div>
            <div><dt>"available"</dt><dd>{r.available}</dd></div>
        </dl>
    }
}

#[component]
fn Rollout(workload: Workload) -> impl IntoView {
    let rollout = workload.rollout.clone();
    let (phase, class) = match rollout.phase {
        RolloutPhase::Complete => ("complete", "ok"),
        RolloutPhase::Progressing => ("progressing", "pending"),
        RolloutPhase::Paused => ("paused", "pending"),
        RolloutPhase::Failed => ("failed", "bad"),
    };
    let progress = format::progress(&workload.replicas);
    let revision = workload.revision.clone().map(|rev| {
        let since = workload
            .revision_since_ms
            .map(|s| format!(" since {}", format::when(s)));
        view! { <span>"revision "<span class="mono">{rev}</span>{since}</span> }
    });
    view! {
        <div class="rollout" data-testid="rollout">
            <span class=format!("state state-{class}")>{format!("Rollout {phase}")}</span>
            <progress max="100" value=progress.to_string() aria-label="Pods on the current revision">
                {format!("{progress}%")}
            </progress>
            <span class="muted small">{format!("{} of {} updated", workload.replicas.updated, workload.replicas.desired)}</span>
            {revision}
            {rollout.strategy.map(|s| view! { <span class="chip">{s}</span> })}
            {rollout.message.map(|m| view! { <p class="muted small rollout-message">{m}</p> })}
        </div>
    }
}

/// The running version: each container's image, tag and the digest its pods run.
#[component]
fn Images(images: Vec<ContainerImage>) -> impl IntoView {
    (!images.is_empty()).then(|| {
        view! {
            <ul class="images" data-testid="images">
                {images
                    .into_iter()
                    .map(|i| {
                        let digest = i.digest.clone().map(|d| {
                            view! { <span class="digest mono" title=d.clone()>{format::short_digest(&d)}</span> }
                        });
                        view! {
                            <li>
                                <span class="muted">{i.container}": "</span>
                                <span class="mono" title=i.image.clone()>{i.image.clone()}</span>" "
                                <span class="tag chip">{i.tag.unwrap_or_else(|| "latest".into())}</span>
                                {digest}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
