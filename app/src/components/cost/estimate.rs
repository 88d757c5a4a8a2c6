//! The scaffolder preview's monthly estimate: per generated Helm chart and environment, what the
//! new service will request (replicas × requests), each figure as quantity × 730 h × rate with
//! the rate's source, and the month at autoscaling's most. Said to be an estimate of requests.

use cost::estimate::{EnvironmentEstimate, Estimate};
use cost::model::{GIB, RateSource};
use leptos::prelude::*;

use super::money;

/// Every chart's estimate; nothing when the template generates no chart.
#[component]
pub fn CostEstimates(estimates: Vec<Estimate>) -> impl IntoView {
    (!estimates.is_empty()).then(|| {
        view! {
            <section class="cost-estimate" aria-labelledby="estimate-title" data-testid="cost-estimate">
                <h3 id="estimate-title">"Monthly cost estimate"</h3>
                <p class="muted small">
                    "An estimate of what the service will request, not a bill: the chart's resource requests × replicas × 730 hours × the rates of cost.prices. Usage above the requests, idle capacity and volumes are not in it."
                </p>
                {estimates.into_iter().map(|e| view! { <ChartEstimate estimate=e /> }).collect_view()}
            </section>
        }
    })
}

#[component]
fn ChartEstimate(estimate: Estimate) -> impl IntoView {
    let defaults = estimate
        .environments
        .iter()
        .flat_map(|e| &e.figures)
        .all(|f| f.price.source == RateSource::Default);
    let rates = match (&estimate.cluster, defaults) {
        (Some(cluster), false) => format!("Rates of cluster {cluster}."),
        (Some(cluster), true) => format!("Cluster {cluster} has no prices of its own: default rates."),
        (None, _) => "The cluster is not known yet: default rates.".to_string(),
    };
    let currency = estimate.currency.clone();
    let total = money(estimate.monthly, &currency);
    view! {
        <h4 class="mono">{format!("{}/", if estimate.chart.is_empty() { "." } else { estimate.chart.as_str() })}</h4>
        <p class="small">{rates}</p>
        <table class="cost-table">
            <thead><tr>
                <th scope="col">"Environment"</th>
                <th scope="col">"Replicas"</th>
                <th scope="col">"Requests per replica"</th>
                <th scope="col">"Estimated per month"</th>
            </tr></thead>
            <tbody>
                {estimate.environments.into_iter().map(|e| view! { <EnvironmentRow e currency=currency.clone() /> }).collect_view()}
            </tbody>
            <tfoot><tr>
                <th scope="row" colspan="3">"All environments"</th>
                <td data-testid="estimate-total">{format!("≈ {total} a month (estimate)")}</td>
            </tr></tfoot>
        </table>
    }
}

#[component]
fn EnvironmentRow(e: EnvironmentEstimate, currency: String) -> impl IntoView {
    let mut requests = vec![
        format!("{} vCPU", cost::model::plain(e.cpu_cores, 3)),
        format!("{} GiB", cost::model::plain(e.memory_bytes / GIB, 3)),
    ];
    if e.gpus > 0.0 {
        requests.push(format!("{} GPU", cost::model::plain(e.gpus, 0)));
    }
    let at_max = e
        .max_replicas
        .zip(e.monthly_at_max)
        .map(|(max, m)| format!("up to {} at {max} replicas (autoscaling's most)", money(m, &currency)));
    let monthly = money(e.monthly, &currency);
    view! {
        <tr data-testid="estimate-environment">
            <th scope="row">{e.environment.clone()}<br /><span class="muted small mono">{e.files.join(" + ")}</span></th>
            <td>{e.replicas}</td>
            <td>{requests.join(", ")}</td>
            <td>
                {format!("≈ {monthly}")}
                {at_max.map(|t| view! { <br /><span class="muted small">{t}</span> })}
                <details class="cost-figures">
                    <summary>"How it adds up"</summary>
                    <ul class="small mono">{e.figures.iter().map(|f| view! { <li>{f.expand(&currency)}</li> }).collect_view()}</ul>
                </details>
            </td>
        </tr>
    }
}
