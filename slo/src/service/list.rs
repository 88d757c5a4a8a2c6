//! Lists of SLOs, out of budget and burning fastest first: every SLO, an entity's, or those of
//! an owner's or a system's entities. Figures come from `slo_summaries` (kept by the sync loop:
//! one row per SLO, one statement for all), computed from buckets only for an SLO whose stored
//! figures are missing or were computed for another version of its definition.

use std::collections::{BTreeSet, HashMap};

use catalog::model::entity_ref::EntityRef;

use super::views::{Place, summary};
use super::{SloError, Slos};
use crate::store::{DefinitionRow, digest};
use crate::view::{Figures, Summary};

/// Which SLOs a list covers (every one given must hold).
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub entity: Option<String>,
    /// A group (or user): SLOs of the entities it owns (`ownedBy`).
    pub owner: Option<String>,
    /// A system: SLOs of the entities that are part of it.
    pub system: Option<String>,
}

impl Slos {
    /// The SLOs `filter` covers with their figures (as of their last sync, or at `now` when none
    /// is stored), out of budget and burning fastest first.
    pub async fn list(&self, filter: &ListFilter, now: i64) -> Result<Vec<Summary>, SloError> {
        let owner = filter
            .owner
            .as_deref()
            .map(|o| reference(o, "group", "owner"))
            .transpose()?;
        let system = filter
            .system
            .as_deref()
            .map(|s| reference(s, "system", "system"))
            .transpose()?;
        let entity = filter.entity.as_ref().map(|e| vec![e.to_lowercase()]);
        let rows = self.store.definitions(entity.as_deref()).await?;
        let entities: Vec<String> = rows
            .iter()
            .map(|r| r.entity.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let places = self.places(&entities).await?;
        let keep = |p: &Place| {
            owner.as_ref().is_none_or(|o| p.owner.as_ref() == Some(o))
                && system.as_ref().is_none_or(|s| p.system.as_ref() == Some(s))
        };
        let rows: Vec<(&DefinitionRow, Place)> = rows
            .iter()
            .map(|r| (r, places.get(&r.entity).cloned().unwrap_or_default()))
            .filter(|(_, p)| keep(p))
            .collect();
        let ids: Vec<String> = rows.iter().map(|(r, _)| r.id.clone()).collect();
        let mut stored = self.store.figures(&ids).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (row, place) in rows {
            let slo = Slos::parse(row)?;
            let figures = match stored.remove(&row.id) {
                Some(s) if s.digest == digest(&row.definition) => s.figures,
                _ => Figures::of(self.report_of(row, &slo, now).await?.as_ref(), now),
            };
            out.push(summary(row, &slo, figures, place));
        }
        out.sort_by(|a, b| {
            let key = |s: &Summary| {
                (
                    s.figures.remaining.unwrap_or(f64::INFINITY),
                    -s.figures.burn_rate_1h.unwrap_or(0.0),
                )
            };
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// Computes and stores the figures of `id` at `now` (after each sync).
    pub(super) async fn refresh_figures(&self, id: &str, now: i64) -> Result<(), SloError> {
        let Some(row) = self.store.definition(id).await? else {
            return Ok(());
        };
        let slo = Slos::parse(&row)?;
        let figures = Figures::of(self.report_of(&row, &slo, now).await?.as_ref(), now);
        self.store.store_figures(id, &digest(&row.definition), &figures).await?;
        Ok(())
    }

    /// The owner (`ownedBy`) and system (`partOf` a System) of each of `entities`, read in one
    /// statement per 500 entities.
    pub(super) async fn places(&self, entities: &[String]) -> Result<HashMap<String, Place>, SloError> {
        let relations = self.store.catalog().relations_of(entities).await?;
        let mut out = HashMap::with_capacity(entities.len());
        for (entity, list) in relations {
            let mut place = Place::default();
            for (kind, target) in list {
                match kind.as_str() {
                    "ownedBy" if place.owner.is_none() => place.owner = Some(target.to_lowercase()),
                    "partOf" if place.system.is_none() && target.to_lowercase().starts_with("system:") => {
                        place.system = Some(target.to_lowercase())
                    }
                    _ => {}
                }
            }
            out.insert(entity.to_lowercase(), place);
        }
        Ok(out)
    }
}

/// `text` as a lower-case entity reference of `kind` by default; the error names `field`.
fn reference(text: &str, kind: &str, field: &str) -> Result<String, SloError> {
    EntityRef::parse(text.trim(), Some(kind), "default")
        .map(|r| r.to_string().to_lowercase())
        .map_err(|e| SloError::Input(format!("{field}: {e}")))
}
