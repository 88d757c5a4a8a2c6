//! An entity's incidents in the range, each with the deployments suspected of causing it (ranked,
//! with the reasons) and, for a person allowed to (`incidents.link`), forms to confirm or reject
//! each: plain forms, so they work before the page's script loads; the server checks again.

use leptos::prelude::*;

use super::ViewScope;
use super::tables::Downloads;
use crate::api::delivery::{DecideSuspect, IncidentView};
use crate::components::format_time;
use delivery::model::Suspect;

#[component]
pub fn Incidents(
    incidents: Vec<IncidentView>,
    truncated: bool,
    may_link: bool,
    decide: ServerAction<DecideSuspect>,
    scope: ViewScope,
    range: (i64, i64),
) -> impl IntoView {
    let outcome = move || {
        decide.value().get().map(|r| match r {
            Ok(message) => view! { <p class="ok" role="status">{message}</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <section class="delivery-incidents" data-testid="incidents">
            <h2>"Incidents in the range"<span class="count">{incidents.len()}</span></h2>
            <p class="muted small">"An incident counts against a deployment once it is linked: reported with it, or a suspect confirmed here by an owner."</p>
            {outcome}
            {truncated.then(|| view! { <p class="muted small">"Only the newest are listed; the download holds more."</p> })}
            {if incidents.is_empty() {
                view! { <p class="empty">"No incident started in this range."</p> }.into_any()
            } else {
                view! {
                    <ul class="incident-list">
                        {incidents.into_iter().map(|x| view! { <IncidentItem x may_link decide /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <Downloads scope table="incidents" range />
        </section>
    }
    .into_any()
}

#[component]
fn IncidentItem(x: IncidentView, may_link: bool, decide: ServerAction<DecideSuspect>) -> impl IntoView {
    let i = x.incident;
    let state = match i.resolved_ms {
        Some(at) => format!("resolved {}", format_time(at)),
        None => "open".to_string(),
    };
    let linked = if i.deployments.is_empty() {
        "linked to no deployment".to_string()
    } else {
        format!("linked to {}", i.deployments.join(", "))
    };
    let id = i.id.clone();
    let suspects = match x.suspects {
        None => view! { <p class="muted small">"Suspects: see GET /api/incidents/{id}/suspects."</p> }.into_any(),
        Some(s) if s.suspects.is_empty() => view! {
            <p class="muted small">{format!("No production deployment in the {} hours before it started.", s.window_hours)}</p>
        }
        .into_any(),
        Some(s) => view! {
            <table class="entities compact suspects">
                <caption class="muted small">{format!("Suspected deployments (the {} hours before it started), most likely first", s.window_hours)}</caption>
                <thead><tr><th scope="col">"Deployment"</th><th scope="col">"Score"</th><th scope="col">"Why"</th><th scope="col">"Verdict"</th></tr></thead>
                <tbody>{s.suspects.into_iter().map(|s| view! { <SuspectRow s incident=id.clone() may_link decide /> }).collect_view()}</tbody>
            </table>
        }
        .into_any(),
    };
    view! {
        <li class="panel incident" data-testid="incident" data-incident=i.id.clone()>
            <p><strong>{i.title.clone()}</strong>" "<span class="mono muted small">{i.id.clone()}</span></p>
            <p class="small">{format!("Started {} · {state} · {linked} · from {}", format_time(i.started_ms), i.source)}</p>
            {suspects}
        </li>
    }
    .into_any()
}

#[component]
fn SuspectRow(s: Suspect, incident: String, may_link: bool, decide: ServerAction<DecideSuspect>) -> impl IntoView {
    let why = s.reasons.iter().map(|r| r.text()).collect::<Vec<_>>().join("; ");
    let verdict = match (&s.decision, s.linked) {
        (Some(d), _) => d.clone(),
        (None, true) => "linked".into(),
        (None, false) => "—".into(),
    };
    let target = s.deployment.clone();
    let form = move |decision: &'static str, label: &'static str| {
        let (incident, deployment) = (incident.clone(), target.clone());
        view! {
            <ActionForm action=decide attr:class="inline">
                <input type="hidden" name="incident" value=incident />
                <input type="hidden" name="deployment" value=deployment />
                <input type="hidden" name="decision" value=decision />
                <button type="submit" class="button small secondary" data-testid=decision>{label}</button>
            </ActionForm>
        }
    };
    let buttons = may_link.then(|| {
        view! {
            {(s.decision.as_deref() != Some("confirmed")).then(|| form("confirmed", "Confirm cause"))}
            {(s.decision.as_deref() != Some("rejected")).then(|| form("rejected", "Reject"))}
        }
    });
    view! {
        <tr data-testid="suspect" data-deployment=s.deployment.clone()>
            <td><span class="mono">{s.deployment.clone()}</span><br />
                <span class="small muted">{format!("{} {} · {}", s.entity, s.version, format_time(s.finished_ms))}</span></td>
            <td>{s.score}</td>
            <td class="small">{why}</td>
            <td><span data-testid="verdict">{verdict}</span>" "{buttons}</td>
        </tr>
    }
    .into_any()
}
