//! `/delivery`: the organisation's delivery performance (DORA): every entity's production
//! deployments pooled, the five metrics with their counts and tiers, weekly trends, and the
//! breakdown per owner, each owner leading to its team view (a Group's Delivery tab).

use leptos::prelude::*;

use crate::api::delivery::{DeliveryView, load_organisation_delivery};
use crate::components::delivery::ViewScope;
use crate::components::delivery::controls::Controls;
use crate::components::delivery::summary::Summary;
use crate::components::delivery::tables::{BreakdownTable, DeploymentsTable};
use crate::components::delivery::trends::Trends;
use crate::pages::entity_delivery::delivery_params;
use crate::safe::title::PageTitle;
use delivery::bands::Year;

/// The organisation's Delivery page.
#[component]
pub fn DeliveryPage() -> impl IntoView {
    let (days, year) = delivery_params();
    let data = Resource::new(move || days.get(), |days| load_organisation_delivery(Some(days)));
    view! {
        <PageTitle text="Delivery" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let year = year.get();
                Suspend::new(async move { data.await.map(|data| view! { <Organisation data year /> }) })
            }}
        </Transition>
    }
    .into_any()
}

#[component]
fn Organisation(data: DeliveryView, year: Year) -> impl IntoView {
    let metrics = data.metrics;
    view! {
        <div class="page-head"><h1>"Delivery"</h1></div>
        <p class="muted" data-testid="scope">{format!(
            "The organisation: production deployments of every entity ({} with any), pooled (rates weighted by deployments), over the last {} days.",
            metrics.entities.len(),
            data.days
        )}</p>
        <Controls days=data.days year />
        <Summary metrics=metrics.clone() year />
        <Trends metrics=metrics.clone() year />
        <BreakdownTable metrics=metrics.clone() scope=ViewScope::Organisation />
        <DeploymentsTable metrics=metrics.clone() scope=ViewScope::Organisation />
    }
    .into_any()
}
