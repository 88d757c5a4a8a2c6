//! Charts as server-rendered inline SVG (no script): a bar per interval, reference lines for
//! thresholds (each labelled with where it comes from), axis labels and values as real text, an
//! accessible name and description, and the same numbers as a table beside it. Colours come from
//! the theme's CSS variables (`style/main.css`, `.chart`), so both themes read.

use leptos::prelude::*;

/// One interval's bar: its label on the x axis, its value (None: nothing to show), and the value
/// as people read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub text: String,
    /// Drawn in the danger colour.
    pub bad: bool,
}

/// A horizontal reference line (a tier's boundary), with its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub value: f64,
    pub label: String,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 8.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 22.0;
/// Room on the right for the markers' labels.
const RIGHT: f64 = 150.0;

/// A bar chart of `bars` with reference `markers`; `id` names its title and description for
/// assistive technology; `value_header` heads the table's value column.
#[component]
pub fn BarChart(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    #[prop(into)] summary: String,
    #[prop(into)] value_header: String,
    bars: Vec<Bar>,
    markers: Vec<Marker>,
) -> impl IntoView {
    let top = bars.iter().filter_map(|b| b.value).fold(0.0_f64, f64::max);
    let scale_max = if top > 0.0 { top * 1.15 } else { 1.0 };
    let (mut shown, above): (Vec<Marker>, Vec<Marker>) = markers.into_iter().partition(|m| m.value <= scale_max);
    shown.sort_by(|a, b| a.value.total_cmp(&b.value));
    let scale_max = shown.iter().map(|m| m.value).fold(scale_max, f64::max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = move |v: f64| TOP + plot_h - (v / scale_max) * plot_h;
    let n = bars.len().max(1) as f64;
    let slot = plot_w / n;
    let every = (bars.len() / 8).max(1);
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    let labelled_by = format!("{title_id} {desc_id}");
    let rects = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let x = LEFT + slot * i as f64 + slot * 0.15;
            let v = b.value.unwrap_or(0.0);
            let h = (v / scale_max) * plot_h;
            let label = (i % every == 0).then(|| {
                view! { <text class="axis" x=fmt(x + slot * 0.35) y=fmt(HEIGHT - 6.0) text-anchor="middle">{b.label.clone()}</text> }
            });
            view! {
                <rect class="bar" class:bad=b.bad x=fmt(x) y=fmt(y(v)) width=fmt(slot * 0.7) height=fmt(h.max(if b.value.is_some() { 1.0 } else { 0.0 }))>
                    <title>{format!("{}: {}", b.label, b.text)}</title>
                </rect>
                {label}
            }
        })
        .collect_view();
    // Labels at least a line apart (tiers' boundaries can be close), from the bottom up.
    let mut label_y: Vec<f64> = shown.iter().map(|m| y(m.value) + 4.0).collect();
    for i in 1..label_y.len() {
        label_y[i] = label_y[i].min(label_y[i - 1] - 11.0);
    }
    let lines = shown
        .iter()
        .zip(label_y)
        .map(|(m, ly)| {
            let at = fmt(y(m.value));
            view! {
                <line class="marker" x1=fmt(LEFT) x2=fmt(LEFT + plot_w) y1=at.clone() y2=at.clone() />
                <text class="marker-label" x=fmt(LEFT + plot_w + 4.0) y=fmt(ly.max(8.0))>{m.label.clone()}</text>
            }
        })
        .collect_view();
    let beyond = (!above.is_empty()).then(|| {
        let list = above.iter().map(|m| m.label.clone()).collect::<Vec<_>>().join("; ");
        view! { <p class="muted small chart-note">"Above this chart's scale: "{list}</p> }
    });
    view! {
        <figure class="chart" data-testid="chart" data-chart=id.clone()>
            <figcaption class="chart-title">{title.clone()}</figcaption>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby=labelled_by>
                <title id=title_id>{title}</title>
                <desc id=desc_id>{summary}</desc>
                <line class="axis-line" x1=fmt(LEFT) x2=fmt(LEFT + plot_w) y1=fmt(TOP + plot_h) y2=fmt(TOP + plot_h) />
                {rects}
                {lines}
            </svg>
            {beyond}
            <ChartTable value_header bars />
        </figure>
    }
    .into_any()
}

/// The chart's numbers as a table (its text equivalent).
#[component]
fn ChartTable(value_header: String, bars: Vec<Bar>) -> impl IntoView {
    view! {
        <details class="chart-table">
            <summary>"As a table"</summary>
            <table class="entities compact">
                <thead><tr><th scope="col">"Week"</th><th scope="col">{value_header}</th></tr></thead>
                <tbody>
                    {bars.into_iter().map(|b| view! { <tr><td>{b.label}</td><td>{b.text}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </details>
    }
    .into_any()
}

/// A coordinate with one decimal: short, and the same on the server and in the browser.
fn fmt(v: f64) -> String {
    format!("{:.1}", if v.is_finite() { v } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::fmt;

    #[test]
    fn coordinates_are_short_and_finite() {
        assert_eq!(fmt(12.345), "12.3");
        assert_eq!(fmt(f64::NAN), "0.0");
    }
}
