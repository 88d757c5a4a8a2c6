//! `/catalog/{namespace}/{kind}/{name}`: one entity — about, relations, processing errors, its
//! API definition, a Group's or User's people and ownership, the relations graph, and actions —
//! and the heading and tabs its other tabs share (`entity_deployments`, `entity_delivery`).

use crate::safe::title::PageTitle;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::catalog::{EntityDetails, EntityRow, RefreshEntity, UnregisterLocation, entity_href, load_entity};
use crate::api::features::Features;
use crate::components::entity::{
    about::About, definition::Definition, graph::RelationsGraph, people::People, relations::Relations,
};
use crate::pages::not_found::NotFound;

/// The page's entity as `(kind, namespace, name)`, from its path; shared by the entity's tabs.
pub fn entity_key() -> Memo<(String, String, String)> {
    let params = use_params_map();
    Memo::new(move |_| {
        params.with(|p| {
            (
                p.get("kind").unwrap_or_default(),
                p.get("namespace").unwrap_or_default(),
                p.get("name").unwrap_or_default(),
            )
        })
    })
}

/// The entity page.
#[component]
pub fn EntityPage() -> impl IntoView {
    let key = entity_key();
    let refresh = ServerAction::<RefreshEntity>::new();
    let details = Resource::new(
        move || (key.get(), refresh.version().get()),
        |((kind, namespace, name), _)| load_entity(kind, namespace, name),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                details.await.map(|found| match found {
                    Some(details) => view! { <EntityView details refresh /> }.into_any(),
                    None => view! { <NotFound /> }.into_any(),
                })
            })}
        </Transition>
    }
}

#[component]
fn EntityView(details: EntityDetails, refresh: ServerAction<RefreshEntity>) -> impl IntoView {
    let row = details.row.clone();
    let query = use_query_map();
    let depth = Memo::new(move |_| {
        query.with(|q| {
            q.get("depth")
                .and_then(|d| d.parse::<u8>().ok())
                .unwrap_or(1)
                .clamp(1, 3)
        })
    });
    let kind = row.kind.to_lowercase();
    let actions = details.clone();
    view! {
        <PageTitle text=row.label() />
        <EntityHeading row=row.clone()>
            <Actions details=actions refresh />
        </EntityHeading>
        <EntityTabs entity_ref=row.entity_ref.clone() kind=row.kind.clone() current=EntityTab::Overview />
        <OrphanNotice orphan=row.orphan source=details.source.clone() />
        <ProcessingErrors errors=details.errors.clone() />
        <div class="entity-grid">
            <About details=details.clone() />
            <Relations groups=details.relations.clone() />
        </div>
        {(kind == "group" || kind == "user").then(|| view! { <People details=details.clone() /> })}
        {details.definition.clone().map(|d| view! { <Definition definition=d /> })}
        <RelationsGraph entity_ref=row.entity_ref.clone() depth />
    }
}

/// Kind, type, title and reference: the top of each of the entity's tabs, with the tab's actions.
#[component]
pub fn EntityHeading(row: EntityRow, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    view! {
        <header class="entity-head">
            <p class="eyebrow">{crate::components::kind_label(&row.kind)} {row.entity_type.clone().map(|t| format!(" · {t}"))}</p>
            <h1>{row.label()}</h1>
            <p class="muted mono">{row.entity_ref.clone()}</p>
            {children.map(|c| c())}
        </header>
    }
}

/// The tabs of an entity's page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityTab {
    Overview,
    Deployments,
    Delivery,
    Reliability,
    Cost,
}

/// Kinds whose entities run as workloads (the Deployments tab is offered for them).
fn deployable(kind: &str) -> bool {
    matches!(kind.to_ascii_lowercase().as_str(), "component" | "resource" | "system")
}

/// Kinds with delivery metrics: what deploys, and a Group (its team view).
fn delivers(kind: &str) -> bool {
    deployable(kind) || kind.eq_ignore_ascii_case("group")
}

/// "Overview | Deployments | Delivery | Reliability" under the heading: Deployments when the
/// portal watches clusters and the kind runs as workloads, Delivery and Reliability (SLOs) for
/// those and Groups; nothing when the overview would be the only tab.
#[component]
pub fn EntityTabs(entity_ref: String, kind: String, current: EntityTab) -> impl IntoView {
    let deployments = Features::current().deployments && deployable(&kind);
    (deployments || delivers(&kind)).then(|| {
        let base = entity_href(&entity_ref);
        let tab = move |tab: EntityTab, href: String, label: &'static str| {
            let here = tab == current;
            view! {
                <a href=href class:selected=here aria-current=here.then_some("page")>{label}</a>
            }
        };
        view! {
            <nav class="entity-tabs kind-tabs" aria-label="Entity" data-testid="entity-tabs">
                {tab(EntityTab::Overview, base.clone(), "Overview")}
                {deployments.then(|| tab(EntityTab::Deployments, format!("{base}/deployments"), "Deployments"))}
                {delivers(&kind).then(|| tab(EntityTab::Delivery, format!("{base}/delivery"), "Delivery"))}
                {delivers(&kind).then(|| tab(EntityTab::Reliability, format!("{base}/reliability"), "Reliability"))}
                {delivers(&kind).then(|| tab(EntityTab::Cost, format!("{base}/cost"), "Cost"))}
            </nav>
        }
    })
}

/// The entity is no longer in its source: say so, and what happens to it.
#[component]
fn OrphanNotice(orphan: bool, source: String) -> impl IntoView {
    orphan.then(|| {
        view! {
            <section class="panel alert" role="alert" data-testid="orphan">
                <h2>"Orphan: this entity is no longer in its source"</h2>
                <p>{format!("It was last read from {source}, which no longer defines it. It stays in the catalog for the configured grace period (catalog.orphanGracePeriod), then it is removed, unless its descriptor comes back.")}</p>
            </section>
        }
    })
}

/// The latest read failed: say so at the top, with the reasons.
#[component]
fn ProcessingErrors(errors: Vec<String>) -> impl IntoView {
    (!errors.is_empty()).then(|| {
        view! {
            <section class="panel alert" role="alert" data-testid="processing-errors">
                <h2>"This entity could not be updated"</h2>
                <p>"Its descriptor has problems; the catalog shows the last version that was valid."</p>
                <ul>{errors.into_iter().map(|e| view! { <li class="mono">{e}</li> }).collect_view()}</ul>
            </section>
        }
    })
}

/// Refresh now; unregister the location that provides the entity (after a confirmation).
#[component]
fn Actions(details: EntityDetails, refresh: ServerAction<RefreshEntity>) -> impl IntoView {
    let unregister = ServerAction::<UnregisterLocation>::new();
    let reference = details.row.entity_ref.clone();
    let unregister_reference = reference.clone();
    let viewer = crate::api::access::Viewer::current();
    let may_refresh = viewer.can(access::Permission::EntityRefresh, &details.owners);
    let may_unregister = viewer.can(access::Permission::LocationDelete, &details.owners);
    let refresh_message = move || {
        refresh.value().get().map(|r| match r {
            Ok(message) => view! { <span class="ok">{message}</span> }.into_any(),
            Err(e) => view! { <span class="error">{e.to_string()}</span> }.into_any(),
        })
    };
    let unregistered = move || {
        unregister.value().get().map(|r| match r {
            Ok(count) => view! {
                <p class="ok" role="status">{format!("Location unregistered; {count} entities removed. ")}<a href="/catalog">"Back to the catalog"</a></p>
            }
            .into_any(),
            Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <div class="actions">
            {may_refresh.then(|| view! {
                <ActionForm action=refresh>
                    <input type="hidden" name="entity_ref" value=reference.clone() />
                    <button type="submit" class="button" disabled=move || refresh.pending().get()>
                        {move || if refresh.pending().get() { "Refreshing…" } else { "Refresh" }}
                    </button>
                </ActionForm>
            })}
            {(may_unregister && !details.from_config).then(|| view! {
                <details class="confirm">
                    <summary class="button secondary">"Unregister location"</summary>
                    <ActionForm action=unregister>
                        <input type="hidden" name="entity_ref" value=unregister_reference.clone() />
                        <p>"This removes " <span class="mono">{details.location_target.clone()}</span> " and every entity only it provides."</p>
                        <button type="submit" class="button danger">"Unregister"</button>
                    </ActionForm>
                </details>
            })}
            <span role="status" data-testid="action-status">{refresh_message}</span>
        </div>
        {unregistered}
    }
}
