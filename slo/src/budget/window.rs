//! The stretch of time a window covers at a given moment. Rolling: the window's length up to
//! the last complete step. Calendar: the period (from its anchor, in its time zone, so a month
//! starts at local midnight on the 1st whatever the daylight-saving time) that holds the moment.

use chrono::{Days, Months, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::model::{CalendarUnit, Window};

/// A window at a moment: budget counted from `start` to `end`, the window closing at `close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    /// Unix seconds.
    pub start: i64,
    /// The end of the last complete step (`now` rounded down to the step).
    pub end: i64,
    /// When the window ends: `end` for a rolling window, the period's end for a calendar one.
    pub close: i64,
}

impl Span {
    /// The whole window's length.
    pub fn length(&self) -> i64 {
        self.close - self.start
    }
}

/// The span of `window` at `now` (unix seconds), with steps of `step` seconds.
pub fn span_at(window: &Window, now: i64, step: i64) -> Result<Span, String> {
    let end = now.div_euclid(step) * step;
    match window {
        Window::Rolling { seconds } => Ok(Span {
            start: end - seconds,
            end,
            close: end,
        }),
        Window::Calendar {
            unit,
            count,
            anchor,
            zone,
        } => {
            let tz: chrono_tz::Tz = zone
                .parse()
                .map_err(|_| format!("`{zone}` is not a time zone of the IANA database"))?;
            let (start, close) = period(*unit, *count, *anchor, tz, now)?;
            Ok(Span {
                start,
                end: end.clamp(start, close),
                close,
            })
        }
    }
}

/// The local start of period `k` (0 at the anchor).
fn local_start(unit: CalendarUnit, count: u32, anchor: NaiveDateTime, k: i64) -> Option<NaiveDateTime> {
    let months = match unit {
        CalendarUnit::Month => 1,
        CalendarUnit::Quarter => 3,
        CalendarUnit::Year => 12,
        CalendarUnit::Day | CalendarUnit::Week => {
            let days = if unit == CalendarUnit::Week { 7 } else { 1 } * i64::from(count) * k;
            let magnitude = Days::new(days.unsigned_abs());
            return if days >= 0 {
                anchor.checked_add_days(magnitude)
            } else {
                anchor.checked_sub_days(magnitude)
            };
        }
    };
    let total = i64::from(count) * months * k;
    let magnitude = Months::new(u32::try_from(total.unsigned_abs()).ok()?);
    if total >= 0 {
        anchor.checked_add_months(magnitude)
    } else {
        anchor.checked_sub_months(magnitude)
    }
}

/// Local time to unix seconds: the earlier of two readings in the autumn overlap, and the
/// first valid minute after a spring-forward gap.
fn to_utc(tz: chrono_tz::Tz, local: NaiveDateTime) -> Option<i64> {
    (0..=120).find_map(|minutes| {
        let shifted = local + chrono::Duration::minutes(minutes);
        tz.from_local_datetime(&shifted).earliest().map(|t| t.timestamp())
    })
}

fn period(
    unit: CalendarUnit,
    count: u32,
    anchor: NaiveDateTime,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<(i64, i64), String> {
    let failed = || "the calendar window's periods fall outside the dates Cairn can compute".to_string();
    let start_of = |k: i64| local_start(unit, count, anchor, k).and_then(|l| to_utc(tz, l));
    let anchor_utc = start_of(0).ok_or_else(failed)?;
    let approx_len = match unit {
        CalendarUnit::Day => 86_400,
        CalendarUnit::Week => 7 * 86_400,
        CalendarUnit::Month => 2_629_746,
        CalendarUnit::Quarter => 7_889_238,
        CalendarUnit::Year => 31_556_952,
    } * i64::from(count);
    let mut k = (now - anchor_utc).div_euclid(approx_len);
    // The estimate is off by at most one or two periods (month lengths, time-zone shifts).
    for _ in 0..8 {
        let start = start_of(k).ok_or_else(failed)?;
        let next = start_of(k + 1).ok_or_else(failed)?;
        if now < start {
            k -= 1;
        } else if now >= next {
            k += 1;
        } else {
            return Ok((start, next));
        }
    }
    Err(failed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("test data")
            .timestamp()
    }

    fn calendar(unit: CalendarUnit, count: u32, anchor: &str, zone: &str) -> Window {
        Window::Calendar {
            unit,
            count,
            anchor: NaiveDateTime::parse_from_str(anchor, "%Y-%m-%d %H:%M:%S").expect("test data"),
            zone: zone.into(),
        }
    }

    #[test]
    fn rolling_windows_end_at_the_last_complete_step() {
        let span = span_at(&Window::Rolling { seconds: 3_600 }, 10_000, 300).expect("test data");
        assert_eq!(
            span,
            Span {
                start: 6_300,
                end: 9_900,
                close: 9_900
            }
        );
    }

    #[test]
    fn calendar_months_start_at_local_midnight_on_the_first() {
        let month = calendar(CalendarUnit::Month, 1, "2024-01-01 00:00:00", "Europe/Paris");
        let span = span_at(&month, at("2024-03-31T12:00:00Z"), 300).expect("test data");
        // March 2024 in Paris: from 1 March 00:00 (+01:00) to 1 April 00:00 (+02:00, after the change).
        assert_eq!(span.start, at("2024-02-29T23:00:00Z"));
        assert_eq!(span.close, at("2024-03-31T22:00:00Z"));
        assert_eq!(span.length(), 31 * 86_400 - 3_600);
        // Before the anchor, periods continue backwards.
        let span = span_at(&month, at("2023-12-15T00:00:00Z"), 300).expect("test data");
        assert_eq!(span.start, at("2023-11-30T23:00:00Z"));
    }

    #[test]
    fn calendar_weeks_quarters_and_clamped_days_of_month() {
        let week = calendar(CalendarUnit::Week, 1, "2024-01-01 00:00:00", "UTC");
        let span = span_at(&week, at("2024-01-10T05:00:00Z"), 300).expect("test data");
        assert_eq!(
            (span.start, span.close),
            (at("2024-01-08T00:00:00Z"), at("2024-01-15T00:00:00Z"))
        );
        assert_eq!(span.end, at("2024-01-10T05:00:00Z"));
        let quarter = calendar(CalendarUnit::Quarter, 1, "2024-01-01 00:00:00", "UTC");
        let span = span_at(&quarter, at("2024-05-20T00:00:00Z"), 300).expect("test data");
        assert_eq!(
            (span.start, span.close),
            (at("2024-04-01T00:00:00Z"), at("2024-07-01T00:00:00Z"))
        );
        // A month anchored on the 31st starts on the last day of shorter months.
        let month = calendar(CalendarUnit::Month, 1, "2024-01-31 00:00:00", "UTC");
        let span = span_at(&month, at("2024-03-05T00:00:00Z"), 300).expect("test data");
        assert_eq!(span.start, at("2024-02-29T00:00:00Z"));
    }

    #[test]
    fn every_moment_falls_in_exactly_one_period() {
        let month = calendar(CalendarUnit::Month, 1, "2020-01-01 00:00:00", "America/New_York");
        let mut now = at("2023-01-01T00:00:00Z");
        while now < at("2025-01-01T00:00:00Z") {
            let span = span_at(&month, now, 300).expect("test data");
            assert!(span.start <= now && now < span.close, "{now}");
            assert!((28 * 86_400 - 3_600..=31 * 86_400 + 3_600).contains(&span.length()));
            now += 86_400 * 3 + 3_517;
        }
    }
}
