//! Prometheus recording and alerting rules for SLOs whose definitions come without any (OpenSLO
//! has no generator; Sloth's and Pyrra's definitions have their own): Sloth's names, so
//! dashboards and alert routes written for Sloth work unchanged, and the SRE workbook's
//! multi-window multi-burn-rate alerts.
//!
//! - `slo:sli_error:ratio_rate<w>` for 5m, 30m, 1h, 2h, 6h, 1d and 3d: bad over total events in
//!   the window, summed before dividing;
//! - `slo:sli_bad:increase5m`, `slo:sli_total:increase5m` (Cairn's): the 5-minute counts, so the
//!   window's ratio `slo:sli_error:ratio_rate<period>` is their sums over the period divided,
//!   event-weighted and cheap, where Sloth averages its 5-minute ratios (sloth#618);
//! - `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:time_period:days`,
//!   `slo:current_burn_rate:ratio`, `slo:period_burn_rate:ratio`,
//!   `slo:period_error_budget_remaining:ratio` and `sloth_slo_info`;
//! - a page alert (1 h and 5 m above 14.4×, or 6 h and 30 m above 6×) and a ticket alert (1 d
//!   and 2 h above 3×, or 3 d and 6 h above 1×), labelled `sloth_severity`.
//!
//! Pure: the text is YAML whose every scalar is a double-quoted (JSON-escaped) string, so no
//! value from a definition can change the document's shape.

use crate::budget::{AlertLevel, MULTI_WINDOW_RULES};
use crate::duration;
use crate::model::{Format, Numerator, Slo, Window};
use crate::promql::range_queries;

/// The windows error ratios are recorded over (Sloth's).
const RATIO_WINDOWS: [i64; 7] = [300, 1_800, 3_600, 7_200, 21_600, 86_400, 259_200];
/// Gauges (thresholds, bool gauges) are sampled every minute in subqueries.
const SAMPLE_SECONDS: i64 = 60;

/// Whether Cairn writes rules for `slo`: only for formats without a generator of their own.
pub fn needs_rules(slo: &Slo) -> Result<(), String> {
    match slo.format {
        Format::OpenSlo => Ok(()),
        Format::Sloth | Format::SlothKubernetes => Err("Sloth generates its rules (`sloth generate`)".into()),
        Format::Pyrra => Err("Pyrra generates its rules (its operator or `pyrra generate`)".into()),
    }
}

/// The rule groups of `slos` as one Prometheus rules file.
pub fn rules_file(slos: &[Slo]) -> String {
    let mut out = String::from("groups:\n");
    for slo in slos {
        out.push_str(&groups(slo));
    }
    if slos.is_empty() {
        out = "groups: []\n".into();
    }
    out
}

/// The labels every series of `slo` carries: Sloth's ids and the definition's own labels.
fn labels(slo: &Slo) -> Vec<(String, String)> {
    let service = service(slo);
    let mut out: Vec<(String, String)> = slo
        .labels
        .iter()
        .filter(|(k, _)| is_label_name(k) && !k.starts_with("sloth_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.push(("sloth_id".into(), sloth_id(slo)));
    let slo_name = slo.id.strip_prefix(&format!("{service}/")).unwrap_or(&slo.name);
    out.push(("sloth_slo".into(), slug(slo_name)));
    out.push(("sloth_service".into(), service));
    out
}

fn service(slo: &Slo) -> String {
    slo.service.clone().unwrap_or_else(|| "default".into())
}

/// Sloth's id of an SLO, `<service>-<name>`: Cairn's id (unique per file, one per objective)
/// with anything but letters, digits, `_` and `-` as `-`.
fn sloth_id(slo: &Slo) -> String {
    slug(&slo.id)
}

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn groups(slo: &Slo) -> String {
    let labels = labels(slo);
    let id = sloth_id(slo);
    let selector = format!(
        "{{{}}}",
        labels
            .iter()
            .filter(|(k, _)| k.starts_with("sloth_"))
            .map(|(k, v)| format!("{k}={}", json(v)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut sli = Vec::new();
    for seconds in RATIO_WINDOWS {
        let w = duration::format(seconds);
        sli.push(record(
            &format!("slo:sli_error:ratio_rate{w}"),
            &error_ratio(slo, seconds),
            &with(&labels, "sloth_window", &w),
        ));
    }
    let q = range_queries(&slo.indicator, 300, SAMPLE_SECONDS);
    let bad = match q.numerator {
        Numerator::Bad => q.events.clone(),
        Numerator::Good => format!("({}) - ({})", q.total, q.events),
    };
    sli.push(record("slo:sli_bad:increase5m", &bad, &labels));
    sli.push(record("slo:sli_total:increase5m", &q.total, &labels));
    let period_seconds = period_seconds(&slo.window);
    let period = duration::format(period_seconds);
    let budget = 1.0 - slo.objective;
    // The window's ratio, unless a burn window already records it under the same name.
    let period_ratio = (!RATIO_WINDOWS.contains(&period_seconds)).then(|| {
        record(
                &format!("slo:sli_error:ratio_rate{period}"),
                &format!(
                    "sum_over_time(slo:sli_bad:increase5m{selector}[{period}]) / sum_over_time(slo:sli_total:increase5m{selector}[{period}])"
                ),
                &with(&labels, "sloth_window", &period),
            )
    });
    let meta = [
        record("slo:objective:ratio", &format!("vector({})", slo.objective), &labels),
        record("slo:error_budget:ratio", &format!("vector({budget})"), &labels),
        record(
            "slo:time_period:days",
            &format!("vector({})", period_seconds / 86_400),
            &labels,
        ),
        record(
            "slo:current_burn_rate:ratio",
            &format!(
                "slo:sli_error:ratio_rate5m{selector} / on(sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio{selector}"
            ),
            &labels,
        ),
        record(
            "slo:period_burn_rate:ratio",
            &format!(
                "slo:sli_error:ratio_rate{period}{selector} / on(sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio{selector}"
            ),
            &labels,
        ),
        record(
            "slo:period_error_budget_remaining:ratio",
            &format!("1 - slo:period_burn_rate:ratio{selector}"),
            &labels,
        ),
        record(
            "sloth_slo_info",
            "vector(1)",
            &with(&labels, "sloth_objective", &format!("{}", slo.objective * 100.0)),
        ),
    ];
    sli.extend(period_ratio);
    let mut out = group(&format!("sloth-slo-sli-recordings-{id}"), &sli);
    out.push_str(&group(&format!("sloth-slo-meta-recordings-{id}"), &meta));
    if slo.alerting.enabled {
        let alerts = [AlertLevel::Page, AlertLevel::Ticket].map(|level| alert(slo, &labels, &selector, level, budget));
        out.push_str(&group(&format!("sloth-slo-alerts-{id}"), &alerts));
    }
    out
}

/// Bad over total events over `seconds`, summed before dividing.
fn error_ratio(slo: &Slo, seconds: i64) -> String {
    let q = range_queries(&slo.indicator, seconds, SAMPLE_SECONDS);
    match q.numerator {
        Numerator::Bad => format!("({}) / ({})", q.events, q.total),
        Numerator::Good => format!("(({}) - ({})) / ({})", q.total, q.events, q.total),
    }
}

fn alert(slo: &Slo, labels: &[(String, String)], selector: &str, level: AlertLevel, budget: f64) -> String {
    let (severity, extra) = match level {
        AlertLevel::Page => ("page", &slo.alerting.page_labels),
        AlertLevel::Ticket => ("ticket", &slo.alerting.ticket_labels),
    };
    let conditions: Vec<String> = MULTI_WINDOW_RULES
        .iter()
        .filter(|r| r.level == level)
        .map(|r| {
            let (long, short) = (duration::format(r.long_seconds), duration::format(r.short_seconds));
            format!(
                "(max(slo:sli_error:ratio_rate{short}{selector} > ({} * {budget})) without (sloth_window) and max(slo:sli_error:ratio_rate{long}{selector} > ({} * {budget})) without (sloth_window))",
                r.factor, r.factor
            )
        })
        .collect();
    let name = slo
        .alerting
        .name
        .clone()
        .filter(|n| is_label_name(n))
        .unwrap_or_else(|| format!("{}HighErrorRate", camel(&slo.name)));
    let mut all = with(labels, "sloth_severity", severity);
    all.extend(
        extra
            .iter()
            .filter(|(k, _)| is_label_name(k))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    let mut text = format!(
        "      - alert: {}\n        expr: {}\n",
        json(&name),
        json(&conditions.join(" or "))
    );
    text.push_str(&label_block(&all));
    text.push_str(&format!(
        "        annotations:\n          summary: {}\n          title: {}\n",
        json(&format!("{{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} SLO error budget burn rate is over expected ({severity})")),
        json(&format!("({severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} SLO error budget burn rate is too fast.")),
    ));
    text
}

fn record(name: &str, expr: &str, labels: &[(String, String)]) -> String {
    let mut text = format!("      - record: {}\n        expr: {}\n", json(name), json(expr));
    text.push_str(&label_block(labels));
    text
}

fn label_block(labels: &[(String, String)]) -> String {
    let mut text = String::from("        labels:\n");
    for (k, v) in labels {
        text.push_str(&format!("          {k}: {}\n", json(v)));
    }
    text
}

fn group(name: &str, rules: &[String]) -> String {
    format!("  - name: {}\n    rules:\n{}", json(name), rules.concat())
}

fn with(labels: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut out = labels.to_vec();
    out.push((key.into(), value.into()));
    out
}

/// A window's length in whole days (calendar periods at their nominal length).
fn period_seconds(window: &Window) -> i64 {
    match window {
        Window::Rolling { seconds } => (*seconds).max(86_400) / 86_400 * 86_400,
        Window::Calendar { unit, count, .. } => {
            let days = match unit {
                crate::model::CalendarUnit::Day => 1,
                crate::model::CalendarUnit::Week => 7,
                crate::model::CalendarUnit::Month => 30,
                crate::model::CalendarUnit::Quarter => 90,
                crate::model::CalendarUnit::Year => 365,
            };
            days * i64::from(*count) * 86_400
        }
    }
}

/// A Prometheus label (and alert) name: `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `checkout-availability` → `CheckoutAvailability`.
fn camel(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<String>()
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .to_string()
}

/// A double-quoted YAML scalar (JSON's escaping is YAML's).
fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests;
