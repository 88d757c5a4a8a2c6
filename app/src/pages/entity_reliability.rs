//! `/catalog/{namespace}/{kind}/{name}/reliability`: the entity's SLOs and error budgets: each
//! SLO's objective, window, SLI, remaining budget, alert state, burn-down and burn rate with the
//! production deploys and the entity's incidents on the same timeline, and the budget each deploy
//! burned. On a Group it is the team view: the SLOs of what the group owns. Without Prometheus
//! it says how to connect one.

use leptos::prelude::*;

use crate::api::catalog::{EntityDetails, load_entity};
use crate::api::reliability::{Incident, ReliabilityView, SloProblem, load_entity_reliability};
use crate::components::format_time;
use crate::components::reliability::connect::ConnectPrometheus;
use crate::components::reliability::list::SloList;
use crate::components::reliability::panel::SloPanel;
use crate::pages::entity::{EntityHeading, EntityTab, EntityTabs, entity_key};
use crate::pages::not_found::NotFound;
use crate::safe::title::PageTitle;

/// The entity's (or team's) Reliability tab.
#[component]
pub fn EntityReliabilityPage() -> impl IntoView {
    let key = entity_key();
    let entity = Resource::new(
        move || key.get(),
        |(kind, namespace, name)| load_entity(kind, namespace, name),
    );
    let reliability = Resource::new(
        move || key.get(),
        |(kind, namespace, name)| load_entity_reliability(kind, namespace, name),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let entity = entity.await?;
                let reliability = reliability.await?;
                Ok::<_, ServerFnError>(match (entity, reliability) {
                    (Some(details), Some(data)) => view! { <ReliabilityTab details data /> }.into_any(),
                    _ => view! { <NotFound /> }.into_any(),
                })
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn ReliabilityTab(details: EntityDetails, data: ReliabilityView) -> impl IntoView {
    let row = details.row;
    let group = row.kind.eq_ignore_ascii_case("group");
    let count = if group { data.team.len() } else { data.slos.len() };
    let lede = if group {
        format!("Team view: the {count} SLOs of the entities this group owns, out of budget and burning fastest first.")
    } else {
        format!(
            "{count} SLOs of this entity, from the files its cairn.dev/slo-files annotation lists. Deploys are production rollouts and reported production deployments."
        )
    };
    let incidents = data.incidents.clone();
    view! {
        <PageTitle text=format!("{} · Reliability", row.label()) />
        <EntityHeading row=row.clone() />
        <EntityTabs entity_ref=row.entity_ref.clone() kind=row.kind.clone() current=EntityTab::Reliability />
        <div class="deployments-head"><h2>"Reliability"</h2></div>
        <p class="muted" data-testid="scope">{lede}</p>
        {(!data.connected).then(|| view! { <ConnectPrometheus /> })}
        <Problems problems=data.problems.clone() />
        {if group {
            view! { <SloList items=data.team.clone() /> }.into_any()
        } else if data.slos.is_empty() {
            view! { <p class="empty" data-testid="no-slos">"No SLO belongs to this entity. List SLO files (OpenSLO, Sloth or Pyrra) in its cairn.dev/slo-files annotation."</p> }.into_any()
        } else {
            let now = data.now;
            view! {
                {data.slos.clone().into_iter().map(|detail| view! { <SloPanel detail incidents=incidents.clone() now /> }).collect_view()}
                <IncidentTable incidents truncated=data.incidents_truncated />
            }.into_any()
        }}
    }
    .into_any()
}

/// The SLO files' problems, each where it is.
#[component]
fn Problems(problems: Vec<SloProblem>) -> impl IntoView {
    (!problems.is_empty()).then(|| {
        view! {
            <section class="panel alert" role="alert" data-testid="slo-problems">
                <h3>"Problems in SLO files"</h3>
                <ul>
                    {problems.into_iter().map(|p| {
                        let field = p.field.map(|f| format!(" ({f})")).unwrap_or_default();
                        view! { <li><span class="mono">{format!("{}:{}{field}", p.file, p.line)}</span>": "{p.message}</li> }
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// The incidents shaded on the charts, as a table.
#[component]
fn IncidentTable(incidents: Vec<Incident>, truncated: bool) -> impl IntoView {
    view! {
        <section data-testid="slo-incidents">
            <h3>"Incidents in the window"<span class="count">{incidents.len()}</span></h3>
            {truncated.then(|| view! { <p class="muted small">"Only the newest are listed."</p> })}
            {if incidents.is_empty() {
                view! { <p class="empty">"No incident of this entity started in the window."</p> }.into_any()
            } else {
                view! {
                    <table class="entities compact">
                        <thead><tr><th scope="col">"Started"</th><th scope="col">"Resolved"</th><th scope="col">"Incident"</th></tr></thead>
                        <tbody>
                            {incidents.into_iter().map(|i| view! {
                                <tr>
                                    <td>{format_time(i.started_ms)}</td>
                                    <td>{i.resolved_ms.map_or_else(|| "open".to_string(), format_time)}</td>
                                    <td>{format!("{} ({})", i.title, i.id)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
