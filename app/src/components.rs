//! Views shared by several pages.

pub mod charts;
pub mod cost;
pub mod delivery;
pub mod demo_banner;
pub mod deployments;
pub mod entity;
pub mod entity_link;
pub mod entity_table;
pub mod error_page;
pub mod header;
pub mod marked;
pub mod reliability;
pub mod scaffolder;
pub mod theme_switch;

/// A kind as people write it (`API`, `Component`), from any case.
pub fn kind_label(kind: &str) -> String {
    match kind.to_ascii_lowercase().as_str() {
        "api" => "API".into(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        }
    }
}

/// "3 h 4 min", "12 s": coarse enough to read at a glance.
pub fn humanize_seconds(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Milliseconds since the epoch as `2026-12-06 09:41 UTC`: the same on the server and in the
/// browser, so hydration agrees.
pub fn format_time(ms: i64) -> String {
    let t = catalog::time::UtcTime::from_unix_ms(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute
    )
}

#[cfg(test)]
mod tests {
    use super::{format_time, humanize_seconds};

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_796_521_260_000), "2026-12-06 01:41 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(humanize_seconds(5), "5 s");
        assert_eq!(humanize_seconds(125), "2 min 5 s");
        assert_eq!(humanize_seconds(3 * 3600 + 240), "3 h 4 min");
        assert_eq!(humanize_seconds(2 * 86_400 + 3600), "2 d 1 h");
    }
}
