//! The intervals of a metrics series: UTC days, ISO weeks (from Monday) or calendar months, the
//! first and last cut to the range asked for.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};

/// Most intervals one series has: a year and a bit of days.
pub const MAX_BUCKETS: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
    Month,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Interval> {
        match text {
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }
}

/// `(start, end)` of each interval covering `[from_ms, to_ms)`, or None past `MAX_BUCKETS`.
pub fn buckets(from_ms: i64, to_ms: i64, interval: Interval) -> Option<Vec<(i64, i64)>> {
    let from = DateTime::<Utc>::from_timestamp_millis(from_ms)?;
    let mut day = from.date_naive();
    day = match interval {
        Interval::Day => day,
        Interval::Week => day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))?,
        Interval::Month => day.with_day(1)?,
    };
    let mut out = Vec::new();
    let mut start = from_ms;
    while start < to_ms {
        let next = match interval {
            Interval::Day => day.checked_add_days(Days::new(1))?,
            Interval::Week => day.checked_add_days(Days::new(7))?,
            Interval::Month => day.checked_add_months(Months::new(1))?,
        };
        let end = midnight_ms(next).min(to_ms);
        out.push((start, end));
        if out.len() > MAX_BUCKETS {
            return None;
        }
        start = end;
        day = next;
    }
    Some(out)
}

fn midnight_ms(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp_millis()
}

/// RFC 3339 (`2025-03-01T12:00:00Z`, any offset) or a date (`2025-03-01`, midnight UTC).
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Some(at.timestamp_millis());
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok().map(midnight_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_the_ends_are_cut_to_the_range() {
        let from = parse_time("2025-03-05T12:00:00Z").expect("time"); // a Wednesday
        let to = parse_time("2025-03-20").expect("time");
        let weeks = buckets(from, to, Interval::Week).expect("bounded");
        let starts: Vec<i64> = weeks.iter().map(|b| b.0).collect();
        assert_eq!(
            starts,
            [
                from,
                parse_time("2025-03-10").expect("t"),
                parse_time("2025-03-17").expect("t")
            ]
        );
        assert_eq!(weeks.last().expect("last").1, to);
    }

    #[test]
    fn months_follow_the_calendar_and_days_are_bounded() {
        let from = parse_time("2025-01-31").expect("time");
        let to = parse_time("2025-04-01").expect("time");
        let months = buckets(from, to, Interval::Month).expect("bounded");
        assert_eq!(months.len(), 3);
        assert_eq!(months[1].0, parse_time("2025-02-01").expect("t"));
        let two_years = parse_time("2027-01-01").expect("time");
        assert!(buckets(from, two_years, Interval::Day).is_none());
    }

    #[test]
    fn times_are_rfc_3339_with_any_offset_or_dates() {
        assert_eq!(parse_time("2025-03-01T01:00:00+01:00"), parse_time("2025-03-01"));
        assert_eq!(parse_time("yesterday"), None);
    }
}
