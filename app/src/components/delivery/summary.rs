//! The five metrics, each with the counts it comes from ("4 failed of 23 deployments = 17.4%")
//! and, for the four DORA tiers, where it falls in the chosen report year's tiers.

use delivery::bands::{Metric, Placement, Year, bands, classify};
use delivery::model::Metrics;
use leptos::prelude::*;

use super::{count, duration, percent};

/// Where `value` falls in `year`'s tiers, in words, always with the year.
fn band_text(year: Year, metric: Metric, value: Option<f64>) -> String {
    if !year.has_tiers() {
        return format!("{}: no tiers published; raw value only", year.report());
    }
    let placement = classify(year, metric, value);
    let wording = |tier| {
        bands(year, metric)
            .iter()
            .find(|b| b.tier == tier)
            .map_or(String::new(), |b| format!(" ({})", b.wording))
    };
    let text = match &placement {
        Placement::Untiered => return format!("{}: nothing to place", year.report()),
        Placement::Within(tiers) => format!(
            "{}{}",
            placement.text(year, metric).unwrap_or_default(),
            wording(tiers[0])
        ),
        Placement::Between(a, b) => format!("between {}{} and {}{}", a.label(), wording(*a), b.label(), wording(*b)),
        Placement::Beyond(t) => format!("worse than {}{}", t.label(), wording(*t)),
        Placement::NearestTypical(_) => placement.text(year, metric).unwrap_or_default(),
    };
    format!("{}: {text}", year.report())
}

fn tier_class(year: Year, metric: Metric, value: Option<f64>) -> &'static str {
    match classify(year, metric, value).tier() {
        Some(delivery::bands::Tier::Elite) => "tier-elite",
        Some(delivery::bands::Tier::High) => "tier-high",
        Some(delivery::bands::Tier::Medium) => "tier-medium",
        Some(delivery::bands::Tier::Low) => "tier-low",
        None => "tier-none",
    }
}

#[component]
fn Card(
    metric: &'static str,
    #[prop(into)] name: String,
    #[prop(into)] value: String,
    #[prop(into)] evidence: String,
    band: Option<(Year, Metric, Option<f64>)>,
) -> impl IntoView {
    let (class, text) = match band {
        Some((year, m, v)) => (tier_class(year, m, v), band_text(year, m, v)),
        None => ("tier-none", "No DORA tiers for this metric (new in 2024)".to_string()),
    };
    view! {
        <section class=format!("metric-card {class}") data-testid="metric" data-metric=metric>
            <h3>{name}</h3>
            <p class="metric-value" data-testid="value">{value}</p>
            <p class="metric-evidence" data-testid="evidence">{evidence}</p>
            <p class="metric-band small" data-testid="band">{text}</p>
        </section>
    }
    .into_any()
}

#[component]
pub fn Summary(metrics: Metrics, year: Year) -> impl IntoView {
    let df = &metrics.deployment_frequency;
    let lt = &metrics.lead_time_for_changes;
    let cfr = &metrics.change_failure_rate;
    let rt = &metrics.failed_deployment_recovery_time;
    let rw = &metrics.rework_rate;
    let frequency = format!(
        "{} in {:.0} days = {:.2} per day ({:.1} per week)",
        count(df.deployments, "deployment", "deployments"),
        df.days,
        df.value,
        df.per_week
    );
    let mut lead = format!(
        "median of {} from {} deployments (p90 {}), from first commit to production",
        count(lt.changes, "change", "changes"),
        lt.deployments,
        duration(lt.p90_seconds)
    );
    if lt.unknown > 0 {
        lead.push_str(&format!(
            "; changes unknown for {}",
            count(lt.unknown, "deployment", "deployments")
        ));
    }
    if lt.dropped > 0 {
        lead.push_str(&format!("; {} dropped (committed after deploying: clocks)", lt.dropped));
    }
    let mut failures = format!(
        "{} failed of {} = {} ({} rollout failed, {} rolled back, {} with an incident)",
        cfr.failed,
        count(cfr.deployments, "deployment", "deployments"),
        percent(cfr.failed, cfr.deployments),
        cfr.rollout_failed,
        cfr.rolled_back,
        cfr.incident
    );
    if metrics.unlinked_incidents > 0 {
        failures.push_str(&format!(
            "; {} linked to no deployment, not counted",
            count(metrics.unlinked_incidents, "incident", "incidents")
        ));
    }
    let recovery = format!(
        "median over {} (mean {}); {} not recovered yet",
        count(
            rt.recovered,
            "recovered failed deployment",
            "recovered failed deployments"
        ),
        duration(rt.mean_seconds),
        rt.unrecovered
    );
    let rework = format!(
        "{} of {} = {} ({} rollbacks, {} after a failure, {} reverts, {} hotfixes, {} while an incident was open)",
        rw.rework,
        count(rw.deployments, "deployment", "deployments"),
        percent(rw.rework, rw.deployments),
        rw.rollbacks,
        rw.after_failure,
        rw.reverts,
        rw.hotfixes,
        rw.incident_fixes
    );
    view! {
        <div class="metric-cards" data-testid="metrics">
            <Card metric="deploymentFrequency" name="Deployment frequency" value=format!("{:.1} / week", df.per_week)
                evidence=frequency band=Some((year, Metric::DeploymentFrequency, Some(df.value))) />
            <Card metric="leadTimeForChanges" name="Lead time for changes" value=duration(lt.value)
                evidence=lead band=Some((year, Metric::LeadTime, lt.value)) />
            <Card metric="changeFailureRate" name="Change failure rate" value=percent(cfr.failed, cfr.deployments)
                evidence=failures band=Some((year, Metric::ChangeFailureRate, cfr.value)) />
            <Card metric="failedDeploymentRecoveryTime" name="Failed deployment recovery time" value=duration(rt.value)
                evidence=recovery band=Some((year, Metric::RecoveryTime, rt.value)) />
            <Card metric="reworkRate" name="Rework rate" value=percent(rw.rework, rw.deployments) evidence=rework band=None />
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_band_names_its_year() {
        for year in Year::ALL {
            for (metric, value) in [
                (Metric::ChangeFailureRate, Some(0.174)),
                (Metric::LeadTime, Some(5.0 * 3600.0)),
                (Metric::DeploymentFrequency, None),
            ] {
                let text = band_text(year, metric, value);
                assert!(text.contains(&year.number().to_string()), "{text}");
            }
        }
        assert_eq!(
            band_text(Year::Y2024, Metric::ChangeFailureRate, Some(0.174)),
            "DORA State of DevOps 2024: nearest High (20%)"
        );
        assert_eq!(
            band_text(Year::Y2021, Metric::LeadTime, Some(5.0 * 3600.0)),
            "DORA State of DevOps 2021: between Elite (less than one hour) and High (between one day and one week)"
        );
    }
}
