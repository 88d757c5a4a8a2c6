//! The Delivery (DORA) views' parts: the range and report-year controls, the five metrics with
//! the counts behind each, the weekly trends, the deployments, breakdown and incidents tables,
//! and the links that download each table. Shared by an entity's tab, a group's (team) tab and the
//! organisation's page.

pub mod controls;
pub mod incidents;
pub mod summary;
pub mod tables;
pub mod trends;

use crate::api::catalog::encode;
use crate::components::humanize_seconds;

/// Whose metrics a view shows, as the API and exports are asked for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewScope {
    Entity(String),
    Group(String),
    Organisation,
}

impl ViewScope {
    /// `entity=…`, `group=…` or nothing.
    fn param(&self) -> String {
        match self {
            ViewScope::Entity(r) => format!("entity={}&", encode(r)),
            ViewScope::Group(r) => format!("group={}&", encode(r)),
            ViewScope::Organisation => String::new(),
        }
    }

    /// Where table `table` of this view downloads as `format` (csv, json), for exactly the range
    /// shown.
    pub fn export_href(&self, table: &str, format: &str, (from_ms, to_ms): (i64, i64)) -> String {
        format!(
            "/api/dora/export/{table}.{format}?{}from={}&to={}&interval=week",
            self.param(),
            encode(&delivery::export::rfc3339(from_ms)),
            encode(&delivery::export::rfc3339(to_ms)),
        )
    }
}

/// Seconds as people read them ("3 h 4 min"); "—" for none.
pub fn duration(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "—".into(), |s| humanize_seconds(s.max(0.0).round() as u64))
}

/// `part / whole` in percent with one decimal ("17.4%"); "—" without a whole.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// A count with its noun, singular or plural.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A week's label: its first day, `03-03`.
pub fn week_label(start_ms: i64) -> String {
    let t = catalog::time::UtcTime::from_unix_ms(start_ms);
    format!("{:02}-{:02}", t.month, t.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_with_their_evidence() {
        assert_eq!(percent(4, 23), "17.4%");
        assert_eq!(percent(0, 0), "—");
        assert_eq!(count(1, "deployment", "deployments"), "1 deployment");
        assert_eq!(count(2, "deployment", "deployments"), "2 deployments");
        assert_eq!(duration(Some(3725.0)), "1 h 2 min");
        assert_eq!(duration(None), "—");
        assert_eq!(week_label(1_740_960_000_000), "03-03");
    }

    #[test]
    fn exports_ask_for_the_range_shown() {
        let scope = ViewScope::Entity("component:default/shop".into());
        assert_eq!(
            scope.export_href("deployments", "csv", (1_740_960_000_000, 1_741_046_400_000)),
            "/api/dora/export/deployments.csv?entity=component%3Adefault%2Fshop&from=2025-03-03T00%3A00%3A00Z&to=2025-03-04T00%3A00%3A00Z&interval=week"
        );
        assert!(
            ViewScope::Organisation
                .export_href("breakdown", "json", (0, 1))
                .starts_with("/api/dora/export/breakdown.json?from=")
        );
    }
}
