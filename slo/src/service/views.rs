//! One SLO whole (`detail`: its report, its burn along the window, its production deploys with
//! the budget each burned) and the problems of SLO files, computed from stored buckets. Lists
//! are in `list`.

use super::{SloError, Slos};
use crate::budget::report::At;
use crate::budget::{Report, Span, report, span_at, timeline};
use crate::model::Slo;
use crate::promql::BUCKET_SECONDS;
use crate::store::{DefinitionRow, ProblemRow};
use crate::view::Figures;
pub use crate::view::{DeployMarker, Detail, Summary};

/// Burn rates reach 3 days back, whatever the window.
const BURN_REACH: i64 = 3 * 86_400;

impl Slos {
    /// One SLO's report, burn-down, burn timeline and deploy markers at `now`.
    pub async fn detail(&self, id: &str, now: i64) -> Result<Detail, SloError> {
        let row = self
            .store
            .definition(id)
            .await?
            .ok_or_else(|| SloError::NotFound(id.to_string()))?;
        let slo = Slos::parse(&row)?;
        // One read for the report (burn rates reach 3 days back), the markers and the timeline.
        let span = span_at(&slo.window, now, BUCKET_SECONDS)
            .map_err(|e| SloError::Input(format!("SLO `{id}`: its window cannot be placed: {e}")))?;
        let buckets = self
            .store
            .buckets(&row.id, span.start.min(span.end - BURN_REACH), span.end)
            .await?;
        let report = report(&slo, &buckets, self.at(&row, &span, now))
            .map_err(|e| SloError::Input(format!("SLO `{id}`: {e}")))?;
        let deploys = self
            .store
            .deploys(
                &row.entity,
                (span.start, span.end),
                &self.settings.environments,
                self.settings.max_deploys,
            )
            .await?;
        let allowed = report.budget.allowed;
        let markers = deploys
            .iter()
            .enumerate()
            .map(|(i, deploy)| {
                let next = deploys.get(i + 1).map_or(span.end, |d| d.at);
                let from = deploy.at.div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
                let to = next.div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
                let bad = buckets.sum(from, to).bad();
                DeployMarker {
                    deploy: deploy.clone(),
                    until_seconds: next - deploy.at,
                    bad,
                    burned: (allowed > 0.0).then(|| bad / allowed),
                }
            })
            .collect();
        let burn = timeline(&buckets, span.start, span.end, self.settings.series_step, slo.objective);
        let places = self.places(std::slice::from_ref(&row.entity)).await?;
        let place = places.get(&row.entity).cloned().unwrap_or_default();
        Ok(Detail {
            summary: summary(&row, &slo, Figures::of(Some(&report), now), place),
            slo,
            report,
            burn,
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
        Ok(report(slo, &buckets, self.at(row, &span, now)).ok())
    }

    fn at(&self, row: &DefinitionRow, span: &Span, now: i64) -> At {
        At {
            now,
            // Before the first sync Cairn holds nothing: the whole window is short of history.
            oldest_sample: Some(row.oldest_sample.unwrap_or(span.end)),
            series_step: self.settings.series_step,
        }
    }
}

/// Where an SLO's entity sits in the catalog: its owner and its system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Place {
    pub owner: Option<String>,
    pub system: Option<String>,
}

pub(super) fn summary(row: &DefinitionRow, slo: &Slo, figures: Figures, place: Place) -> Summary {
    Summary {
        id: row.id.clone(),
        entity: row.entity.clone(),
        name: slo.name.clone(),
        display_name: slo.display_name.clone(),
        file: row.file.clone(),
        belongs_by: row.belongs_by.clone(),
        objective: slo.objective,
        window: slo.window.clone(),
        owner: place.owner,
        system: place.system,
        figures,
        synced_to: row.synced_to,
        sync_error: row.sync_error.clone(),
    }
}
