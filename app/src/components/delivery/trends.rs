//! The weekly trends: deployments, change failure rate, lead time, recovery time and rework per
//! week, with the chosen report year's tier boundaries drawn as labelled lines.

use delivery::bands::{Band, Figure, Metric, Year, bands};
use delivery::model::{Bucket, Metrics};
use leptos::prelude::*;

use super::{duration, percent, week_label};
use crate::components::charts::{Bar, BarChart, Marker};

const HOUR: f64 = 3600.0;

/// The boundaries of `year`'s tiers for `metric` in the chart's unit (`scale` converts), one line
/// per value, labelled with the tiers and the year. Better-is-higher metrics mark where each
/// tier starts; the others where each ends (or its typical value).
fn markers(year: Year, metric: Metric, scale: f64, unit: &dyn Fn(f64) -> String) -> Vec<Marker> {
    let mut out: Vec<(f64, Vec<&'static str>, String)> = Vec::new();
    for Band { tier, figure, .. } in bands(year, metric) {
        let (value, sign) = match (*figure, metric) {
            (Figure::Range { from: Some(f), .. }, Metric::DeploymentFrequency) if f > 0.0 => (f, "≥ "),
            (Figure::Range { to: Some(t), .. }, m) if m != Metric::DeploymentFrequency => (t, "< "),
            (Figure::Typical(v), _) => (v, ""),
            _ => continue,
        };
        let value = value * scale;
        match out.iter_mut().find(|(v, _, _)| (*v - value).abs() < 1e-9) {
            Some((_, tiers, _)) => tiers.push(tier.label()),
            None => out.push((value, vec![tier.label()], format!("{sign}{}", unit(value)))),
        }
    }
    out.into_iter()
        .map(|(value, tiers, bound)| Marker {
            value,
            label: format!("{} {bound} · {}", tiers.join("/"), year.number()),
        })
        .collect()
}

fn bars(series: &[Bucket], value: impl Fn(&Bucket) -> (Option<f64>, String, bool)) -> Vec<Bar> {
    series
        .iter()
        .map(|b| {
            let (value, text, bad) = value(b);
            Bar {
                label: week_label(b.start_ms),
                value,
                text,
                bad,
            }
        })
        .collect()
}

fn hours(h: f64) -> String {
    if h >= 48.0 {
        format!("{:.0} d", h / 24.0)
    } else {
        format!("{h:.0} h")
    }
}

#[component]
pub fn Trends(metrics: Metrics, year: Year) -> impl IntoView {
    let s = &metrics.series;
    let weeks = s.len();
    let deployments = bars(s, |b| (Some(b.deployments as f64), b.deployments.to_string(), false));
    let failure = bars(s, |b| {
        let rate = (b.deployments > 0).then(|| b.failed as f64 * 100.0 / b.deployments as f64);
        (
            rate,
            format!(
                "{} ({} of {})",
                percent(b.failed, b.deployments),
                b.failed,
                b.deployments
            ),
            b.failed > 0,
        )
    });
    let lead = bars(s, |b| {
        let text = format!("{} over {} changes", duration(b.lead_time_median_seconds), b.changes);
        (b.lead_time_median_seconds.map(|v| v / HOUR), text, false)
    });
    let recovery = bars(s, |b| {
        let text = format!("{} over {} recovered", duration(b.recovery_median_seconds), b.recovered);
        (b.recovery_median_seconds.map(|v| v / HOUR), text, false)
    });
    let rework = bars(s, |b| {
        let rate = (b.deployments > 0).then(|| b.rework as f64 * 100.0 / b.deployments as f64);
        (
            rate,
            format!(
                "{} ({} of {})",
                percent(b.rework, b.deployments),
                b.rework,
                b.deployments
            ),
            false,
        )
    });
    let per_week = |v: f64| format!("{v:.1}/wk");
    let pct = |v: f64| format!("{v:.0}%");
    let summary = |what: &str| {
        format!("{what}, one bar per week over the {weeks} weeks shown; the table below lists each week's value.")
    };
    view! {
        <section class="trends" data-testid="trends">
            <h2>"Weekly trends"</h2>
            <div class="chart-grid">
                <BarChart id="trend-deployments" title="Deployments per week" summary=summary("Deployments per week")
                    value_header="Deployments" bars=deployments markers=markers(year, Metric::DeploymentFrequency, 7.0, &per_week) />
                <BarChart id="trend-failure" title="Change failure rate per week (%)" summary=summary("Failed deployments as a share of the week's deployments")
                    value_header="Failed" bars=failure markers=markers(year, Metric::ChangeFailureRate, 100.0, &pct) />
                <BarChart id="trend-lead" title="Lead time for changes, weekly median (hours)" summary=summary("Median lead time of the changes deployed each week")
                    value_header="Median lead time" bars=lead markers=markers(year, Metric::LeadTime, 1.0 / HOUR, &hours) />
                <BarChart id="trend-recovery" title="Recovery time, weekly median (hours)" summary=summary("Median time to recover the failed deployments of each week")
                    value_header="Median recovery" bars=recovery markers=markers(year, Metric::RecoveryTime, 1.0 / HOUR, &hours) />
                <BarChart id="trend-rework" title="Rework rate per week (%)" summary=summary("Rework deployments as a share of the week's deployments")
                    value_header="Rework" bars=rework markers=Vec::new() />
            </div>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_carry_their_tiers_and_year() {
        let labels: Vec<String> = markers(Year::Y2024, Metric::LeadTime, 1.0 / HOUR, &hours)
            .into_iter()
            .map(|m| m.label)
            .collect();
        assert_eq!(
            labels,
            [
                "Elite < 24 h · 2024",
                "High < 7 d · 2024",
                "Medium < 30 d · 2024",
                "Low < 182 d · 2024"
            ]
        );
        let cfr: Vec<String> = markers(Year::Y2023, Metric::ChangeFailureRate, 100.0, &|v| format!("{v:.0}%"))
            .into_iter()
            .map(|m| m.label)
            .collect();
        assert_eq!(
            cfr,
            [
                "Elite 5% · 2023",
                "High 10% · 2023",
                "Medium 15% · 2023",
                "Low 64% · 2023"
            ]
        );
        let freq = markers(Year::Y2023, Metric::DeploymentFrequency, 7.0, &|v| format!("{v:.1}/wk"));
        assert_eq!(
            freq.last().map(|m| m.label.as_str()),
            Some("Medium/Low ≥ 0.2/wk · 2023")
        );
        assert!(markers(Year::Y2025, Metric::LeadTime, 1.0, &hours).is_empty());
    }
}
