//! Budgets over a real Prometheus holding eight days of known traffic: every figure checked
//! against a count of the plan's own minutes.

use slo::budget::report::{At, report};
use slo::model::Slo;
use slo::prometheus::buckets::{Reuse, Source, fetch};
use slo::prometheus::{Prometheus, PrometheusError, PrometheusSettings};
use testkit::prometheus::{self as harness, History, Minute};

/// 2024-03-01T00:00:00Z.
const START: i64 = 1_709_251_200;
const DAY: i64 = 86_400;
const MINUTES: usize = 8 * 1_440;

/// Quiet nights and busy days, a burst on day 5, an outage on day 6 and a bad last 40 minutes;
/// both counters restart mid-day 3 (a deploy).
fn plan() -> History {
    let minutes = (0..MINUTES)
        .map(|i| {
            let day = i / 1_440;
            let minute_of_day = i % 1_440;
            let total: u64 = if minute_of_day < 360 {
                3
            } else if day == 5 && (720..750).contains(&minute_of_day) {
                5_000
            } else {
                100 + (i % 17) as u64
            };
            let bad = if day == 6 && (600..660).contains(&minute_of_day) {
                total * 2 / 5
            } else if i >= MINUTES - 40 {
                total * 3 / 10
            } else if i % 13 == 0 {
                1
            } else {
                0
            };
            Minute { good: total - bad, bad }
        })
        .collect();
    History {
        start: START,
        minutes,
        resets: vec![3 * 1_440 + 721],
    }
}

const OPENSLO: &str = r#"
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
  annotations:
    cairn.dev/entity: checkout
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-requests
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: checkout_requests_total{code="500"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(checkout_requests_total)
  timeWindow:
    - duration: 7d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: 99.9
"#;

const SLOTH: &str = r#"
version: "prometheus/v1"
service: "checkout"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(checkout_requests_total{code="500"}[{{.window}}]))
        total_query: sum(rate(checkout_requests_total[{{.window}}]))
"#;

fn definition(text: &str) -> Slo {
    let file = slo::read::read_file("slo.yaml", text.as_bytes(), &Default::default()).expect("readable");
    assert_eq!(file.problems, vec![]);
    file.slos.into_iter().next().expect("one SLO")
}

fn client(url: &str) -> Prometheus {
    let settings = PrometheusSettings {
        url: url.to_string(),
        private_network: true,
        ..PrometheusSettings::default()
    };
    Prometheus::new(settings, &outbound::ReadingPolicy::default()).expect("a client")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[tokio::test]
async fn budgets_match_a_count_of_the_history() {
    let history = plan();
    let end = history.end();
    let server = harness::start(&history).await;
    let prometheus = client(&server.url);
    let mut slo = definition(OPENSLO);

    // Eight days of buckets, exact: increases summed, the counter reset included.
    let fetched = fetch(&prometheus, &slo, START, end, 60, Reuse::Probe)
        .await
        .expect("buckets");
    assert_eq!(fetched.source, Source::Definition);
    assert_eq!(
        fetched.queries.total, "sum(increase(checkout_requests_total[5m]))",
        "sum(counter) is increased per series, then summed"
    );
    let buckets = &fetched.buckets;
    let (good, bad) = history.count(START, end);
    let all = buckets.sum(START, end);
    assert_eq!((all.good, all.bad()), (good as f64, bad as f64));
    assert_eq!(all.steps_with_data, MINUTES / 5);

    let oldest = prometheus.oldest_sample().await.expect("oldest sample");
    assert_eq!(oldest, Some(START));
    let at = At {
        now: end,
        oldest_sample: oldest,
        series_step: 3_600,
    };

    // The 7-day window.
    let r = report(&slo, buckets, at).expect("report");
    let (good, bad) = history.count(end - 7 * DAY, end);
    let total = (good + bad) as f64;
    assert_eq!((r.good, r.total, r.budget.spent), (good as f64, total, bad as f64));
    assert_eq!(r.sli, Some(good as f64 / total));
    let allowed = (1.0 - 0.999) * total;
    assert!(close(r.budget.allowed, allowed));
    assert!(close(r.budget.remaining.expect("events"), 1.0 - bad as f64 / allowed));
    assert!(close(r.budget.left.expect("events"), allowed - bad as f64));
    assert!(!r.short_history);
    assert_eq!(r.series.first().map(|p| p.remaining), Some(1.0));
    for burn in &r.burn_rates {
        let (g, b) = history.count(end - burn.seconds, end);
        assert_eq!((burn.total, burn.bad), ((g + b) as f64, b as f64), "{} s", burn.seconds);
        let expected = b as f64 / (g + b) as f64 / (1.0 - 0.999);
        assert!(close(burn.rate.expect("traffic"), expected));
    }
    // The last 40 minutes at 30% errors: both page windows burn far above 14.4×.
    assert_eq!(r.alerts.firing, Some(slo::budget::AlertLevel::Page));

    // A 30-day window over eight days of data: the figures say so, and project the traffic.
    slo.window = slo::model::Window::Rolling { seconds: 30 * DAY };
    let r = report(&slo, buckets, at).expect("report");
    assert!(r.short_history);
    assert_eq!(r.history_seconds, end - START);
    let (good, bad) = history.count(START, end);
    let expected_allowed = (1.0 - 0.999) * (good + bad) as f64 * 30.0 / 8.0;
    assert!(close(r.budget.allowed, expected_allowed));

    // A calendar week from Monday 4 March, five days in.
    slo.window = slo::model::Window::Calendar {
        unit: slo::model::CalendarUnit::Week,
        count: 1,
        anchor: chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a date"),
        zone: "UTC".into(),
    };
    let r = report(&slo, buckets, at).expect("report");
    let monday = START + 3 * DAY;
    assert_eq!(
        (r.span.start, r.span.end, r.span.close),
        (monday, end, monday + 7 * DAY)
    );
    let (good, bad) = history.count(monday, end);
    assert_eq!((r.good, r.budget.spent), (good as f64, bad as f64));
    assert!(close(r.budget.allowed, (1.0 - 0.999) * (good + bad) as f64 * 7.0 / 5.0));
}

#[tokio::test]
async fn sloth_s_recorded_ratio_is_reused_and_weighted_by_traffic() {
    let history = plan();
    let end = history.end();
    let server = harness::start(&history).await;
    let prometheus = client(&server.url);
    let slo = definition(SLOTH);
    let (good, bad) = history.count(end - DAY, end);

    let reused = fetch(&prometheus, &slo, end - DAY, end, 60, Reuse::Probe)
        .await
        .expect("buckets");
    assert_eq!(
        reused.source,
        Source::RecordedErrorRatio {
            selector: "slo:sli_error:ratio_rate5m{sloth_service=\"checkout\",sloth_slo=\"requests-availability\"}"
                .into()
        }
    );
    let raw = fetch(&prometheus, &slo, end - DAY, end, 60, Reuse::Never)
        .await
        .expect("buckets");
    assert_eq!(raw.source, Source::Definition);
    for fetched in [&reused, &raw] {
        let sum = fetched.buckets.sum(end - DAY, end);
        // Rates times 300 and ratios times totals: exact up to rounding.
        assert!(close(sum.total, (good + bad) as f64), "{} vs {}", sum.total, good + bad);
        assert!(close(sum.bad(), bad as f64), "{} vs {bad}", sum.bad());
    }
}

#[tokio::test]
async fn errors_name_the_query_and_bounds_hold() {
    let history = History {
        start: START,
        minutes: vec![Minute { good: 1, bad: 1 }; 60],
        resets: Vec::new(),
    };
    let end = history.end();
    let server = harness::start(&history).await;
    let prometheus = client(&server.url);

    let error = prometheus.query("sum(rate(", end).await.expect_err("a parse error");
    let text = error.to_string();
    assert!(
        matches!(error, PrometheusError::Server { status: 400, .. }),
        "{error:?}"
    );
    assert!(text.contains("`sum(rate(`") && text.contains("parse error"), "{text}");

    let narrow = |settings: PrometheusSettings| {
        Prometheus::new(
            PrometheusSettings {
                url: server.url.clone(),
                private_network: true,
                ..settings
            },
            &outbound::ReadingPolicy::default(),
        )
        .expect("a client")
    };
    let two_series = "checkout_requests_total";
    let error = narrow(PrometheusSettings {
        max_series: 1,
        ..Default::default()
    })
    .query(two_series, end)
    .await
    .expect_err("two series");
    assert!(
        matches!(error, PrometheusError::TooMany { what: "series", .. }),
        "{error:?}"
    );
    let error = narrow(PrometheusSettings {
        max_points: 10,
        ..Default::default()
    })
    .query_range(two_series, START, end, 60)
    .await
    .expect_err("122 points");
    assert!(
        matches!(error, PrometheusError::TooMany { what: "points", .. }),
        "{error:?}"
    );
    let error = narrow(PrometheusSettings {
        max_response_bytes: 100,
        ..Default::default()
    })
    .query(two_series, end)
    .await
    .expect_err("a large answer");
    assert!(
        matches!(error, PrometheusError::TooLarge { limit: 100, .. }),
        "{error:?}"
    );

    // Loopback is a private address: refused unless this Prometheus is marked as private.
    let error = Prometheus::new(
        PrometheusSettings {
            url: server.url.clone(),
            ..Default::default()
        },
        &outbound::ReadingPolicy::default(),
    )
    .expect_err("refused");
    assert!(error.to_string().contains("private or loopback"), "{error}");

    let retention = prometheus.retention().await.expect("runtime information");
    assert_eq!(retention.as_deref(), Some("100y"));
}
