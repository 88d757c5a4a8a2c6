//! How SLO figures read: objectives and budgets as percentages, windows in words, counts rounded
//! as people say them. Pure, so the server and the browser render the same text.

use slo::model::{CalendarUnit, Window};

/// 0.999 → "99.9%", 0.99995 → "99.995%": as many decimals as the figure needs, at most four.
pub fn objective(fraction: f64) -> String {
    let mut text = format!("{:.4}", fraction * 100.0);
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    format!("{text}%")
}

/// A fraction as a percentage with one decimal (`None`: "—").
pub fn percent(fraction: Option<f64>) -> String {
    fraction.map_or_else(|| "—".into(), |f| format!("{:.1}%", f * 100.0))
}

/// A fraction as a percentage with three decimals, for SLIs near 100%.
pub fn sli(fraction: Option<f64>) -> String {
    fraction.map_or_else(|| "no events yet".into(), |f| format!("{:.3}%", f * 100.0))
}

/// A burn rate: "2.4×" (`None`: "no events").
pub fn rate(rate: Option<f64>) -> String {
    rate.map_or_else(|| "no events".into(), |r| format!("{r:.1}×"))
}

/// A count, whole, its digits grouped by thin spaces: 1 240, 1 209 600 (the evidence of a
/// figure is its exact counts).
pub fn count(n: f64) -> String {
    let whole = n.max(0.0).round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// "30 days, rolling" or "1 month, calendar (Europe/Paris)".
pub fn window(window: &Window) -> String {
    match window {
        Window::Rolling { seconds } if seconds % 86_400 == 0 => plural(seconds / 86_400, "day") + ", rolling",
        Window::Rolling { seconds } if seconds % 3_600 == 0 => plural(seconds / 3_600, "hour") + ", rolling",
        Window::Rolling { seconds } => plural(seconds / 60, "minute") + ", rolling",
        Window::Calendar { unit, count, zone, .. } => {
            let unit = match unit {
                CalendarUnit::Day => "day",
                CalendarUnit::Week => "week",
                CalendarUnit::Month => "month",
                CalendarUnit::Quarter => "quarter",
                CalendarUnit::Year => "year",
            };
            format!("{}, calendar ({zone})", plural(i64::from(*count), unit))
        }
    }
}

/// Seconds in the largest whole units: "2 h 10 min", "3 d 4 h", "45 min".
pub fn span(seconds: i64) -> String {
    crate::components::humanize_seconds(seconds.max(0) as u64)
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_keep_the_decimals_they_need() {
        assert_eq!(objective(0.999), "99.9%");
        assert_eq!(objective(0.99), "99%");
        assert_eq!(objective(0.99995), "99.995%");
    }

    #[test]
    fn counts_and_windows_read_naturally() {
        assert_eq!(count(1_240.4), "1\u{202f}240");
        assert_eq!(count(38_000.0), "38\u{202f}000");
        assert_eq!(count(1_209_600.0), "1\u{202f}209\u{202f}600");
        assert_eq!(window(&Window::Rolling { seconds: 30 * 86_400 }), "30 days, rolling");
        assert_eq!(window(&Window::Rolling { seconds: 3_600 }), "1 hour, rolling");
        assert_eq!(rate(Some(14.44)), "14.4×");
        assert_eq!(percent(Some(-0.25)), "-25.0%");
    }
}
