//! An entity's cost per UTC day as stacked bars by resource type (CPU, memory, GPU, storage),
//! server-rendered SVG with real text, a dashed line on each day a rollout started (its number
//! beside it), and the same numbers as a table. Colours come from the theme (`.cost-chart`).

use cost::view::entity::Day;
use cost::view::rollout::RolloutImpact;
use leptos::prelude::*;

use super::{day, money};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 22.0;

/// The resource types, bottom to top: their class and label.
const SERIES: [(&str, &str); 4] = [
    ("cpu", "CPU"),
    ("memory", "memory"),
    ("gpu", "GPU"),
    ("storage", "storage"),
];

fn amounts(d: &Day) -> [f64; 4] {
    [
        d.cost.cpu.units(),
        d.cost.memory.units(),
        d.cost.gpu.units(),
        d.cost.storage.units(),
    ]
}

#[component]
pub fn DailyChart(days: Vec<Day>, rollouts: Vec<RolloutImpact>, #[prop(into)] currency: String) -> impl IntoView {
    let top = days.iter().map(|d| d.cost.total().units()).fold(0.0_f64, f64::max);
    let scale = if top > 0.0 { top * 1.1 } else { 1.0 };
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / days.len().max(1) as f64;
    let every = (days.len() / 8).max(1);
    let x_of = |i: usize| LEFT + slot * i as f64;
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut base = TOP + plot_h;
            let x = x_of(i) + slot * 0.15;
            let parts = SERIES
                .iter()
                .zip(amounts(d))
                .filter(|(_, v)| *v > 0.0)
                .map(|((class, label), v)| {
                    let h = v / scale * plot_h;
                    base -= h;
                    view! {
                        <rect class=format!("bar {class}") x=fmt(x) y=fmt(base) width=fmt(slot * 0.7) height=fmt(h.max(0.5))>
                            <title>{format!("{}: {label} {}", day(d.start_ms), money(cost::model::Money::from_units(v), &currency))}</title>
                        </rect>
                    }
                })
                .collect_view();
            let label = (i % every == 0).then(|| {
                view! { <text class="axis" x=fmt(x + slot * 0.35) y=fmt(HEIGHT - 6.0) text-anchor="middle">{day(d.start_ms)[5..].to_string()}</text> }
            });
            view! { {parts}{label} }
        })
        .collect_view();
    let first = days.first().map(|d| d.start_ms).unwrap_or_default();
    let markers = rollouts
        .iter()
        .filter_map(|r| {
            let i = usize::try_from((r.day_ms - first) / 86_400_000).ok().filter(|i| *i < days.len())?;
            let x = fmt(x_of(i) + slot * 0.5);
            Some(view! {
                <line class="rollout" x1=x.clone() x2=x.clone() y1=fmt(TOP) y2=fmt(TOP + plot_h) />
                <text class="rollout-label" x=x y=fmt(TOP - 4.0) text-anchor="middle">{format!("#{}", r.rollout.seq)}</text>
            })
        })
        .collect_view();
    let summary = format!(
        "Cost per day by resource type from {} to {} (today so far last); highest day {}; dashed lines mark rollouts.",
        days.first().map(|d| day(d.start_ms)).unwrap_or_default(),
        days.last().map(|d| day(d.start_ms)).unwrap_or_default(),
        money(cost::model::Money::from_units(top), &currency),
    );
    view! {
        <figure class="chart cost-chart" data-testid="cost-chart">
            <figcaption class="chart-title">"Cost per day by resource type"</figcaption>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby="cost-chart-title cost-chart-desc">
                <title id="cost-chart-title">"Cost per day by resource type"</title>
                <desc id="cost-chart-desc">{summary}</desc>
                <text class="axis" x=fmt(LEFT - 4.0) y=fmt(TOP + 4.0) text-anchor="end">{money(cost::model::Money::from_units(scale), &currency)}</text>
                <text class="axis" x=fmt(LEFT - 4.0) y=fmt(TOP + plot_h) text-anchor="end">"0"</text>
                <line class="axis-line" x1=fmt(LEFT) x2=fmt(LEFT + plot_w) y1=fmt(TOP + plot_h) y2=fmt(TOP + plot_h) />
                {bars}
                {markers}
            </svg>
            <p class="cost-legend small">
                {SERIES.iter().map(|(class, label)| view! { <span class=format!("swatch {class}") aria-hidden="true"></span><span>{*label}</span> }).collect_view()}
                <span class="swatch rollout" aria-hidden="true"></span><span>"a rollout started that day"</span>
            </p>
            <DailyTable days currency />
        </figure>
    }
    .into_any()
}

/// The chart's numbers as a table (its text equivalent), each day's figures expandable.
#[component]
fn DailyTable(days: Vec<Day>, currency: String) -> impl IntoView {
    view! {
        <details class="chart-table" data-testid="cost-table">
            <summary>"As a table"</summary>
            <table class="entities compact">
                <thead><tr>
                    <th scope="col">"Day (UTC)"</th>
                    {SERIES.iter().map(|(_, label)| view! { <th scope="col">{format!("{label} ({currency})")}</th> }).collect_view()}
                    <th scope="col">{format!("Total ({currency})")}</th>
                    <th scope="col">"How it adds up"</th>
                </tr></thead>
                <tbody>
                    {days.into_iter().rev().map(|d| {
                        let cells = amounts(&d).map(|v| format!("{v:.2}"));
                        view! { <tr>
                            <td>{day(d.start_ms)}{d.partial.then_some(" (so far)")}</td>
                            {cells.into_iter().map(|c| view! { <td class="num">{c}</td> }).collect_view()}
                            <td class="num">{format!("{:.2}", d.cost.total().units())}</td>
                            <td><super::figures::Figures figures=d.figures currency=currency.clone() summary="quantity × hours × rate" /></td>
                        </tr> }
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
    .into_any()
}

fn fmt(v: f64) -> String {
    format!("{:.1}", if v.is_finite() { v } else { 0.0 })
}
