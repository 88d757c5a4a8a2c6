//! One model for every SLO, whichever file format it was written in: what it measures (good and
//! total events, as PromQL), the objective, the window, how the budget is counted and how it
//! alerts. Serialises to plain JSON for the API (camelCase, tagged enums).

use std::collections::BTreeMap;

use catalog::model::entity_ref::EntityRef;
use serde::{Deserialize, Serialize};

/// The file format an SLO was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Format {
    /// `apiVersion: openslo/v1`, kind `SLO`.
    OpenSlo,
    /// Sloth's `version: prometheus/v1` service file.
    Sloth,
    /// Sloth's `PrometheusServiceLevel` (`sloth.slok.dev/v1`).
    SlothKubernetes,
    /// Pyrra's `ServiceLevelObjective` (`pyrra.dev/v1alpha1`).
    Pyrra,
}

/// A service-level objective, normalised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slo {
    /// Unique within a file and stable across reads: `<service or namespace>/<name>`.
    pub id: String,
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub format: Format,
    /// Sloth's `service`, OpenSLO's `spec.service`, Pyrra's `pyrra.dev/service` label.
    pub service: Option<String>,
    /// The entity the file says the SLO belongs to (`cairn.dev/entity`); see [`crate::belong`].
    pub entity: Option<EntityRef>,
    /// The target as a fraction of good events (or good slices): 0.999 for 99.9%.
    pub objective: f64,
    pub window: Window,
    pub budgeting: Budgeting,
    pub indicator: Indicator,
    pub alerting: Alerting,
    /// Labels the definition gives its series and alerts.
    pub labels: BTreeMap<String, String>,
    /// OpenSLO `metricSourceRef` / DataSource name, when the definition names one.
    pub data_source: Option<String>,
    /// Where the definition was written (set when read from a file).
    pub origin: Option<Origin>,
}

/// The file, document and line an SLO comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    pub file: String,
    /// 0-based position of the YAML document in the file.
    pub document: usize,
    /// 1-based line of the SLO's definition.
    pub line: usize,
}

/// Over which stretch of time the objective holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Window {
    /// The last `seconds`, moving with time.
    #[serde(rename_all = "camelCase")]
    Rolling { seconds: i64 },
    /// Fixed periods starting at `anchor` (local time in `zone`), each `count` × `unit` long;
    /// the budget is whole again at the start of each.
    #[serde(rename_all = "camelCase")]
    Calendar {
        unit: CalendarUnit,
        count: u32,
        /// Local date and time of a period start, `YYYY-MM-DDTHH:MM:SS`.
        anchor: chrono::NaiveDateTime,
        /// IANA name (`Europe/Paris`) or `UTC`.
        zone: String,
    },
}

/// The length unit of a calendar window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CalendarUnit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// How good and bad are counted against the objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "camelCase")]
pub enum Budgeting {
    /// Good events over all events.
    Occurrences,
    /// Good slices over all slices with events; a slice is good when its own good/total ratio
    /// reaches `slice_target`.
    #[serde(rename_all = "camelCase")]
    Timeslices { slice_seconds: i64, slice_target: f64 },
    /// The mean of the slices' ratios (OpenSLO's definition: each slice weighs the same).
    #[serde(rename_all = "camelCase")]
    RatioTimeslices { slice_seconds: i64 },
}

/// What is measured, as PromQL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Indicator {
    /// Two event counts: good (or bad) and total.
    #[serde(rename_all = "camelCase")]
    Ratio {
        numerator: Numerator,
        /// The good or bad events' query, as written.
        events: Query,
        total: Query,
    },
    /// A gauge compared with a threshold: each sample is an event, good when `value op threshold`.
    #[serde(rename_all = "camelCase")]
    Threshold {
        query: Query,
        op: Comparison,
        threshold: f64,
    },
    /// A 0/1 gauge (Pyrra's `bool_gauge`): each sample is an event, good when 1.
    #[serde(rename_all = "camelCase")]
    BoolGauge { query: Query },
}

/// Whether a ratio's numerator counts good or bad events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Numerator {
    Good,
    Bad,
}

/// A PromQL query as the definition wrote it, and how it counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Query {
    pub promql: String,
    pub form: QueryForm,
}

/// The shapes of query the definitions use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QueryForm {
    /// A counter selector (`http_requests_total{code="500"}`), or `sum(...)` of one.
    Counter,
    /// A Sloth template with `{{.window}}`: a per-second rate over the window.
    WindowRate,
    /// A Sloth template with `{{.window}}`: a count over the window (`increase`, `count_over_time`).
    WindowCount,
    /// A gauge sampled as it is (thresholds, bool gauges).
    Gauge,
}

/// `lt`, `lte`, `gt`, `gte`, as OpenSLO writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Comparison {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Comparison {
    /// The PromQL operator.
    pub fn promql(self) -> &'static str {
        match self {
            Comparison::Lt => "<",
            Comparison::Lte => "<=",
            Comparison::Gt => ">",
            Comparison::Gte => ">=",
        }
    }
}

/// How the SLO alerts, as far as the definition says.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alerting {
    /// Alert name (Sloth's and Pyrra's `alerting.name`).
    pub name: Option<String>,
    /// False when the definition turns alerts off.
    pub enabled: bool,
    /// Labels of page-level alerts (Sloth's `page_alert.labels`).
    pub page_labels: BTreeMap<String, String>,
    /// Labels of ticket-level alerts.
    pub ticket_labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// OpenSLO's burn-rate conditions, inline or referenced through an AlertPolicy.
    pub conditions: Vec<BurnCondition>,
}

/// One OpenSLO `AlertCondition` of kind `burnrate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BurnCondition {
    pub name: Option<String>,
    pub severity: String,
    pub op: Comparison,
    pub threshold: f64,
    pub lookback_seconds: i64,
    pub alert_after_seconds: i64,
}
