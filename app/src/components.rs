//! Views shared by several pages.

pub mod entity;
pub mod entity_link;
pub mod entity_table;
pub mod error_page;
pub mod header;
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

#[cfg(test)]
mod tests {
    use super::humanize_seconds;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(humanize_seconds(5), "5 s");
        assert_eq!(humanize_seconds(125), "2 min 5 s");
        assert_eq!(humanize_seconds(3 * 3600 + 240), "3 h 4 min");
        assert_eq!(humanize_seconds(2 * 86_400 + 3600), "2 d 1 h");
    }
}
