//! Durations as the definitions write them: Prometheus' (`5m`, `1h30m`, `2w`, `28d`) and
//! OpenSLO's shorthand, which adds calendar units (`1M`, `1Q`, `1Y`).

use crate::model::CalendarUnit;

/// A parsed duration: a fixed number of seconds, or a count of calendar units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    Seconds(i64),
    Calendar(CalendarUnit, u32),
}

/// The longest duration accepted anywhere (ten years): bounds every window and slice.
pub const MAX_SECONDS: i64 = 10 * 366 * 86_400;

/// Parses a Prometheus duration (`1h30m`, `2w`, `500ms` rounded down to whole seconds is refused:
/// every duration here is whole seconds). Units: `s`, `m`, `h`, `d`, `w`, `y` (365 days).
pub fn prometheus(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a duration (write e.g. 5m, 1h30m, 28d, 2w)");
    if text.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut rest = text;
    let mut last_rank = usize::MAX;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return Err(bad());
        }
        let number: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit, seconds, rank) = if let Some(r) = rest.strip_prefix("ms") {
            (r, 0, 0)
        } else {
            let unit = rest.chars().next().ok_or_else(bad)?;
            let (seconds, rank) = match unit {
                'y' => (365 * 86_400, 6),
                'w' => (7 * 86_400, 5),
                'd' => (86_400, 4),
                'h' => (3_600, 3),
                'm' => (60, 2),
                's' => (1, 1),
                _ => return Err(bad()),
            };
            (&rest[1..], seconds, rank)
        };
        // Units must go from largest to smallest, each once, as Prometheus requires.
        if rank >= last_rank {
            return Err(bad());
        }
        if rank == 0 {
            if number % 1000 != 0 {
                return Err(format!("`{text}`: durations here are whole seconds"));
            }
            total = total.saturating_add(number / 1000);
        } else {
            total = total.saturating_add(number.saturating_mul(seconds));
        }
        last_rank = rank;
        rest = unit;
    }
    if total <= 0 {
        return Err(format!("`{text}` is not a positive duration"));
    }
    if total > MAX_SECONDS {
        return Err(format!("`{text}` is longer than ten years"));
    }
    Ok(total)
}

/// Parses OpenSLO's duration shorthand: a positive integer and one of `m h d w M Q Y`.
pub fn shorthand(text: &str) -> Result<Span, String> {
    let bad = || format!("`{text}` is not a duration shorthand (a number and one of m, h, d, w, M, Q, Y: 30d, 1M)");
    let unit = text.chars().last().ok_or_else(bad)?;
    let number = &text[..text.len() - unit.len_utf8()];
    if number.is_empty() || number.len() > 6 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let count: u32 = number.parse().map_err(|_| bad())?;
    if count == 0 {
        return Err(format!("`{text}` is not a positive duration"));
    }
    let seconds = |unit: i64| {
        let total = i64::from(count) * unit;
        if total > MAX_SECONDS {
            Err(format!("`{text}` is longer than ten years"))
        } else {
            Ok(Span::Seconds(total))
        }
    };
    match unit {
        'm' => seconds(60),
        'h' => seconds(3_600),
        'd' => seconds(86_400),
        'w' => seconds(7 * 86_400),
        'M' => Ok(Span::Calendar(CalendarUnit::Month, count)),
        'Q' => Ok(Span::Calendar(CalendarUnit::Quarter, count)),
        'Y' => Ok(Span::Calendar(CalendarUnit::Year, count)),
        _ => Err(bad()),
    }
}

/// `seconds` written the short way Prometheus does (`30d`, `1h30m`, `5m`).
pub fn format(seconds: i64) -> String {
    if seconds <= 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = seconds;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_durations() {
        assert_eq!(prometheus("5m"), Ok(300));
        assert_eq!(prometheus("1h30m"), Ok(5_400));
        assert_eq!(prometheus("28d"), Ok(28 * 86_400));
        assert_eq!(prometheus("2w"), Ok(14 * 86_400));
        assert_eq!(prometheus("1y"), Ok(365 * 86_400));
        assert_eq!(prometheus("2000ms"), Ok(2));
        for bad in [
            "",
            "5",
            "m",
            "5x",
            "30m1h",
            "1h1h",
            "1500ms",
            "0s",
            "-5m",
            "5 m",
            "99999999999999y",
        ] {
            assert!(prometheus(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn openslo_shorthand() {
        assert_eq!(shorthand("30d"), Ok(Span::Seconds(30 * 86_400)));
        assert_eq!(shorthand("4w"), Ok(Span::Seconds(28 * 86_400)));
        assert_eq!(shorthand("1M"), Ok(Span::Calendar(CalendarUnit::Month, 1)));
        assert_eq!(shorthand("1Q"), Ok(Span::Calendar(CalendarUnit::Quarter, 1)));
        assert_eq!(shorthand("1Y"), Ok(Span::Calendar(CalendarUnit::Year, 1)));
        for bad in ["", "d", "0d", "1.5d", "1h30m", "3s", "1é"] {
            assert!(shorthand(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formatting_round_trips_through_prometheus() {
        for seconds in [300, 5_400, 86_400, 30 * 86_400, 90_061] {
            assert_eq!(prometheus(&format(seconds)), Ok(seconds));
        }
    }
}
