//! One SLO on an entity's Reliability tab: its objective, window, SLI and remaining budget with
//! the counts they are made of, the alert state, a burn-down from 100% at the window's start and
//! the burn rate along the window (both with the production deploys and the entity's incidents),
//! and each deploy with the budget it burned until the next one.

use leptos::prelude::*;

use super::format::{count, objective, percent, rate, sli, span, window};
use super::timeline::{Band, Level, Mark, Table, Timeline, TimelineChart, day};
use crate::api::reliability::{Detail, Incident};
use crate::components::format_time;
use slo::budget::report::Unit;
use slo::budget::{AlertLevel, MULTI_WINDOW_RULES};

const DAY: i64 = 86_400;

#[component]
pub fn SloPanel(detail: Detail, incidents: Vec<Incident>, now: i64) -> impl IntoView {
    let s = detail.summary.clone();
    let r = detail.report.clone();
    let name = s.display_name.clone().unwrap_or_else(|| s.name.clone());
    let events = if r.budget.unit == Unit::Events {
        "bad events"
    } else {
        "bad time slices"
    };
    let left = match r.budget.left {
        Some(left) if left > 0.0 => format!("about {} {events} left at current traffic", count(left)),
        Some(left) => format!("overspent by about {} {events}", count(-left)),
        None => "no events yet: nothing is allowed or spent".into(),
    };
    let budget_evidence = format!(
        "{} of {} allowed spent ({} of the window's events so far, scaled to the whole window)",
        count(r.budget.spent),
        count(r.budget.allowed),
        count(r.total)
    );
    let exhaustion = match r.exhaustion_seconds {
        Some(0) => "spent".to_string(),
        Some(sec) => format!("in about {} at the last hour's burn", span(sec)),
        None => "not burning".to_string(),
    };
    let marks: Vec<Mark> = detail
        .deploys
        .iter()
        .enumerate()
        .map(|(i, d)| Mark {
            at: d.deploy.at,
            label: format!("D{}", i + 1),
            title: format!(
                "D{} {} {} ({}, {})",
                i + 1,
                format_time(d.deploy.at * 1000),
                d.deploy.version,
                d.deploy.outcome,
                d.deploy.target
            ),
            bad: d.deploy.outcome != "completed" && d.deploy.outcome != "succeeded",
        })
        .collect();
    let bands: Vec<Band> = incidents
        .iter()
        .map(|i| Band {
            from: i.started_ms / 1000,
            to: i.resolved_ms.map_or(now, |ms| ms / 1000),
            title: format!("Incident {}: {}", i.id, i.title),
        })
        .collect();
    let id = format!("slo-{}", detail.summary.id);
    view! {
        <section class="panel slo" data-testid="slo" data-slo=s.id.clone()>
            <h3>{name}" "<AlertBadge alert=s.figures.alert /></h3>
            <p class="muted small mono">{format!("{} · {}", s.file, s.id)}</p>
            {r.short_history.then(|| view! {
                <p class="warning" role="note" data-testid="short-history">
                    {format!("Prometheus holds {} of this window's {}: the figures cover only that part.", span(r.history_seconds), span(r.span.end - r.span.start))}
                </p>
            })}
            {s.sync_error.clone().map(|e| view! { <p class="error" role="alert" data-testid="sync-error">{format!("Last sync failed: {e}")}</p> })}
            <dl class="slo-figures" data-testid="figures">
                <dt>"Objective"</dt><dd>{objective(s.objective)}</dd>
                <dt>"Window"</dt><dd>{format!("{} ({} to {})", window(&s.window), format_time(r.span.start * 1000), format_time(r.span.end * 1000))}</dd>
                <dt>"SLI"</dt><dd>{format!("{} ({} good of {} events)", sli(r.sli), count(r.good), count(r.total))}</dd>
                <dt>"Remaining budget"</dt><dd data-testid="remaining"><strong>{percent(r.budget.remaining)}</strong>{format!(": {left}")}<br /><span class="muted small">{budget_evidence}</span></dd>
                <dt>"Budget runs out"</dt><dd>{exhaustion}</dd>
                <dt>"Synced"</dt><dd>{s.synced_to.map_or_else(|| "not yet".to_string(), |t| format!("buckets up to {}", format_time(t * 1000)))}</dd>
            </dl>
            <BurnDown id=format!("{id}-burn-down") detail=detail.clone() marks=marks.clone() bands=bands.clone() />
            <BurnRate id=format!("{id}-burn-rate") detail=detail.clone() marks bands />
            <Alerts detail=detail.clone() />
            <Deploys detail />
        </section>
    }
    .into_any()
}

/// "page", "ticket" or "ok" as a badge.
#[component]
pub fn AlertBadge(alert: Option<AlertLevel>) -> impl IntoView {
    let (class, text) = match alert {
        Some(AlertLevel::Page) => ("badge state-failing", "page"),
        Some(AlertLevel::Ticket) => ("badge state-problems", "ticket"),
        None => ("badge state-ok", "no alert"),
    };
    view! { <span class=class data-testid="alert">{text}</span> }
}

#[component]
fn BurnDown(id: String, detail: Detail, marks: Vec<Mark>, bands: Vec<Band>) -> impl IntoView {
    let r = &detail.report;
    let points: Vec<(i64, Option<f64>)> = r.series.iter().map(|p| (p.at, Some(p.remaining))).collect();
    let rows = r
        .series
        .iter()
        .filter(|p| (p.at - r.span.start) % DAY == 0 || p.at == r.span.end)
        .map(|p| vec![format_time(p.at * 1000), percent(Some(p.remaining))])
        .collect();
    let summary = format!(
        "Remaining error budget from 100% at the window's start ({}) to {} now; {} deploys marked D1…, {} incidents shaded.",
        day(r.span.start),
        percent(r.budget.remaining),
        marks.len(),
        bands.len()
    );
    let chart = Timeline {
        from: r.span.start,
        to: r.span.close.max(r.span.end),
        points,
        levels: vec![Level {
            value: 0.0,
            label: "budget spent".into(),
        }],
        marks,
        bands,
        unit: |v| format!("{:.0}%", v * 100.0),
    };
    let table = Table {
        headers: vec!["At".into(), "Remaining budget".into()],
        rows,
    };
    view! { <TimelineChart id title="Error budget remaining" summary chart table /> }
}

#[component]
fn BurnRate(id: String, detail: Detail, marks: Vec<Mark>, bands: Vec<Band>) -> impl IntoView {
    let r = &detail.report;
    let points = detail.burn.iter().map(|p| (p.at, p.rate)).collect();
    let allowed = 1.0 - r.objective;
    let mut rows = Vec::new();
    let mut at = r.span.start;
    while at < r.span.end {
        let to = (at + DAY).min(r.span.end);
        let (bad, total) = detail
            .burn
            .iter()
            .filter(|p| p.at >= at && p.at < to)
            .fold((0.0, 0.0), |(b, t), p| (b + p.bad, t + p.total));
        let day_rate = (total > 0.0 && allowed > 0.0).then(|| bad / total / allowed);
        rows.push(vec![format_time(at * 1000), count(bad), count(total), rate(day_rate)]);
        at = to;
    }
    let step = detail.burn.get(1).map_or(3_600, |p| p.at - detail.burn[0].at);
    let summary = format!(
        "Burn rate every {} over the window: 1× spends exactly the budget by the window's end; page alerts fire above 14.4× (1 h) and 6× (6 h).",
        span(step)
    );
    let chart = Timeline {
        from: r.span.start,
        to: r.span.close.max(r.span.end),
        points,
        levels: vec![
            Level {
                value: 1.0,
                label: "1× budget pace".into(),
            },
            Level {
                value: 14.4,
                label: "14.4× page".into(),
            },
        ],
        marks,
        bands,
        unit: |v| format!("{v:.0}×"),
    };
    let table = Table {
        headers: vec![
            "Day from".into(),
            "Bad events".into(),
            "Events".into(),
            "Burn rate".into(),
        ],
        rows,
    };
    view! { <TimelineChart id title=format!("Burn rate (every {})", span(step)) summary chart table /> }
}

/// The burn rates now and the four multi-window rules of the SRE workbook.
#[component]
fn Alerts(detail: Detail) -> impl IntoView {
    let r = detail.report;
    let rules = r.alerts.rules.iter().zip(MULTI_WINDOW_RULES.iter()).map(|(state, rule)| {
        let level = match rule.level {
            AlertLevel::Page => "page",
            AlertLevel::Ticket => "ticket",
        };
        view! {
            <tr class:firing=state.firing>
                <td>{level}</td>
                <td>{format!("{} and {} above {}×", span(rule.long_seconds), span(rule.short_seconds), rule.factor)}</td>
                <td>{rate(state.long)}</td>
                <td>{rate(state.short)}</td>
                <td>{if state.firing { "firing" } else { "quiet" }}</td>
            </tr>
        }
    }).collect_view();
    let burns = r
        .burn_rates
        .iter()
        .map(|b| {
            format!(
                "{}: {} ({} bad of {})",
                span(b.seconds),
                rate(b.rate),
                count(b.bad),
                count(b.total)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <details class="slo-alerts" data-testid="alert-rules">
            <summary>"Alert state and burn rates"</summary>
            <p class="small">{burns}</p>
            <table class="entities compact">
                <thead><tr><th scope="col">"Level"</th><th scope="col">"Rule"</th><th scope="col">"Long window"</th><th scope="col">"Short window"</th><th scope="col">"State"</th></tr></thead>
                <tbody>{rules}</tbody>
            </table>
        </details>
    }
    .into_any()
}

/// Each production deploy in the window and the budget burned until the next one.
#[component]
fn Deploys(detail: Detail) -> impl IntoView {
    let window_text = window(&detail.summary.window);
    if detail.deploys.is_empty() {
        return view! { <p class="empty" data-testid="deploys">"No production deploy in this window."</p> }.into_any();
    }
    let rows = detail
        .deploys
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let burned = d.burned.map_or_else(
                || "no budget allowed yet".to_string(),
                |b| {
                    format!(
                        "burned {} of the window's budget in {}",
                        percent(Some(b)),
                        span(d.until_seconds)
                    )
                },
            );
            view! {
                <tr>
                    <td>{format!("D{}", i + 1)}</td>
                    <td>{format_time(d.deploy.at * 1000)}</td>
                    <td class="mono">{d.deploy.version.clone()}</td>
                    <td>{d.deploy.outcome.clone()}</td>
                    <td class="mono small">{d.deploy.target.clone()}</td>
                    <td>{count(d.bad)}</td>
                    <td data-testid="burned">{burned}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" data-testid="deploys">
            <table class="entities compact">
                <caption>{format!("Production deploys in the window ({window_text}) and the budget each burned until the next")}</caption>
                <thead><tr><th scope="col">"#"</th><th scope="col">"Finished"</th><th scope="col">"Version"</th><th scope="col">"Outcome"</th><th scope="col">"Where"</th><th scope="col">"Bad events"</th><th scope="col">"Budget"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
