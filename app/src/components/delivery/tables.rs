//! The deployments in the range (each with its changes, lead time, status and reasons) and the
//! breakdown per entity or owner (the drill-down), each with its downloads.

use delivery::model::{AssessedDeployment, BreakdownRow, Metrics};
use leptos::prelude::*;

use super::{ViewScope, duration, percent};
use crate::api::catalog::entity_href;
use crate::components::format_time;

/// "Download: CSV · JSON" under a table, for exactly what the view shows.
#[component]
pub fn Downloads(scope: ViewScope, table: &'static str, range: (i64, i64)) -> impl IntoView {
    let csv = scope.export_href(table, "csv", range);
    let json = scope.export_href(table, "json", range);
    view! {
        <p class="exports small" data-testid=format!("export-{table}")>
            "Download this table: "
            <a href=csv rel="external" download="">"CSV"</a>" · "<a href=json rel="external" download="">"JSON"</a>
        </p>
    }
    .into_any()
}

/// `component:default/shop` → its Delivery tab.
pub fn delivery_href(entity_ref: &str) -> String {
    format!("{}/delivery", entity_href(entity_ref))
}

#[component]
pub fn DeploymentsTable(metrics: Metrics, scope: ViewScope) -> impl IntoView {
    let range = (metrics.from_ms, metrics.to_ms);
    let many = !matches!(scope, ViewScope::Entity(_));
    let truncated = metrics.deployments_truncated;
    let rows = metrics.deployments;
    view! {
        <section class="delivery-deployments" data-testid="deployments">
            <h2>"Deployments in the range"<span class="count">{rows.len()}</span></h2>
            {truncated.then(|| view! { <p class="muted small">"Only the newest are listed; the metrics count every one. The downloads hold the same list."</p> })}
            {if rows.is_empty() {
                view! { <p class="empty">"No production deployment in this range."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="entities">
                            <thead><tr>
                                <th scope="col">"Finished"</th>
                                {many.then(|| view! { <th scope="col">"Entity"</th> })}
                                <th scope="col">"Version"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Changes and lead time"</th>
                                <th scope="col">"Recovery and rework"</th>
                            </tr></thead>
                            <tbody>{rows.into_iter().map(|d| view! { <DeploymentRow d many /> }).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <Downloads scope table="deployments" range />
        </section>
    }
    .into_any()
}

#[component]
fn DeploymentRow(d: AssessedDeployment, many: bool) -> impl IntoView {
    let failed = d.failed();
    let reasons = d.failures.iter().map(|f| f.text()).collect::<Vec<_>>().join("; ");
    let changes = match &d.changes {
        None => "not looked at".to_string(),
        Some(c) => match &c.unknown {
            Some(why) => format!("unknown: {why}"),
            None => format!(
                "{} changes{}, median lead time {}{}",
                c.changes,
                if c.truncated { " (truncated)" } else { "" },
                duration(c.lead_time_median_seconds),
                if c.dropped > 0 {
                    format!(", {} dropped", c.dropped)
                } else {
                    String::new()
                }
            ),
        },
    };
    let recovery = match (&d.recovered_ms, &d.recovered_by) {
        (Some(at), by) if failed => format!(
            "recovered after {}{}",
            duration(Some((at - d.finished_ms) as f64 / 1000.0)),
            by.as_ref().map(|b| format!(" by {b}")).unwrap_or_default()
        ),
        (None, _) if failed => "not recovered yet".to_string(),
        _ => String::new(),
    };
    let rework = d
        .rework
        .iter()
        .map(|r| format!("rework: {}", r.text()))
        .collect::<Vec<_>>()
        .join("; ");
    let commit = d
        .commit
        .clone()
        .or_else(|| d.changes.as_ref().and_then(|c| c.commit.clone()));
    view! {
        <tr data-testid="deployment" data-deployment=d.id.clone() class:failed=failed>
            <td class="nowrap">{format_time(d.finished_ms)}</td>
            {many.then(|| view! { <td><a href=delivery_href(&d.entity)>{d.entity.clone()}</a></td> })}
            <td><span class="mono">{d.version.clone()}</span>
                {commit.map(|c| view! { <br /><span class="mono muted small">{c}</span> })}
                <br /><span class="muted small mono">{d.id.clone()}</span></td>
            <td data-testid="status">{if failed {
                view! { <span class="state-bad">"failed"</span><br /><span class="small">{reasons}</span> }.into_any()
            } else {
                view! { <span class="state-ok">"succeeded"</span> }.into_any()
            }}</td>
            <td class="small" data-testid="changes">{changes}</td>
            <td class="small">{recovery}{(!rework.is_empty()).then(|| view! { <br /><span>{rework}</span> })}</td>
        </tr>
    }
    .into_any()
}

#[component]
pub fn BreakdownTable(metrics: Metrics, scope: ViewScope) -> impl IntoView {
    let range = (metrics.from_ms, metrics.to_ms);
    let by_owner = metrics.breakdown_by == "owner";
    let days = metrics.deployment_frequency.days.max(1.0);
    let rows = metrics.breakdown;
    view! {
        <section class="delivery-breakdown" data-testid="breakdown">
            <h2>{if by_owner { "By owner" } else { "By entity" }}<span class="count">{rows.len()}</span></h2>
            <p class="muted small">{if by_owner {
                "Each owner's entities pooled: rates weighted by deployments. Follow an owner to its team view."
            } else {
                "What this group and its child groups own, pooled: rates weighted by deployments. Follow an entity to its own tab."
            }}</p>
            <div class="table-wrap">
                <table class="entities">
                    <thead><tr>
                        <th scope="col">{if by_owner { "Owner" } else { "Entity" }}</th>
                        {by_owner.then(|| view! { <th scope="col">"Entities"</th> })}
                        <th scope="col">"Deployments"</th>
                        <th scope="col">"Change failure rate"</th>
                        <th scope="col">"Lead time (median)"</th>
                        <th scope="col">"Recovery (median)"</th>
                        <th scope="col">"Rework"</th>
                        <th scope="col">"Unlinked incidents"</th>
                    </tr></thead>
                    <tbody>{rows.into_iter().map(|r| view! { <BreakdownLine r by_owner days /> }).collect_view()}</tbody>
                </table>
            </div>
            <Downloads scope table="breakdown" range />
        </section>
    }
    .into_any()
}

#[component]
fn BreakdownLine(r: BreakdownRow, by_owner: bool, days: f64) -> impl IntoView {
    let key = if r.key.is_empty() {
        view! { <span class="muted">"No owner"</span> }.into_any()
    } else {
        view! { <a href=delivery_href(&r.key)>{r.key.clone()}</a> }.into_any()
    };
    view! {
        <tr data-testid="breakdown-row" data-key=r.key.clone()>
            <td>{key}</td>
            {by_owner.then(|| view! { <td>{r.entities}</td> })}
            <td>{format!("{} ({:.1}/week)", r.deployments, r.deployments as f64 * 7.0 / days)}</td>
            <td data-testid="cfr">{format!("{} failed of {} = {}", r.failed, r.deployments, percent(r.failed, r.deployments))}</td>
            <td>{format!("{} over {} changes", duration(r.lead_time_median_seconds), r.changes)}</td>
            <td>{format!("{} over {} recovered", duration(r.recovery_median_seconds), r.recovered)}</td>
            <td>{format!("{} of {} = {}", r.rework, r.deployments, percent(r.rework, r.deployments))}</td>
            <td>{r.unlinked_incidents}</td>
        </tr>
    }
    .into_any()
}
