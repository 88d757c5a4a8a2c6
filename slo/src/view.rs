//! What the API and pages show of SLOs, shared by the server and the pages (compiles to wasm):
//! a summary per SLO for lists, one SLO whole with its burn along the window and its deploys.

use serde::{Deserialize, Serialize};

use crate::budget::{AlertLevel, RatePoint, Report};
use crate::model::Slo;

/// One SLO in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub id: String,
    pub entity: String,
    pub name: String,
    pub display_name: Option<String>,
    pub file: String,
    pub belongs_by: String,
    pub objective: f64,
    pub window: crate::model::Window,
    /// The owner and system of its entity (`ownedBy`, `partOf` a System), for filters.
    pub owner: Option<String>,
    pub system: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
    /// Buckets are stored up to here (unix seconds); `None` before the first sync.
    pub synced_to: Option<i64>,
    pub sync_error: Option<String>,
}

/// One SLO's figures at a moment (`at`): kept per SLO by the sync loop, so lists read a row each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// Unix seconds the figures are of.
    #[serde(rename = "figuresAt")]
    pub at: i64,
    pub sli: Option<f64>,
    /// Remaining budget as a fraction (1 untouched, 0 spent, below 0 overspent).
    pub remaining: Option<f64>,
    /// About how many more bad events (or slices) the window can take at current traffic.
    pub left: Option<f64>,
    pub burn_rate_1h: Option<f64>,
    pub alert: Option<AlertLevel>,
    pub exhaustion_seconds: Option<i64>,
    /// Prometheus (or Cairn) holds less history than the window so far.
    pub short_history: bool,
}

impl Figures {
    /// The figures of `report` (none: the window cannot be placed) at `at`.
    pub fn of(report: Option<&Report>, at: i64) -> Figures {
        Figures {
            at,
            sli: report.and_then(|r| r.sli),
            remaining: report.and_then(|r| r.budget.remaining),
            left: report.and_then(|r| r.budget.left),
            burn_rate_1h: report.and_then(|r| r.burn_rates.iter().find(|b| b.seconds == 3_600).and_then(|b| b.rate)),
            alert: report.and_then(|r| r.alerts.firing),
            exhaustion_seconds: report.and_then(|r| r.exhaustion_seconds),
            short_history: report.is_none_or(|r| r.short_history),
        }
    }
}

/// A deploy on the budget: the budget burned from it to the next deploy (or the window's end).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployMarker {
    #[serde(flatten)]
    pub deploy: Deploy,
    /// Seconds until the next deploy or the end of the window.
    pub until_seconds: i64,
    /// Bad events (or slices) in that stretch.
    pub bad: f64,
    /// Their share of the window's whole budget (0.38: 38%).
    pub burned: Option<f64>,
}

/// One SLO, whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    pub summary: Summary,
    pub slo: Slo,
    pub report: Report,
    /// The burn rate along the window, every `series_step` (the burn-down's spacing).
    pub burn: Vec<RatePoint>,
    pub deploys: Vec<DeployMarker>,
}

/// A deploy of an entity: a rollout the history recorded, or a deployment CI reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deploy {
    /// `rollout` or `reported`.
    pub source: String,
    /// Unix seconds.
    pub at: i64,
    pub version: String,
    /// completed, failed, rolled-back (rollouts); succeeded, failed (reported).
    pub outcome: String,
    /// The workload (`cluster/namespace/Kind/name`) or the environment.
    pub target: String,
}
