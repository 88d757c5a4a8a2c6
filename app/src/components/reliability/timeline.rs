//! A time chart as server-rendered SVG: one line over the window (burn-down or burn rate),
//! horizontal reference lines, deploy markers as numbered vertical lines, incidents as shaded
//! bands, axis labels as real text, and a table beside it with the same numbers (its text
//! equivalent). Colours come from the theme's CSS variables (`.chart`), so both themes read.

use leptos::prelude::*;

/// A horizontal reference line (0% left, 1× burn, an alert's factor).
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    pub value: f64,
    pub label: String,
}

/// A moment on the timeline: a deploy.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub at: i64,
    /// Short label drawn at the top ("D3").
    pub label: String,
    /// What it is, for the tooltip.
    pub title: String,
    /// Drawn in the danger colour (a failed or rolled-back deploy).
    pub bad: bool,
}

/// A stretch of the timeline: an incident from its start to its resolution (or now).
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub from: i64,
    pub to: i64,
    pub title: String,
}

/// What the chart draws.
#[derive(Clone, Debug)]
pub struct Timeline {
    pub from: i64,
    pub to: i64,
    /// (unix seconds, value); `None` breaks the line (no events there).
    pub points: Vec<(i64, Option<f64>)>,
    pub levels: Vec<Level>,
    pub marks: Vec<Mark>,
    pub bands: Vec<Band>,
    /// The y axis' labels: a value as text ("40%", "2×").
    pub unit: fn(f64) -> String,
}

/// The text equivalent: a header and rows of cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 22.0;

#[component]
pub fn TimelineChart(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    #[prop(into)] summary: String,
    chart: Timeline,
    table: Table,
) -> impl IntoView {
    let values = chart
        .points
        .iter()
        .filter_map(|p| p.1)
        .chain(chart.levels.iter().map(|l| l.value));
    let (low, high) = values.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let high = if high > low {
        high + (high - low) * 0.08
    } else {
        low + 1.0
    };
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let span = (chart.to - chart.from).max(1) as f64;
    let x = move |t: i64| LEFT + ((t - chart.from) as f64 / span).clamp(0.0, 1.0) * plot_w;
    let y = move |v: f64| TOP + plot_h - (v - low) / (high - low) * plot_h;
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    let labelled_by = format!("{title_id} {desc_id}");
    let unit = chart.unit;
    let bands = chart
        .bands
        .iter()
        .map(|b| {
            let (x1, x2) = (x(b.from), x(b.to.max(b.from)));
            view! {
                <rect class="incident" x=fmt(x1) y=fmt(TOP) width=fmt((x2 - x1).max(2.0)) height=fmt(plot_h)>
                    <title>{b.title.clone()}</title>
                </rect>
            }
        })
        .collect_view();
    let levels = chart
        .levels
        .iter()
        .map(|l| {
            let at = fmt(y(l.value));
            view! {
                <line class="marker" x1=fmt(LEFT) x2=fmt(LEFT + plot_w) y1=at.clone() y2=at.clone() />
                <text class="marker-label" x=fmt(LEFT + plot_w - 2.0) y=fmt(y(l.value) - 3.0) text-anchor="end">{l.label.clone()}</text>
            }
        })
        .collect_view();
    let marks = chart
        .marks
        .iter()
        .map(|m| {
            let at = fmt(x(m.at));
            view! {
                <g class="deploy" class:bad=m.bad>
                    <title>{m.title.clone()}</title>
                    <line x1=at.clone() x2=at.clone() y1=fmt(TOP) y2=fmt(TOP + plot_h) />
                    <text class="deploy-label" x=at y=fmt(TOP - 5.0) text-anchor="middle">{m.label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let ticks = (0..=5)
        .map(|i| {
            let t = chart.from + ((chart.to - chart.from) as f64 * f64::from(i) / 5.0) as i64;
            let anchor = match i {
                0 => "start",
                5 => "end",
                _ => "middle",
            };
            view! { <text class="axis" x=fmt(x(t)) y=fmt(HEIGHT - 6.0) text-anchor=anchor>{day(t)}</text> }
        })
        .collect_view();
    let y_labels = [high, low, 0.0]
        .into_iter()
        .enumerate()
        .filter(|(i, v)| *i < 2 || (*v > low && *v < high))
        .map(|(_, v)| view! { <text class="axis" x=fmt(LEFT - 4.0) y=fmt(y(v) + 4.0) text-anchor="end">{unit(v)}</text> })
        .collect_view();
    view! {
        <figure class="chart timeline" data-testid="chart" data-chart=id.clone()>
            <figcaption class="chart-title">{title.clone()}</figcaption>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-labelledby=labelled_by>
                <title id=title_id>{title}</title>
                <desc id=desc_id>{summary}</desc>
                {bands}
                <line class="axis-line" x1=fmt(LEFT) x2=fmt(LEFT + plot_w) y1=fmt(TOP + plot_h) y2=fmt(TOP + plot_h) />
                <line class="axis-line" x1=fmt(LEFT) x2=fmt(LEFT) y1=fmt(TOP) y2=fmt(TOP + plot_h) />
                {levels}
                <path class="line" d=path(&chart.points, x, y) />
                {marks}
                {ticks}
                {y_labels}
            </svg>
            <ChartTable table />
        </figure>
    }
    .into_any()
}

/// The chart's numbers as a table.
#[component]
fn ChartTable(table: Table) -> impl IntoView {
    view! {
        <details class="chart-table">
            <summary>"As a table"</summary>
            <table class="entities compact">
                <thead><tr>{table.headers.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {table.rows.into_iter().map(|row| view! {
                        <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
    .into_any()
}

/// The line through the points with a value, broken where there is none.
fn path(points: &[(i64, Option<f64>)], x: impl Fn(i64) -> f64, y: impl Fn(f64) -> f64) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (t, v) in points {
        match v {
            Some(v) => {
                d.push_str(&format!(
                    "{}{} {} ",
                    if pen_down { "L" } else { "M" },
                    fmt(x(*t)),
                    fmt(y(*v))
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.trim_end().to_string()
}

/// Unix seconds as `12-06` (UTC): the axis' day labels.
pub fn day(seconds: i64) -> String {
    let t = catalog::time::UtcTime::from_unix_ms(seconds * 1000);
    format!("{:02}-{:02}", t.month, t.day)
}

fn fmt(v: f64) -> String {
    format!("{:.1}", if v.is_finite() { v } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_breaks_where_there_are_no_events() {
        let points = [(0, Some(1.0)), (10, Some(0.5)), (20, None), (30, Some(0.2))];
        let d = path(&points, |t| t as f64, |v| v * 10.0);
        assert_eq!(d, "M0.0 10.0 L10.0 5.0 M30.0 2.0");
    }
}
