//! Everything the budget says about one SLO at one moment, computed from its buckets.
//!
//! The SLI is event-weighted: good and total increases summed over the window, then divided.
//! Sloth's optimised 30-day rule (sloth#618) instead averages its 5-minute error ratios,
//! `sum_over_time(slo:sli_error:ratio_rate5m[30d]) / count_over_time(…)`: every 5 minutes weighs
//! the same whatever its traffic, so a quiet night where 2 of 4 requests failed counts as much
//! as a peak where 2 of 40 000 did, and the 30-day figure leans towards the quiet hours' noise.
//! Summing the buckets' counts weighs each event once.

use serde::{Deserialize, Serialize};

use super::buckets::Buckets;
use super::burn::{AlertState, BURN_WINDOWS, BurnRate, alert_state, burn_rate};
use super::slices::{Slices, judge};
use super::window::{Span, span_at};
use crate::model::{Budgeting, Slo};

/// The burn rate time to exhaustion is projected with: the last hour's.
const EXHAUSTION_BURN_SECONDS: i64 = 3_600;

/// What a budget is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Unit {
    Events,
    Slices,
}

/// The budget of the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub unit: Unit,
    /// Bad events (or bad slices, or slices' shortfall) so far.
    pub spent: f64,
    /// What the whole window may spend: (1 − objective) × events at current traffic (the window's
    /// events so far, scaled to its whole length), or × the slices the window holds.
    pub allowed: f64,
    /// 1 − spent / allowed: 1 untouched, 0 spent, below 0 overspent. `None` when nothing is allowed
    /// yet (no events).
    pub remaining: Option<f64>,
    /// allowed − spent: about how many more bad events (slices) the window can take.
    pub left: Option<f64>,
}

/// One point of the burn-down series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    pub at: i64,
    pub remaining: f64,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub span: Span,
    pub objective: f64,
    pub good: f64,
    pub total: f64,
    /// Good over total events in the window; for Timeslices good over judged slices, for
    /// RatioTimeslices the slices' mean ratio. `None` without events.
    pub sli: Option<f64>,
    pub budget: Budget,
    pub slices: Option<Slices>,
    pub burn_rates: Vec<BurnRate>,
    pub alerts: AlertState,
    /// Seconds until the budget is spent at the last hour's burn rate (ignoring bad events that
    /// leave a rolling window meanwhile); `Some(0)` when already spent, `None` when not burning.
    pub exhaustion_seconds: Option<i64>,
    /// Seconds of the window before `end` that Prometheus holds data for.
    pub history_seconds: i64,
    /// Prometheus holds less history than the window so far: the figures cover only part of it.
    pub short_history: bool,
    /// Remaining budget from the window's start (exactly 1 there) to its end, every `series_step`.
    pub series: Vec<Point>,
}

/// Inputs besides the SLO and its buckets.
#[derive(Clone, Copy, Debug)]
pub struct At {
    /// Unix seconds.
    pub now: i64,
    /// The oldest sample Prometheus holds, when known (`None`: the buckets' first data decides).
    pub oldest_sample: Option<i64>,
    /// Spacing of the burn-down series (a multiple of the buckets' step).
    pub series_step: i64,
}

/// The report of `slo` over `buckets` at `at.now`.
pub fn report(slo: &Slo, buckets: &Buckets, at: At) -> Result<Report, String> {
    let span = span_at(&slo.window, at.now, buckets.step())?;
    let sum = buckets.sum(span.start, span.end);
    let objective = slo.objective;
    let history_from = at
        .oldest_sample
        .or(buckets.first_data())
        .unwrap_or(span.end)
        .clamp(span.start, span.end);
    let history_seconds = span.end - history_from;
    let elapsed = span.end - span.start;
    let (budget, slices, sli) = match slo.budgeting {
        Budgeting::Occurrences => {
            // Events at current traffic: the events seen, over the time seen, for the whole window.
            let expected = if history_seconds > 0 {
                sum.total * span.length() as f64 / history_seconds as f64
            } else {
                0.0
            };
            (
                budget(Unit::Events, sum.bad(), (1.0 - objective) * expected),
                None,
                sum.ratio(),
            )
        }
        Budgeting::Timeslices {
            slice_seconds,
            slice_target,
        } => {
            let s = judge(buckets, &span, slice_seconds, Some(slice_target));
            let judged = s.good + s.bad + s.empty;
            let sli = (judged > 0).then(|| (s.good + s.empty) as f64 / judged as f64);
            let b = budget(Unit::Slices, s.bad as f64, (1.0 - objective) * s.in_window as f64);
            (b, Some(s), sli)
        }
        Budgeting::RatioTimeslices { slice_seconds } => {
            let s = judge(buckets, &span, slice_seconds, None);
            let sli = (s.with_events() > 0).then(|| s.ratio_sum / s.with_events() as f64);
            let b = budget(Unit::Slices, s.shortfall, (1.0 - objective) * s.in_window as f64);
            (b, Some(s), sli)
        }
    };
    let burn_rates: Vec<BurnRate> = BURN_WINDOWS
        .iter()
        .map(|&seconds| burn_rate(buckets, span.end, seconds, objective))
        .collect();
    let recent = burn_rate(buckets, span.end, EXHAUSTION_BURN_SECONDS, objective).rate;
    let exhaustion_seconds = match (budget.remaining, recent) {
        (Some(r), _) if r <= 0.0 => Some(0),
        (Some(r), Some(burn)) if burn > 0.0 => Some((r * span.length() as f64 / burn).round() as i64),
        _ => None,
    };
    let series = burn_down(slo, buckets, &span, &budget, at.series_step);
    Ok(Report {
        span,
        objective,
        good: sum.good,
        total: sum.total,
        sli,
        slices,
        burn_rates,
        alerts: alert_state(buckets, span.end, objective),
        exhaustion_seconds,
        history_seconds,
        short_history: history_seconds < elapsed,
        series,
        budget,
    })
}

fn budget(unit: Unit, spent: f64, allowed: f64) -> Budget {
    let usable = allowed > 0.0;
    Budget {
        unit,
        spent,
        allowed,
        remaining: usable.then(|| 1.0 - spent / allowed),
        left: usable.then_some(allowed - spent),
    }
}

/// The remaining budget at each `step` from the window's start: what was spent from the start
/// to that point, against the whole window's allowance. It starts at exactly 1 (pyrra#1576: a
/// graph of each point's own rolling window starts wherever the previous window left it) and
/// ends at the report's figure.
fn burn_down(slo: &Slo, buckets: &Buckets, span: &Span, budget: &Budget, step: i64) -> Vec<Point> {
    let step = step.max(buckets.step());
    let mut points = Vec::new();
    let mut at = span.start;
    loop {
        let spent = match slo.budgeting {
            Budgeting::Occurrences => buckets.sum(span.start, at).bad(),
            Budgeting::Timeslices {
                slice_seconds,
                slice_target,
            } => judge(buckets, &until(span, at), slice_seconds, Some(slice_target)).bad as f64,
            Budgeting::RatioTimeslices { slice_seconds } => {
                judge(buckets, &until(span, at), slice_seconds, None).shortfall
            }
        };
        let remaining = if budget.allowed > 0.0 {
            1.0 - spent / budget.allowed
        } else {
            1.0
        };
        points.push(Point { at, remaining });
        if at >= span.end {
            break;
        }
        at = (at + step).min(span.end);
    }
    points
}

fn until(span: &Span, end: i64) -> Span {
    Span { end, ..*span }
}

#[cfg(test)]
mod tests;
