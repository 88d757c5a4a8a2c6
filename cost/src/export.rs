//! The allocation sets as CSV (`/api/cost/export.csv`): one row per window and line, costs in
//! the currency and the quantities behind them in their units, so a spreadsheet can redo every
//! figure. Text cells a spreadsheet would read as a formula are defused as the delivery exports'
//! are (OWASP's advice: a leading `'`).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::allocation::Totals;
use crate::model::{GIB, Money, Window, plain};

/// The header: every column's name with its unit.
pub const COLUMNS: [&str; 18] = [
    "start",
    "end",
    "name",
    "currency",
    "cpuCost",
    "ramCost",
    "gpuCost",
    "pvCost",
    "idleCost",
    "sharedCost",
    "totalCost",
    "cpuCoreHours (vCPU-hours)",
    "ramGiBHours (GiB-hours)",
    "gpuHours (GPU-hours)",
    "pvGiBHours (GiB-hours)",
    "cpuEfficiency (usage/request)",
    "ramEfficiency (usage/request)",
    "usage",
];

/// `sets` (windows and their lines) as CSV, header first.
pub fn csv(currency: &str, sets: &[(Window, BTreeMap<String, Totals>)]) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for (window, lines) in sets {
        for (name, t) in lines {
            let efficiency = |e: Option<f64>| e.map(|e| format!("{e:.4}")).unwrap_or_default();
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{:.4},{:.4},{:.4},{:.4},{},{},{}\r\n",
                window.start.to_rfc3339(),
                window.end.to_rfc3339(),
                text(name),
                text(currency),
                money(t.cpu),
                money(t.memory),
                money(t.gpu),
                money(t.pv),
                money(t.idle),
                money(t.shared),
                money(t.total()),
                t.cpu_core_hours,
                t.ram_byte_hours / GIB,
                t.gpu_hours,
                t.pv_byte_hours / GIB,
                efficiency(t.cpu_efficiency()),
                efficiency(t.ram_efficiency()),
                if t.usage_known { "measured" } else { "requests only" },
            );
        }
    }
    out
}

/// Money to the micro-unit, as the figures are kept.
fn money(m: Money) -> String {
    plain(m.units(), 6)
}

/// A text cell, defused and quoted where needed.
pub fn text(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_units_and_formulas_are_defused() {
        let window = Window::new(
            chrono::DateTime::from_timestamp(1_735_689_600, 0).expect("t"),
            chrono::DateTime::from_timestamp(1_735_776_000, 0).expect("t"),
        );
        let line = Totals {
            cpu: Money::from_units(1.5),
            cpu_core_hours: 48.0,
            ..Default::default()
        };
        let sets = vec![(window, BTreeMap::from([("=HYPERLINK(\"x\")".to_string(), line)]))];
        let csv = csv("USD", &sets);
        let row = csv.lines().nth(1).expect("a row");
        assert!(
            row.starts_with("2025-01-01T00:00:00+00:00,2025-01-02T00:00:00+00:00,\"'=HYPERLINK(\"\"x\"\")\",USD,1.5"),
            "{row}"
        );
        assert!(row.contains(",48.0000,"), "{row}");
        assert!(row.ends_with(",requests only"), "{row}");
        assert_eq!(text("plain"), "plain");
        assert_eq!(text("-1"), "'-1");
    }
}
