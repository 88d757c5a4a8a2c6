//! An SLO's 5-minute good/total buckets from Prometheus: each bucket query (`increase` over
//! 5 minutes) evaluated every 5 minutes, so bucket ends meet and their sum is the window's
//! increase. Ranges longer than Prometheus' 11 000 points are split.
//!
//! Where Sloth's (`slo:sli_error:ratio_rate5m`) or Pyrra's (`<metric>:burnrate5m`) recording
//! rule already holds the 5-minute error ratio, its single series is used instead of the error
//! query, weighted by the total bucket (bad = ratio × total): still event-weighted, one query
//! fewer over raw series. A rule's value is the one of its last evaluation before each step,
//! so those buckets may lag by up to the rule group's interval.
//!
//! Exactness on Prometheus 2.x, whose range selectors include both ends: a 5-minute `increase`
//! ending on a step sees the sample on the previous step too, so with samples on the step grid
//! nothing is extrapolated and the buckets add up to the counter's true increase. Prometheus 3
//! leaves the start out and extrapolates each bucket instead; sums stay close, not exact.

use serde::{Deserialize, Serialize};

use super::{Prometheus, PrometheusError, Series};
use crate::budget::Buckets;
use crate::budget::buckets::Count;
use crate::model::{Format, Indicator, Numerator, Slo};
use crate::promql::{BUCKET_SECONDS, BucketQueries, bucket_queries, summed_selector};

/// Steps per range request: under Prometheus' 11 000 points per series.
const MAX_STEPS: i64 = 10_000;

/// Whether to look for recording rules to reuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reuse {
    Probe,
    Never,
}

/// Where the numerator's buckets came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Source {
    /// The definition's own queries.
    Definition,
    /// A recorded 5-minute error ratio (its selector), weighted by the total.
    RecordedErrorRatio { selector: String },
}

/// Buckets and how they were obtained.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub buckets: Buckets,
    pub queries: BucketQueries,
    pub source: Source,
}

/// The buckets of `slo` over `[from, to)` (unix seconds, rounded to whole steps); gauges are
/// sampled every `sample_seconds`.
pub async fn fetch(
    prometheus: &Prometheus,
    slo: &Slo,
    from: i64,
    to: i64,
    sample_seconds: i64,
    reuse: Reuse,
) -> Result<Fetched, PrometheusError> {
    let from = from.div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
    let to = to.div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
    let mut queries = bucket_queries(&slo.indicator, sample_seconds);
    let mut source = Source::Definition;
    if reuse == Reuse::Probe
        && let Some(selector) = recorded_ratio(slo)
        && single_series(prometheus, &selector, to).await?
    {
        queries = BucketQueries {
            numerator: Numerator::Bad,
            events: format!("sum({selector})"),
            total: queries.total,
        };
        source = Source::RecordedErrorRatio { selector };
    }
    let steps = ((to - from) / BUCKET_SECONDS).max(0) as usize;
    let totals = values(prometheus, &queries.total, from, to, steps).await?;
    let events = values(prometheus, &queries.events, from, to, steps).await?;
    let counts = totals
        .iter()
        .zip(&events)
        .map(|(total, events)| {
            let total = total.filter(|t| t.is_finite())?;
            // No numerator series while there is traffic: none of those events happened yet
            // (an error counter appears with its first error).
            let events = events.filter(|e| e.is_finite()).unwrap_or(0.0);
            let events = match source {
                Source::RecordedErrorRatio { .. } => events * total,
                Source::Definition => events,
            };
            Some(Count::from_numerator(queries.numerator, events, total))
        })
        .collect();
    let buckets = Buckets::new(from, BUCKET_SECONDS, counts).map_err(|message| PrometheusError::Invalid {
        query: queries.total.clone(),
        message,
    })?;
    Ok(Fetched {
        buckets,
        queries,
        source,
    })
}

/// The recording rule that may hold this SLO's 5-minute error ratio.
pub fn recorded_ratio(slo: &Slo) -> Option<String> {
    match slo.format {
        Format::Sloth | Format::SlothKubernetes => Some(format!(
            "slo:sli_error:ratio_rate5m{{sloth_service=\"{}\",sloth_slo=\"{}\"}}",
            escape(slo.service.as_deref()?),
            escape(&slo.name)
        )),
        Format::Pyrra => {
            let Indicator::Ratio { total, .. } = &slo.indicator else {
                return None;
            };
            let selector = summed_selector(&total.promql).unwrap_or(&total.promql);
            let name = selector.split('{').next()?.trim();
            let base = name
                .strip_suffix("_total")
                .or_else(|| name.strip_suffix("_count"))
                .unwrap_or(name);
            (!base.is_empty()).then(|| format!("{base}:burnrate5m{{slo=\"{}\"}}", escape(&slo.name)))
        }
        Format::OpenSlo => None,
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

async fn single_series(prometheus: &Prometheus, selector: &str, at: i64) -> Result<bool, PrometheusError> {
    let found = prometheus.query(&format!("count({selector})"), at).await?;
    Ok(found
        .first()
        .and_then(|s| s.samples.first())
        .is_some_and(|&(_, n)| n == 1.0))
}

/// One value per bucket ending at `from + (i+1)·step` for `i < steps`, summed over series.
async fn values(
    prometheus: &Prometheus,
    promql: &str,
    from: i64,
    to: i64,
    steps: usize,
) -> Result<Vec<Option<f64>>, PrometheusError> {
    let mut out = vec![None; steps];
    let mut start = from + BUCKET_SECONDS;
    while start <= to {
        let end = (start + (MAX_STEPS - 1) * BUCKET_SECONDS).min(to);
        let series = prometheus.query_range(promql, start, end, BUCKET_SECONDS).await?;
        place(&mut out, &series, from);
        start = end + BUCKET_SECONDS;
    }
    Ok(out)
}

fn place(out: &mut [Option<f64>], series: &[Series], from: i64) {
    for s in series {
        for &(t, v) in &s.samples {
            let end = t.round() as i64;
            if (end - from) % BUCKET_SECONDS != 0 {
                continue;
            }
            let i = (end - from) / BUCKET_SECONDS - 1;
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                *slot = Some(slot.unwrap_or(0.0) + v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Alerting, Budgeting, Query, QueryForm, Window};

    fn slo(format: Format, service: Option<&str>, total: &str) -> Slo {
        Slo {
            id: "x".into(),
            name: "api-errors".into(),
            display_name: None,
            description: None,
            format,
            service: service.map(str::to_string),
            entity: None,
            objective: 0.99,
            window: Window::Rolling { seconds: 86_400 },
            budgeting: Budgeting::Occurrences,
            indicator: Indicator::Ratio {
                numerator: Numerator::Bad,
                events: Query {
                    promql: "errors_total".into(),
                    form: QueryForm::Counter,
                },
                total: Query {
                    promql: total.into(),
                    form: QueryForm::Counter,
                },
            },
            alerting: Alerting::default(),
            labels: Default::default(),
            data_source: None,
            origin: None,
        }
    }

    #[test]
    fn recording_rules_are_named_as_sloth_and_pyrra_name_them() {
        assert_eq!(
            recorded_ratio(&slo(Format::Sloth, Some("orders"), "x")).as_deref(),
            Some("slo:sli_error:ratio_rate5m{sloth_service=\"orders\",sloth_slo=\"api-errors\"}")
        );
        assert_eq!(
            recorded_ratio(&slo(Format::Pyrra, None, "http_requests_total{job=\"api\"}")).as_deref(),
            Some("http_requests:burnrate5m{slo=\"api-errors\"}")
        );
        assert_eq!(
            recorded_ratio(&slo(Format::Pyrra, None, "request_duration_seconds_count")).as_deref(),
            Some("request_duration_seconds:burnrate5m{slo=\"api-errors\"}")
        );
        assert_eq!(recorded_ratio(&slo(Format::OpenSlo, Some("orders"), "x")), None);
    }

    #[test]
    fn samples_land_in_the_bucket_they_end() {
        let mut out = vec![None; 3];
        let series = [
            Series {
                labels: Default::default(),
                samples: vec![(1_200.0, 1.0), (1_800.0, 3.0), (2_000.0, 9.0)],
            },
            Series {
                labels: Default::default(),
                samples: vec![(1_200.0, 2.0)],
            },
        ];
        place(&mut out, &series, 900);
        assert_eq!(out, vec![Some(3.0), None, Some(3.0)]);
    }
}
