use super::*;
use crate::budget::buckets::Count;
use crate::model::{Alerting, CalendarUnit, Format, Indicator, Query, QueryForm, Window};

const DAY: i64 = 86_400;

fn slo(objective: f64, window: Window, budgeting: Budgeting) -> Slo {
    Slo {
        id: "svc/x".into(),
        name: "x".into(),
        display_name: None,
        description: None,
        format: Format::Sloth,
        service: None,
        entity: None,
        objective,
        window,
        budgeting,
        indicator: Indicator::BoolGauge {
            query: Query {
                promql: "up".into(),
                form: QueryForm::Gauge,
            },
        },
        alerting: Alerting::default(),
        labels: Default::default(),
        data_source: None,
        origin: None,
    }
}

fn at(now: i64) -> At {
    At {
        now,
        oldest_sample: None,
        series_step: 3_600,
    }
}

/// SplitMix64: a small deterministic generator for the generated cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn the_sli_weighs_events_not_five_minute_ratios() {
    // A day: 287 busy steps of 10 000 requests with 1 error, one quiet step of 4 requests with 2
    // errors. Averaging the steps' ratios would say 1 − (287·0.0001 + 0.5)/288 ≈ 99.816%; the
    // events say 1 − 289/2 870 004 ≈ 99.98993%.
    let mut counts = vec![
        Some(Count {
            good: 9_999.0,
            total: 10_000.0
        });
        287
    ];
    counts.push(Some(Count { good: 2.0, total: 4.0 }));
    let b = Buckets::new(0, 300, counts).expect("test data");
    let r = report(
        &slo(0.999, Window::Rolling { seconds: DAY }, Budgeting::Occurrences),
        &b,
        at(DAY),
    )
    .expect("test data");
    assert_eq!((r.good, r.total), (2_869_715.0, 2_870_004.0));
    assert_eq!(r.sli, Some(2_869_715.0 / 2_870_004.0));
    let averaged = 1.0 - (287.0 * 0.0001 + 0.5) / 288.0;
    assert!(
        r.sli.expect("test data") - averaged > 0.0015,
        "the two differ by more than 0.15 points"
    );
    // Budget: 0.1% of 2 870 004 = 2 870.004 events allowed, 289 spent.
    assert_eq!(r.budget.spent, 289.0);
    assert!((r.budget.allowed - 2_870.004).abs() < 1e-6);
    assert!((r.budget.remaining.expect("test data") - (1.0 - 289.0 / 2_870.004)).abs() < 1e-12);
    assert!((r.budget.left.expect("test data") - 2_581.004).abs() < 1e-6);
    assert!(!r.short_history);
}

/// The figures recomputed the slow way: every bucket visited, nothing shared with `report`.
fn brute_force(counts: &[Option<Count>], from: usize, to: usize, objective: f64) -> (f64, f64, Option<f64>) {
    let (mut good, mut total) = (0.0, 0.0);
    for c in counts[from..to].iter().flatten() {
        good += c.good;
        total += c.total;
    }
    let remaining = (total > 0.0).then(|| 1.0 - (total - good) / ((1.0 - objective) * total));
    (good, total, remaining)
}

#[test]
fn generated_series_agree_with_a_brute_force_count() {
    let mut rng = Rng(18);
    for case in 0..300 {
        let steps = 50 + rng.below(600) as usize;
        let counts: Vec<Option<Count>> = (0..steps)
            .map(|_| {
                if rng.below(10) == 0 {
                    return None;
                }
                // Spiky traffic: mostly small, now and then a thousand times more.
                let total = if rng.below(20) == 0 {
                    rng.below(100_000)
                } else {
                    rng.below(100)
                } as f64;
                let bad = if total > 0.0 {
                    rng.below(total as u64 / 10 + 1) as f64
                } else {
                    0.0
                };
                Some(Count {
                    good: total - bad,
                    total,
                })
            })
            .collect();
        let window_steps = 1 + rng.below(steps as u64) as usize;
        let objective = [0.9, 0.99, 0.999, 0.9995][rng.below(4) as usize];
        let b = Buckets::new(0, 300, counts.clone()).expect("test data");
        let now = steps as i64 * 300 + rng.below(300) as i64;
        let s = slo(
            objective,
            Window::Rolling {
                seconds: window_steps as i64 * 300,
            },
            Budgeting::Occurrences,
        );
        let r = report(
            &s,
            &b,
            At {
                now,
                oldest_sample: Some(0),
                series_step: 300,
            },
        )
        .expect("test data");
        let (good, total, remaining) = brute_force(&counts, steps - window_steps, steps, objective);
        assert_eq!((r.good, r.total), (good, total), "case {case}");
        match (r.budget.remaining, remaining) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "case {case}: {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "case {case}"),
        }
        // The burn-down starts whole, never rises, and ends at the figure.
        assert_eq!(r.series[0].remaining, 1.0, "case {case}");
        assert!(r.series.windows(2).all(|w| w[1].remaining <= w[0].remaining + 1e-12));
        let last = r.series.last().expect("test data");
        assert_eq!(last.at, r.span.end);
        if let Some(remaining) = r.budget.remaining {
            assert!((last.remaining - remaining).abs() < 1e-9, "case {case}");
        }
        // Burn rates match a direct count over each window.
        for burn in &r.burn_rates {
            let from = steps.saturating_sub((burn.seconds / 300) as usize);
            let (g, t, _) = brute_force(&counts, from, steps, objective);
            assert_eq!((burn.total, burn.bad), (t, t - g), "case {case}");
        }
    }
}

#[test]
fn a_calendar_month_projects_its_traffic_and_starts_whole() {
    // September 2024 (30 days, UTC), ten days in: 1 000 events a step, 2 bad.
    let start = chrono::DateTime::parse_from_rfc3339("2024-09-01T00:00:00Z")
        .expect("test data")
        .timestamp();
    let month = Window::Calendar {
        unit: CalendarUnit::Month,
        count: 1,
        anchor: chrono::NaiveDateTime::parse_from_str("2024-01-01 00:00:00", "%Y-%m-%d %H:%M:%S").expect("test data"),
        zone: "UTC".into(),
    };
    // Data from two days before the month: those events belong to August.
    let counts = vec![
        Some(Count {
            good: 998.0,
            total: 1_000.0
        });
        12 * 288
    ];
    let b = Buckets::new(start - 2 * DAY, 300, counts).expect("test data");
    let r = report(
        &slo(0.99, month, Budgeting::Occurrences),
        &b,
        at(start + 10 * DAY + 120),
    )
    .expect("test data");
    assert_eq!(r.span.start, start);
    assert_eq!(r.span.end, start + 10 * DAY);
    assert_eq!(r.span.close, start + 30 * DAY);
    assert_eq!(r.total, 2_880_000.0);
    assert_eq!(r.budget.spent, 5_760.0);
    // At current traffic the month holds 8 640 000 events, 86 400 of them allowed to fail.
    assert!((r.budget.allowed - 86_400.0).abs() < 1e-6);
    assert!((r.budget.remaining.expect("test data") - (1.0 - 5_760.0 / 86_400.0)).abs() < 1e-12);
    assert_eq!(
        r.series[0],
        Point {
            at: start,
            remaining: 1.0
        }
    );
    // Burning 0.2% against 1%: 0.2×. The remaining 93.3% of 30 days lasts 140 days at that rate.
    let burn = r
        .burn_rates
        .iter()
        .find(|b| b.seconds == 3_600)
        .expect("test data")
        .rate
        .expect("test data");
    assert!((burn - 0.2).abs() < 1e-9);
    let expected = (1.0 - 5_760.0 / 86_400.0) * (30 * DAY) as f64 / burn;
    assert_eq!(r.exhaustion_seconds, Some(expected.round() as i64));
}

#[test]
fn less_history_than_the_window_is_flagged() {
    let counts = vec![
        Some(Count {
            good: 10.0,
            total: 10.0
        });
        288
    ];
    let b = Buckets::new(0, 300, counts).expect("test data");
    let s = slo(0.999, Window::Rolling { seconds: 30 * DAY }, Budgeting::Occurrences);
    let r = report(
        &s,
        &b,
        At {
            now: DAY,
            oldest_sample: Some(0),
            series_step: 3_600,
        },
    )
    .expect("test data");
    assert!(r.short_history);
    assert_eq!(r.history_seconds, DAY);
    // A day of traffic scaled to the 30-day window: 30 × 2 880 events, 0.1% of them allowed.
    assert!((r.budget.allowed - 86.4).abs() < 1e-9);
    let full = report(
        &slo(0.999, Window::Rolling { seconds: DAY }, Budgeting::Occurrences),
        &b,
        at(DAY),
    )
    .expect("test data");
    assert!(!full.short_history);
}

#[test]
fn a_spent_budget_is_exhausted_now_and_an_idle_one_never() {
    let b = Buckets::new(0, 300, vec![Some(Count { good: 0.0, total: 10.0 }); 288]).expect("test data");
    let s = slo(0.99, Window::Rolling { seconds: DAY }, Budgeting::Occurrences);
    let r = report(&s, &b, at(DAY)).expect("test data");
    assert!(r.budget.remaining.expect("test data") < 0.0);
    assert_eq!(r.exhaustion_seconds, Some(0));
    assert_eq!(r.alerts.firing, Some(crate::budget::AlertLevel::Page));
    let b = Buckets::new(
        0,
        300,
        vec![
            Some(Count {
                good: 10.0,
                total: 10.0
            });
            288
        ],
    )
    .expect("test data");
    let r = report(&s, &b, at(DAY)).expect("test data");
    assert_eq!(r.budget.remaining, Some(1.0));
    assert_eq!(r.exhaustion_seconds, None);
}

#[test]
fn timeslices_count_bad_slices_against_the_window_s_slices() {
    // A day of hourly slices, 99% of slices to be good, a slice good at ≥ 95% good events.
    let mut counts = vec![
        Some(Count {
            good: 100.0,
            total: 100.0
        });
        288
    ];
    // Hour 3 has one step at 40%: 1 240/1 300 = 95.4% → still good. Hour 5: two such steps → bad.
    counts[3 * 12] = Some(Count {
        good: 40.0,
        total: 100.0,
    });
    counts[5 * 12] = Some(Count {
        good: 40.0,
        total: 100.0,
    });
    counts[5 * 12 + 1] = Some(Count {
        good: 40.0,
        total: 100.0,
    });
    let b = Buckets::new(0, 300, counts).expect("test data");
    let s = slo(
        0.99,
        Window::Rolling { seconds: DAY },
        Budgeting::Timeslices {
            slice_seconds: 3_600,
            slice_target: 0.95,
        },
    );
    let r = report(&s, &b, at(DAY)).expect("test data");
    let slices = r.slices.clone().expect("test data");
    assert_eq!((slices.good, slices.bad, slices.in_window), (23, 1, 24));
    assert_eq!(r.sli, Some(23.0 / 24.0));
    // 1% of 24 slices = 0.24 slices allowed, one spent.
    assert!((r.budget.remaining.expect("test data") - (1.0 - 1.0 / 0.24)).abs() < 1e-9);
    assert_eq!(r.budget.unit, Unit::Slices);
    assert_eq!(r.series[0].remaining, 1.0);
}

#[test]
fn ratio_timeslices_average_the_slices() {
    let mut counts = vec![
        Some(Count {
            good: 100.0,
            total: 100.0
        });
        24
    ];
    counts[0] = Some(Count { good: 1.0, total: 2.0 });
    let b = Buckets::new(0, 300, counts).expect("test data");
    let s = slo(
        0.9,
        Window::Rolling { seconds: 7_200 },
        Budgeting::RatioTimeslices { slice_seconds: 3_600 },
    );
    let r = report(&s, &b, at(7_200)).expect("test data");
    // A slice's ratio is its own events': 1 101 good of 1 102 in the first hour.
    let first = 1_101.0 / 1_102.0;
    assert!((r.sli.expect("test data") - (first + 1.0) / 2.0).abs() < 1e-12);
    assert!((r.budget.spent - (1.0 - first)).abs() < 1e-12);
}
