//! A list of SLOs, out of budget and burning fastest first: the overview's table and a team's
//! tab. Each row links to its entity's Reliability tab and carries the counts behind it.

use leptos::prelude::*;

use super::format::{objective, percent, rate, sli, span, window};
use super::panel::AlertBadge;
use crate::api::reliability::Summary;
use crate::components::format_time;

/// `component:default/checkout` → `/catalog/default/component/checkout/reliability`.
pub fn reliability_href(entity_ref: &str) -> String {
    let (kind, rest) = entity_ref.split_once(':').unwrap_or(("component", entity_ref));
    let (namespace, name) = rest.split_once('/').unwrap_or(("default", rest));
    format!("/catalog/{namespace}/{kind}/{name}/reliability")
}

#[component]
pub fn SloList(items: Vec<Summary>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="empty" data-testid="slo-list">"No SLO here."</p> }.into_any();
    }
    let rows = items.into_iter().map(|s| view! { <SloRow s /> }).collect_view();
    view! {
        <div class="table-wrap">
            <table class="entities" data-testid="slo-list">
                <thead>
                    <tr>
                        <th scope="col">"SLO"</th>
                        <th scope="col">"Entity"</th>
                        <th scope="col">"Owner"</th>
                        <th scope="col">"Objective"</th>
                        <th scope="col">"SLI"</th>
                        <th scope="col">"Budget left"</th>
                        <th scope="col">"Burn (1 h)"</th>
                        <th scope="col">"Alert"</th>
                        <th scope="col">"As of"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn SloRow(s: Summary) -> impl IntoView {
    let f = &s.figures;
    let name = s.display_name.clone().unwrap_or_else(|| s.name.clone());
    let mut state = String::new();
    if f.short_history {
        state.push_str("short history; ");
    }
    if let Some(sec) = f.exhaustion_seconds.filter(|sec| *sec > 0) {
        state.push_str(&format!("runs out in about {}; ", span(sec)));
    }
    if let Some(e) = &s.sync_error {
        state.push_str(&format!("sync failed: {e}"));
    }
    let state = state.trim_end_matches("; ").to_string();
    let out = f.remaining.is_some_and(|r| r <= 0.0);
    view! {
        <tr data-testid="slo-row" data-slo=s.id.clone() class:out-of-budget=out>
            <td><a href=reliability_href(&s.entity)>{name}</a><br /><span class="muted small">{window(&s.window)}</span></td>
            <td class="mono small">{s.entity.clone()}</td>
            <td class="mono small">{s.owner.clone().unwrap_or_default()}</td>
            <td>{objective(s.objective)}</td>
            <td>{sli(f.sli)}</td>
            <td data-testid="remaining"><strong>{percent(f.remaining)}</strong>{(!state.is_empty()).then(|| view! { <br /><span class="muted small">{state}</span> })}</td>
            <td>{rate(f.burn_rate_1h)}</td>
            <td><AlertBadge alert=f.alert /></td>
            <td class="small">{format_time(f.at * 1000)}</td>
        </tr>
    }
    .into_any()
}
