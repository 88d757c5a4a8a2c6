//! The Cost views' parts: the daily chart by resource type with rollout markers
//! (`daily_chart`), figures expanded to quantity × hours × rate (`figures`), the rows of a team
//! or the organisation with their drill-down (`lines_table`), the range links (`controls`), and
//! the scaffolder preview's monthly estimate of a new service's requests (`estimate`).

pub mod controls;
pub mod daily_chart;
pub mod estimate;
pub mod figures;
pub mod lines_table;

use cost::model::Money;

/// `USD 12.34`.
pub fn money(m: Money, currency: &str) -> String {
    m.display(currency)
}

/// `+32%`, `−5%`, or `n/a`.
pub fn change(change: Option<f64>) -> String {
    match change {
        Some(c) if c.abs() < 0.005 => "no change (within 0.5%)".to_string(),
        Some(c) if c >= 0.0 => format!("+{:.0}%", c * 100.0),
        Some(c) => format!("−{:.0}%", -c * 100.0),
        None => "no earlier cost to compare".to_string(),
    }
}

/// `42%` usage over request, or why it is unknown.
pub fn efficiency(e: Option<f64>) -> String {
    e.map(|e| format!("{:.0}%", e * 100.0))
        .unwrap_or_else(|| "unknown (no usage measured)".to_string())
}

/// `2025-01-31` for a UTC day's midnight.
pub fn day(ms: i64) -> String {
    cost::view::day_label(ms)
}
