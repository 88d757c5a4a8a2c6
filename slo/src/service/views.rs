//! What the API and pages show: a summary per SLO (for lists, worst first) and one SLO's whole
//! report with its deploy markers, computed from stored buckets.

use serde::Serialize;

use super::{SloError, Slos};
use crate::budget::report::At;
use crate::budget::{AlertLevel, Report, report, span_at};
use crate::model::Slo;
use crate::promql::BUCKET_SECONDS;
use crate::store::{DefinitionRow, Deploy, ProblemRow};

/// Burn rates reach 3 days back, whatever the window.
const BURN_REACH: i64 = 3 * 86_400;

/// Which SLOs a list covers.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub entity: Option<String>,
    /// A group (or user): SLOs of the entities it owns.
    pub owner: Option<String>,
}

/// One SLO in a list.
#[derive(Clone, Debug, Serialize)]
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
    pub sli: Option<f64>,
    /// Remaining budget as a fraction (1 untouched, 0 spent, below 0 overspent).
    pub remaining: Option<f64>,
    /// About how many more bad events (or slices) the window can take at current traffic.
    pub left: Option<f64>,
    pub burn_rate_1h: Option<f64>,
    pub alert: Option<AlertLevel>,
    pub exhaustion_seconds: Option<i64>,
    pub short_history: bool,
    /// Buckets are stored up to here (unix seconds); `None` before the first sync.
    pub synced_to: Option<i64>,
    pub sync_error: Option<String>,
}

/// A deploy on the budget: the budget burned from it to the next deploy (or the window's end).
#[derive(Clone, Debug, Serialize)]
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
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    pub summary: Summary,
    pub slo: Slo,
    pub report: Report,
    pub deploys: Vec<DeployMarker>,
}

impl Slos {
    /// The SLOs `filter` covers with their figures at `now`, out of budget and burning fastest first.
    pub async fn list(&self, filter: &ListFilter, now: i64) -> Result<Vec<Summary>, SloError> {
        let entities = match (&filter.entity, &filter.owner) {
            (Some(entity), _) => Some(vec![entity.to_lowercase()]),
            (None, Some(owner)) => Some(self.owned_by(owner).await?),
            (None, None) => None,
        };
        let rows = self.store.definitions(entities.as_deref()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let slo = Slos::parse(row)?;
            let report = self.report_of(row, &slo, now).await?;
            out.push(summary(row, &slo, report.as_ref()));
        }
        out.sort_by(|a, b| {
            let key = |s: &Summary| (s.remaining.unwrap_or(f64::INFINITY), -s.burn_rate_1h.unwrap_or(0.0));
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// One SLO's report, burn-down and deploy markers at `now`.
    pub async fn detail(&self, id: &str, now: i64) -> Result<Detail, SloError> {
        let row = self
            .store
            .definition(id)
            .await?
            .ok_or_else(|| SloError::NotFound(id.to_string()))?;
        let slo = Slos::parse(&row)?;
        let report = self
            .report_of(&row, &slo, now)
            .await?
            .ok_or_else(|| SloError::Input(format!("SLO `{id}`: its window cannot be placed")))?;
        let span = report.span;
        let deploys = self
            .store
            .deploys(&row.entity, span.start, span.end, self.settings.max_deploys)
            .await?;
        let buckets = self.store.buckets(&row.id, span.start, span.end).await?;
        let mut markers = Vec::with_capacity(deploys.len());
        for (i, deploy) in deploys.iter().enumerate() {
            let next = deploys.get(i + 1).map_or(span.end, |d| d.at);
            let from = deploy.at.div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
            let to = next.div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
            let bad = buckets.sum(from, to).bad();
            let allowed = report.budget.allowed;
            markers.push(DeployMarker {
                deploy: deploy.clone(),
                until_seconds: next - deploy.at,
                bad,
                burned: (allowed > 0.0).then(|| bad / allowed),
            });
        }
        Ok(Detail {
            summary: summary(&row, &slo, Some(&report)),
            slo,
            report,
            deploys: markers,
        })
    }

    /// The problems of the SLO files an entity lists (every one without an entity).
    pub async fn problems(&self, entity: Option<&str>) -> Result<Vec<ProblemRow>, SloError> {
        Ok(self.store.problems(entity.map(str::to_lowercase).as_deref()).await?)
    }

    /// The report of one SLO at `now` over its stored buckets; `None` when its window cannot be placed.
    pub(super) async fn report_of(&self, row: &DefinitionRow, slo: &Slo, now: i64) -> Result<Option<Report>, SloError> {
        let Ok(span) = span_at(&slo.window, now, BUCKET_SECONDS) else {
            return Ok(None);
        };
        let from = span.start.min(span.end - BURN_REACH);
        let buckets = self.store.buckets(&row.id, from, span.end).await?;
        let at = At {
            now,
            // Before the first sync Cairn holds nothing: the whole window is short of history.
            oldest_sample: Some(row.oldest_sample.unwrap_or(span.end)),
            series_step: self.settings.series_step,
        };
        Ok(report(slo, &buckets, at).ok())
    }

    /// The entities `owner` owns (directly, as their `ownedBy`).
    async fn owned_by(&self, owner: &str) -> Result<Vec<String>, SloError> {
        let owner = catalog::model::entity_ref::EntityRef::parse(owner, Some("group"), "default")
            .map_err(|e| SloError::Input(format!("owner: {e}")))?
            .to_string()
            .to_lowercase();
        let rows = self.store.definitions(None).await?;
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for row in rows {
            if seen.insert(row.entity.clone()) {
                let owners = self.store.catalog().owners_of(&row.entity).await?;
                if owners.iter().any(|o| o.to_lowercase() == owner) {
                    out.push(row.entity);
                }
            }
        }
        Ok(out)
    }
}

fn summary(row: &DefinitionRow, slo: &Slo, report: Option<&Report>) -> Summary {
    Summary {
        id: row.id.clone(),
        entity: row.entity.clone(),
        name: slo.name.clone(),
        display_name: slo.display_name.clone(),
        file: row.file.clone(),
        belongs_by: row.belongs_by.clone(),
        objective: slo.objective,
        window: slo.window.clone(),
        sli: report.and_then(|r| r.sli),
        remaining: report.and_then(|r| r.budget.remaining),
        left: report.and_then(|r| r.budget.left),
        burn_rate_1h: report.and_then(|r| r.burn_rates.iter().find(|b| b.seconds == 3_600).and_then(|b| b.rate)),
        alert: report.and_then(|r| r.alerts.firing),
        exhaustion_seconds: report.and_then(|r| r.exhaustion_seconds),
        short_history: report.is_none_or(|r| r.short_history),
        synced_to: row.synced_to,
        sync_error: row.sync_error.clone(),
    }
}
