//! `/catalog/{namespace}/{kind}/{name}/delivery`: the entity's delivery performance (DORA) over
//! 30, 90 or 180 days: the five metrics with their counts and the chosen report year's tiers,
//! weekly trends, every deployment with its changes and reasons, and its incidents with their
//! suspects. On a Group it is the team view: what the group and its child groups own, pooled,
//! with the per-entity breakdown.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::catalog::{EntityDetails, load_entity};
use crate::api::delivery::{DecideSuspect, DeliveryView, load_entity_delivery, range_days};
use crate::components::delivery::ViewScope;
use crate::components::delivery::controls::{Controls, year_param};
use crate::components::delivery::incidents::Incidents;
use crate::components::delivery::summary::Summary;
use crate::components::delivery::tables::{BreakdownTable, DeploymentsTable};
use crate::components::delivery::trends::Trends;
use crate::pages::entity::{EntityHeading, EntityTab, EntityTabs, entity_key};
use crate::pages::not_found::NotFound;
use crate::safe::title::PageTitle;
use delivery::bands::Year;

/// `days` and `year` from the query: the range and the report year of the tiers.
pub fn delivery_params() -> (Memo<u32>, Memo<Year>) {
    let query = use_query_map();
    let days = Memo::new(move |_| query.with(|q| range_days(q.get("days").and_then(|d| d.parse().ok()))));
    let year = Memo::new(move |_| query.with(|q| year_param(q.get("year"))));
    (days, year)
}

/// The entity's (or team's) Delivery tab.
#[component]
pub fn EntityDeliveryPage() -> impl IntoView {
    let key = entity_key();
    let (days, year) = delivery_params();
    let decide = ServerAction::<DecideSuspect>::new();
    let entity = Resource::new(
        move || key.get(),
        |(kind, namespace, name)| load_entity(kind, namespace, name),
    );
    let delivery = Resource::new(
        move || (key.get(), days.get(), decide.version().get()),
        |((kind, namespace, name), days, _)| load_entity_delivery(kind, namespace, name, Some(days)),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let year = year.get();
                Suspend::new(async move {
                    let entity = entity.await?;
                    let delivery = delivery.await?;
                    Ok::<_, ServerFnError>(match (entity, delivery) {
                        (Some(details), Some(data)) => view! { <DeliveryTab details data year decide /> }.into_any(),
                        _ => view! { <NotFound /> }.into_any(),
                    })
                })
            }}
        </Transition>
    }
    .into_any()
}

#[component]
fn DeliveryTab(
    details: EntityDetails,
    data: DeliveryView,
    year: Year,
    decide: ServerAction<DecideSuspect>,
) -> impl IntoView {
    let row = details.row;
    let group = row.kind.eq_ignore_ascii_case("group");
    let scope = if group {
        ViewScope::Group(row.entity_ref.clone())
    } else {
        ViewScope::Entity(row.entity_ref.clone())
    };
    let may_link = crate::api::access::Viewer::current().can(access::Permission::IncidentLink, &details.owners);
    let metrics = data.metrics;
    let range = (metrics.from_ms, metrics.to_ms);
    let lede = if group {
        format!(
            "Team view: the {} entities this group and its child groups own, pooled (rates weighted by deployments), over the last {} days.",
            metrics.entities.len(),
            data.days
        )
    } else {
        format!(
            "Production deployments of this entity over the last {} days.",
            data.days
        )
    };
    view! {
        <PageTitle text=format!("{} · Delivery", row.label()) />
        <EntityHeading row=row.clone() />
        <EntityTabs entity_ref=row.entity_ref.clone() kind=row.kind.clone() current=EntityTab::Delivery />
        <div class="deployments-head"><h2>"Delivery performance"</h2></div>
        <p class="muted" data-testid="scope">{lede}</p>
        <Controls days=data.days year />
        <Summary metrics=metrics.clone() year />
        <Trends metrics=metrics.clone() year />
        {group.then(|| view! { <BreakdownTable metrics=metrics.clone() scope=scope.clone() /> })}
        <DeploymentsTable metrics=metrics.clone() scope=scope.clone() />
        {(!group).then(|| view! {
            <Incidents incidents=data.incidents.clone() truncated=data.incidents_truncated may_link decide scope=scope.clone() range />
        })}
    }
    .into_any()
}
