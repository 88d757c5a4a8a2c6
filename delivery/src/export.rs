//! The Delivery pages' tables as data to download: deployments, the series, the breakdown and
//! incidents, each as CSV (RFC 4180, every cell a spreadsheet could run defused) or JSON (an
//! array of objects with the same columns). Pure, so the page and the export cannot disagree on
//! what a column holds.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::model::{IncidentList, Metrics};

/// A table of the Delivery views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Deployments,
    Series,
    Breakdown,
    Incidents,
}

impl Table {
    pub const ALL: [Table; 4] = [Table::Deployments, Table::Series, Table::Breakdown, Table::Incidents];

    pub fn name(self) -> &'static str {
        match self {
            Table::Deployments => "deployments",
            Table::Series => "series",
            Table::Breakdown => "breakdown",
            Table::Incidents => "incidents",
        }
    }

    pub fn parse(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One cell: text, a number, or nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    Empty,
}

impl Cell {
    fn time(ms: i64) -> Cell {
        Cell::Text(rfc3339(ms))
    }

    fn opt_time(ms: Option<i64>) -> Cell {
        ms.map_or(Cell::Empty, Cell::time)
    }

    fn opt_num(n: Option<f64>) -> Cell {
        n.map_or(Cell::Empty, |n| Cell::Num((n * 1000.0).round() / 1000.0))
    }

    fn count(n: u64) -> Cell {
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }

    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn opt_text(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, Cell::text)
    }
}

/// A table's columns and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Rows {
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
}

/// `2025-03-03T09:00:00Z`.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn ratio(part: u64, whole: u64) -> Cell {
    if whole == 0 {
        Cell::Empty
    } else {
        Cell::opt_num(Some(part as f64 / whole as f64))
    }
}

/// The table `table` of `metrics` (deployments, series, breakdown) or of `incidents`.
pub fn rows(table: Table, metrics: &Metrics, incidents: Option<&IncidentList>) -> Rows {
    match table {
        Table::Deployments => deployments(metrics),
        Table::Series => series(metrics),
        Table::Breakdown => breakdown(metrics),
        Table::Incidents => incident_rows(incidents),
    }
}

fn deployments(metrics: &Metrics) -> Rows {
    let rows = metrics
        .deployments
        .iter()
        .map(|d| {
            let changes = d.changes.as_ref();
            vec![
                Cell::text(&d.id),
                Cell::text(&d.entity),
                Cell::text(&d.version),
                Cell::opt_text(d.commit.as_deref().or(changes.and_then(|c| c.commit.as_deref()))),
                Cell::time(d.started_ms),
                Cell::time(d.finished_ms),
                Cell::text(if d.failed() { "failed" } else { "succeeded" }),
                Cell::text(d.failures.iter().map(|f| f.text()).collect::<Vec<_>>().join("; ")),
                Cell::text(d.rework.iter().map(|r| r.text()).collect::<Vec<_>>().join("; ")),
                Cell::opt_time(d.recovered_ms),
                Cell::opt_text(d.recovered_by.as_deref()),
                Cell::opt_num(d.recovered_ms.map(|r| (r - d.finished_ms) as f64 / 1000.0)),
                // Unknown changes are not zero changes.
                changes
                    .filter(|c| c.unknown.is_none())
                    .map_or(Cell::Empty, |c| Cell::count(c.changes)),
                Cell::opt_num(changes.and_then(|c| c.lead_time_median_seconds)),
                Cell::opt_text(changes.and_then(|c| c.unknown.as_deref())),
            ]
        })
        .collect();
    Rows {
        columns: &[
            "id",
            "entity",
            "version",
            "commit",
            "startedAt",
            "finishedAt",
            "status",
            "failureReasons",
            "reworkReasons",
            "recoveredAt",
            "recoveredBy",
            "recoverySeconds",
            "changes",
            "leadTimeMedianSeconds",
            "changesUnknown",
        ],
        rows,
    }
}

fn series(metrics: &Metrics) -> Rows {
    let rows = metrics
        .series
        .iter()
        .map(|b| {
            vec![
                Cell::time(b.start_ms),
                Cell::time(b.end_ms),
                Cell::count(b.deployments),
                Cell::count(b.failed),
                ratio(b.failed, b.deployments),
                Cell::count(b.rework),
                Cell::count(b.recovered),
                Cell::opt_num(b.recovery_median_seconds),
                Cell::count(b.changes),
                Cell::opt_num(b.lead_time_median_seconds),
            ]
        })
        .collect();
    Rows {
        columns: &[
            "start",
            "end",
            "deployments",
            "failed",
            "changeFailureRate",
            "rework",
            "recovered",
            "recoveryMedianSeconds",
            "changes",
            "leadTimeMedianSeconds",
        ],
        rows,
    }
}

fn breakdown(metrics: &Metrics) -> Rows {
    let rows = metrics
        .breakdown
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.key),
                Cell::count(r.entities),
                Cell::count(r.deployments),
                Cell::count(r.failed),
                ratio(r.failed, r.deployments),
                Cell::count(r.rework),
                ratio(r.rework, r.deployments),
                Cell::count(r.recovered),
                Cell::opt_num(r.recovery_median_seconds),
                Cell::count(r.changes),
                Cell::opt_num(r.lead_time_median_seconds),
                Cell::count(r.unlinked_incidents),
            ]
        })
        .collect();
    Rows {
        columns: &[
            "key",
            "entities",
            "deployments",
            "failed",
            "changeFailureRate",
            "rework",
            "reworkRate",
            "recovered",
            "recoveryMedianSeconds",
            "changes",
            "leadTimeMedianSeconds",
            "unlinkedIncidents",
        ],
        rows,
    }
}

fn incident_rows(list: Option<&IncidentList>) -> Rows {
    let rows = list
        .map(|l| l.incidents.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|x| {
            vec![
                Cell::text(&x.id),
                Cell::text(&x.source),
                Cell::text(&x.entity),
                Cell::text(&x.title),
                Cell::time(x.started_ms),
                Cell::opt_time(x.resolved_ms),
                Cell::text(x.deployments.join("; ")),
            ]
        })
        .collect();
    Rows {
        columns: &[
            "id",
            "source",
            "entity",
            "title",
            "startedAt",
            "resolvedAt",
            "linkedDeployments",
        ],
        rows,
    }
}

impl Rows {
    /// RFC 4180 CSV with a header line, CRLF line ends.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, cells: Vec<String>| {
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        };
        line(&mut out, self.columns.iter().map(|c| csv_text(c)).collect());
        for row in &self.rows {
            line(&mut out, row.iter().map(csv_cell).collect());
        }
        out
    }

    /// An array of objects keyed by column; numbers stay numbers, empty cells are null.
    pub fn json(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let object: Map<String, Value> = self
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(column, cell)| {
                            let value = match cell {
                                Cell::Text(t) => Value::String(t.clone()),
                                Cell::Int(n) => Value::from(*n),
                                Cell::Num(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
                                Cell::Empty => Value::Null,
                            };
                            ((*column).to_string(), value)
                        })
                        .collect();
                    Value::Object(object)
                })
                .collect(),
        )
    }
}

fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => csv_text(t),
        Cell::Int(n) => n.to_string(),
        Cell::Num(n) => n.to_string(),
        Cell::Empty => String::new(),
    }
}

/// A text cell: one a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return first) gets a leading `'` (OWASP's advice), then quoted when it holds a comma, a quote
/// or a line break, quotes doubled.
pub fn csv_text(text: &str) -> String {
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
    use crate::model::Incident;

    #[test]
    fn text_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("two\nlines"), "\"two\nlines\"");
        assert_eq!(
            csv_text("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_text("+1"), "'+1");
        assert_eq!(csv_text("-2+3"), "'-2+3");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("\tx"), "'\tx");
        assert_eq!(csv_text("\rx"), "\"'\rx\"");
    }

    #[test]
    fn incidents_as_csv_and_json() {
        let list = IncidentList {
            from_ms: 0,
            to_ms: 1,
            incidents: vec![Incident {
                id: "api:INC-1".into(),
                source: "api".into(),
                entity: "component:default/shop".into(),
                title: "=cmd|' /C calc'!A0, \"down\"".into(),
                started_ms: 1_740_960_000_000,
                resolved_ms: None,
                deployments: vec!["d1".into(), "d2".into()],
            }],
            truncated: false,
            limit: 200,
        };
        let rows = incident_rows(Some(&list));
        assert_eq!(
            rows.csv(),
            "id,source,entity,title,startedAt,resolvedAt,linkedDeployments\r\n\
             api:INC-1,api,component:default/shop,\"'=cmd|' /C calc'!A0, \"\"down\"\"\",2025-03-03T00:00:00Z,,d1; d2\r\n"
        );
        assert_eq!(
            rows.json(),
            serde_json::json!([{"id": "api:INC-1", "source": "api", "entity": "component:default/shop",
                "title": "=cmd|' /C calc'!A0, \"down\"", "startedAt": "2025-03-03T00:00:00Z", "resolvedAt": null,
                "linkedDeployments": "d1; d2"}])
        );
        assert_eq!(Table::parse("series"), Some(Table::Series));
        assert_eq!(Table::parse("secrets"), None);
    }
}
