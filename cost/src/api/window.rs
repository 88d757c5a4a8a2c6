//! The `window` parameter in Kubecost's spellings: `7d` (the last seven UTC days, today so far
//! included), `24h` (the last 24 hours, this one so far included), `today`, `yesterday`, `week`
//! (since Monday), `month` (since the 1st), or `start,end` in RFC 3339 on whole hours (or days).

use chrono::{DateTime, Datelike, Duration, DurationRound, Utc};

/// A window asked for: `[from, to)` and whether whole days (daily rows) or hours (hourly rows)
/// make it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asked {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub daily: bool,
}

/// Reads `text` at `now`; windows longer than the rows are kept (`max_days` of daily rows,
/// `max_hours` of hourly ones: the retention settings) are refused, naming the bound.
pub fn parse(text: &str, now: DateTime<Utc>, max_days: i64, max_hours: i64) -> Result<Asked, String> {
    let day = now.duration_trunc(Duration::days(1)).map_err(|e| e.to_string())?;
    let hour = now.duration_trunc(Duration::hours(1)).map_err(|e| e.to_string())?;
    let days = |from: DateTime<Utc>, to: DateTime<Utc>| Asked { from, to, daily: true };
    let asked = match text {
        "today" => days(day, now),
        "yesterday" => days(day - Duration::days(1), day),
        "week" => days(
            day - Duration::days(i64::from(now.weekday().num_days_from_monday())),
            now,
        ),
        "month" => days(day - Duration::days(i64::from(now.day0())), now),
        _ => {
            if let Some(n) = text.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()) {
                if !(1..=max_days).contains(&n) {
                    return Err(format!(
                        "window: {text} must be 1d to {max_days}d (cost.retention.daily)"
                    ));
                }
                days(day - Duration::days(n - 1), now)
            } else if let Some(n) = text.strip_suffix('h').and_then(|n| n.parse::<i64>().ok()) {
                if !(1..=max_hours).contains(&n) {
                    return Err(format!(
                        "window: {text} must be 1h to {max_hours}h (cost.retention.hourly)"
                    ));
                }
                Asked {
                    from: hour - Duration::hours(n - 1),
                    to: now,
                    daily: false,
                }
            } else if let Some((from, to)) = text.split_once(',') {
                range(from, to)?
            } else {
                return Err(format!(
                    "window: `{text}` is not a window: 7d, 24h, today, yesterday, week, month, or start,end (RFC 3339)"
                ));
            }
        }
    };
    let span = asked.to - asked.from;
    if asked.daily && span > Duration::days(max_days) {
        return Err(format!("window: longer than {max_days} days (cost.retention.daily)"));
    }
    if !asked.daily && span > Duration::hours(max_hours) {
        return Err(format!(
            "window: longer than {max_hours} hours of hourly rows (cost.retention.hourly); ask for whole days"
        ));
    }
    Ok(asked)
}

fn range(from: &str, to: &str) -> Result<Asked, String> {
    let read = |t: &str| {
        DateTime::parse_from_rfc3339(t.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("window: `{t}` is not an RFC 3339 time: {e}"))
    };
    let (from, to) = (read(from)?, read(to)?);
    if to <= from {
        return Err("window: its end must come after its start".into());
    }
    let on = |t: DateTime<Utc>, d: Duration| t.duration_trunc(d).is_ok_and(|x| x == t);
    if on(from, Duration::days(1)) && on(to, Duration::days(1)) {
        Ok(Asked { from, to, daily: true })
    } else if on(from, Duration::hours(1)) && on(to, Duration::hours(1)) {
        Ok(Asked { from, to, daily: false })
    } else {
        Err("window: start and end must fall on whole hours (UTC)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn midnight(year: i32, month: u32, day: u32) -> Option<DateTime<Utc>> {
        Utc.with_ymd_and_hms(year, month, day, 0, 0, 0).single()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 12, 15, 30, 0).single().expect("time")
    }

    #[test]
    fn kubecost_spellings() {
        let a = parse("7d", now(), 400, 744).expect("7d");
        assert_eq!((a.from, a.to, a.daily), (midnight(2025, 3, 6).expect("d"), now(), true));
        let a = parse("24h", now(), 400, 744).expect("24h");
        assert_eq!(a.from, Utc.with_ymd_and_hms(2025, 3, 11, 16, 0, 0).single().expect("t"));
        assert!(!a.daily);
        let a = parse("yesterday", now(), 400, 744).expect("yesterday");
        assert_eq!(
            (a.from, a.to),
            (midnight(2025, 3, 11).expect("d"), midnight(2025, 3, 12).expect("d"))
        );
        let a = parse("week", now(), 400, 744).expect("week");
        assert_eq!(a.from, midnight(2025, 3, 10).expect("a Monday"));
        let a = parse("2025-01-01T00:00:00Z,2025-01-08T00:00:00Z", now(), 400, 744).expect("range");
        assert!(a.daily);
        let a = parse("2025-01-01T03:00:00Z,2025-01-01T05:00:00Z", now(), 400, 744).expect("hours");
        assert!(!a.daily);
    }

    #[test]
    fn bad_windows_are_named() {
        assert!(
            parse("401d", now(), 400, 744)
                .expect_err("long")
                .contains("cost.retention.daily")
        );
        assert!(parse("0h", now(), 400, 744).is_err());
        assert!(
            parse("fortnight", now(), 400, 744)
                .expect_err("word")
                .contains("not a window")
        );
        assert!(
            parse("2025-01-01T03:10:00Z,2025-01-01T05:00:00Z", now(), 400, 744)
                .expect_err("minutes")
                .contains("whole hours")
        );
        assert!(parse("2025-01-02T00:00:00Z,2025-01-01T00:00:00Z", now(), 400, 744).is_err());
    }
}
