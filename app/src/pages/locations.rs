//! `/admin/locations`: every registered location with the outcome of its refreshes (last attempt
//! and success, duration, entities, the error and the problems of its last read, when it is due
//! again), failing ones first, each with a button to refresh it now.

use crate::safe::title::PageTitle;
use leptos::prelude::*;

use crate::api::catalog::{LocationHealth, LocationsReport, RequestLocationRefresh, list_locations};
use crate::components::humanize_seconds;

#[component]
pub fn LocationsPage() -> impl IntoView {
    let refresh = ServerAction::<RequestLocationRefresh>::new();
    // Read again after each refresh request, so its state shows.
    let report = Resource::new(move || refresh.version().get(), |_| list_locations());
    view! {
        <PageTitle text="Locations" />
        <h1>"Locations"</h1>
        <p class="muted">"Every registered location and how its last refresh went. Failing locations keep their last good entities and are retried with increasing delays."</p>
        {move || refresh.value().get().map(|result| match result {
            Ok(message) => view! { <p class="panel success" role="status">{message}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                report.await.map(|r| view! { <LocationTable report=r refresh /> })
            })}
        </Suspense>
    }
}

#[component]
fn LocationTable(report: LocationsReport, refresh: ServerAction<RequestLocationRefresh>) -> impl IntoView {
    let count = |state: &str| report.locations.iter().filter(|l| l.state() == state).count();
    let summary = format!(
        "{} locations · {} failing · {} with problems",
        report.locations.len(),
        count("failing"),
        count("problems")
    );
    let now = report.now_ms;
    if report.locations.is_empty() {
        return view! { <p class="panel">"No location is registered yet."</p> }.into_any();
    }
    view! {
        <p data-testid="locations-summary">{summary}</p>
        <div class="table-wrap"><table class="locations" data-testid="locations">
            <thead>
                <tr>
                    <th scope="col">"State"</th>
                    <th scope="col">"Location"</th>
                    <th scope="col">"Entities"</th>
                    <th scope="col">"Last success"</th>
                    <th scope="col">"Took"</th>
                    <th scope="col">"Next refresh"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            {report.locations.into_iter().map(|l| view! { <LocationRows location=l now refresh /> }).collect_view()}
        </table></div>
    }
    .into_any()
}

/// A location's row, and below it its error and problems when it has any.
#[component]
fn LocationRows(location: LocationHealth, now: i64, refresh: ServerAction<RequestLocationRefresh>) -> impl IntoView {
    let state = location.state();
    let badge = match state {
        "failing" if location.failures > 1 => format!("Failing ({}× in a row)", location.failures),
        "failing" => "Failing".to_string(),
        "refreshing" => "Refreshing".to_string(),
        "pending" => "Not read yet".to_string(),
        "problems" => "Problems".to_string(),
        _ => "OK".to_string(),
    };
    let ago = |at: Option<i64>| {
        at.map_or("never".to_string(), |t| {
            format!("{} ago", humanize_seconds(((now - t).max(0) / 1000) as u64))
        })
    };
    let next = if location.refreshing {
        "now".to_string()
    } else if location.refresh_requested || location.next_refresh_at <= now {
        "as soon as a worker is free".to_string()
    } else {
        format!(
            "in {}",
            humanize_seconds(((location.next_refresh_at - now) / 1000) as u64)
        )
    };
    let took = location
        .last_duration_ms
        .map_or("—".to_string(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
    let has_details = location.last_error.is_some() || !location.problems.is_empty();
    let problems_title = format!(
        "{} problem{} in its files",
        location.problem_count,
        if location.problem_count == 1 { "" } else { "s" }
    );
    let more = (location.problem_count as usize).saturating_sub(location.problems.len());
    let failing_since = (location.last_error.is_some()).then(|| match location.last_success_at {
        Some(t) => format!(
            "Last read successfully {}; its entities from then are kept.",
            ago(Some(t))
        ),
        None => "Never read successfully.".to_string(),
    });
    view! {
        <tbody data-testid="location" data-state=state>
            <tr>
                <td><span class=format!("badge state-{state}")>{badge}</span></td>
                <td>
                    <code class="location-target">{format!("{}:{}", location.location_type, location.target)}</code>
                    <div class="muted small">{location.origin.clone()}</div>
                </td>
                <td>{location.entity_count}</td>
                <td>{ago(location.last_success_at)}</td>
                <td>{took}</td>
                <td>{next}</td>
                <td>
                    <ActionForm action=refresh>
                        <input type="hidden" name="id" value=location.id.clone() />
                        <button type="submit" class="button small" disabled=move || refresh.pending().get()>"Refresh"</button>
                    </ActionForm>
                </td>
            </tr>
            {has_details.then(|| view! {
                <tr class="location-details">
                    <td colspan="7">
                        {location.last_error.clone().map(|e| view! {
                            <p class="error" role="alert" data-testid="location-error">
                                <strong>"Last refresh failed: "</strong>{e}
                            </p>
                            <p class="muted small">{failing_since.clone()}</p>
                        })}
                        {(!location.problems.is_empty()).then(|| view! {
                            <details>
                                <summary>{problems_title.clone()}</summary>
                                <ul class="problems">
                                    {location.problems.iter().map(|p| view! { <li class="mono">{p.clone()}</li> }).collect_view()}
                                </ul>
                                {(more > 0).then(|| view! { <p class="muted">{format!("… and {more} more")}</p> })}
                            </details>
                        })}
                    </td>
                </tr>
            })}
        </tbody>
    }
}
