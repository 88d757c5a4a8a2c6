//! What the Cost pages read (`app::api::cost::CostSource`, put in the pages' context): the
//! history summed by the database (`cost::store::Store::grouped`), priced with the settings'
//! prices, the rollout history for an entity's markers, built into the pages' view model by
//! `cost::view`.

use std::sync::Arc;

use app::api::cost::{BoxedFuture, CostSource, EntityCost, Lines};
use catalog::store::now_ms;
use cost::allocation::Aggregate;
use cost::idle::IdleShare;
use cost::report::Policy;
use cost::settings::CostSettings;
use cost::store::{Grain, Grouping, Only, Store};
use cost::view::rollout::Rollout;

const DAY: i64 = 86_400_000;

/// Most rollouts of one entity read for its markers.
const MAX_ROLLOUTS: u32 = 500;

/// The pages' reads over the cost history and the rollout history.
pub struct CostViews {
    pub cost: Arc<Store>,
    pub settings: Arc<CostSettings>,
    pub rollouts: Arc<deployments::store::Store>,
}

fn today() -> i64 {
    now_ms().div_euclid(DAY) * DAY
}

fn failed(e: impl std::fmt::Display) -> String {
    tracing::error!(error = %e, "cost page failure");
    "the cost history could not be read; the error has been logged".to_string()
}

/// Daily rows over the `days` whole days before today and today.
fn grouping(aggregate: Aggregate, days: u32, only: Only, per_bucket: bool) -> Grouping {
    let today = today();
    Grouping {
        aggregate,
        grain: Grain::Day,
        from_ms: today - i64::from(days) * DAY,
        to_ms: today + DAY,
        per_bucket,
        only,
        shared_namespaces: Vec::new(),
    }
}

impl CostViews {
    async fn lines(&self, grouping: Grouping, policy: Policy, keep: Option<Vec<String>>) -> Result<Lines, String> {
        let prices = &self.settings.prices;
        let costs = self.cost.grouped(&grouping, prices).await.map_err(failed)?;
        let mut clusters: Vec<String> = costs.iter().map(|c| c.cluster.clone()).collect();
        clusters.sort();
        clusters.dedup();
        // Idle and unmounted volumes are a cluster's: only an unrestricted read has them.
        let reserved = keep.is_none() && grouping.only == Only::Everything;
        let mut lines = cost::view::lines::build(
            &prices.currency,
            grouping.from_ms,
            grouping.to_ms.min(now_ms()),
            costs,
            &policy,
            reserved,
        );
        if let Some(keep) = keep {
            lines.lines.retain(|l| keep.binary_search(&l.key).is_ok());
        }
        lines.meters = self
            .cost
            .meters(&clusters, grouping.grain, grouping.from_ms, grouping.to_ms)
            .await
            .map_err(failed)?;
        Ok(lines)
    }
}

impl CostSource for CostViews {
    fn exists(&self, entity_ref: String) -> BoxedFuture<bool> {
        let cost = self.cost.clone();
        Box::pin(async move { cost.entity_exists(&entity_ref).await.map_err(failed) })
    }

    fn entity(&self, entity_ref: String, days: u32) -> BoxedFuture<EntityCost> {
        let (cost, settings, history) = (self.cost.clone(), self.settings.clone(), self.rollouts.clone());
        Box::pin(async move {
            // The shown days and as many before them (the change, the rollouts' days before).
            let read = grouping(Aggregate::Entity, 2 * days, Only::Entity(entity_ref.clone()), true);
            let costs = cost.grouped(&read, &settings.prices).await.map_err(failed)?;
            let shown_from = today() - i64::from(days) * DAY;
            let rollouts: Vec<Rollout> = history
                .rollouts_of_entity(&entity_ref, MAX_ROLLOUTS)
                .await
                .map_err(failed)?
                .into_iter()
                .filter(|r| r.started_ms >= shown_from)
                .map(|r| Rollout {
                    seq: r.seq,
                    workload: format!(
                        "{}/{}/{}/{}",
                        r.key.cluster,
                        r.key.namespace,
                        r.key.kind.as_str(),
                        r.key.name
                    ),
                    version: r.version,
                    outcome: r.outcome.as_str().to_string(),
                    started_ms: r.started_ms,
                })
                .collect();
            let mut view = cost::view::entity::build(
                &entity_ref,
                &settings.prices.currency,
                days,
                today(),
                &costs,
                &rollouts,
                settings.rollout_days,
            );
            // What measured usage where it ran, over the days shown.
            let mut clusters: Vec<String> = costs
                .iter()
                .filter(|c| c.window.start.timestamp_millis() >= shown_from)
                .map(|c| c.cluster.clone())
                .collect();
            clusters.sort();
            clusters.dedup();
            view.meters = cost
                .meters(&clusters, Grain::Day, shown_from, today() + DAY)
                .await
                .map_err(failed)?;
            Ok(view)
        })
    }

    fn team(&self, group_ref: String, days: u32) -> BoxedFuture<Lines> {
        let views = self.clone_refs();
        Box::pin(async move {
            let owned = views.cost.owned_by(&group_ref).await.map_err(failed)?;
            // The whole organisation, idle shared out by weight: the team's rows carry their share.
            let read = grouping(Aggregate::Entity, days, Only::Everything, false);
            let policy = Policy {
                idle: IdleShare::Weighted,
                ..Policy::default()
            };
            views.lines(read, policy, Some(owned)).await
        })
    }

    fn explore(&self, by: String, key: Option<String>, days: u32) -> BoxedFuture<Lines> {
        let views = self.clone_refs();
        Box::pin(async move {
            let by = Aggregate::parse(&by).ok_or_else(|| format!("by: `{by}` is not a grouping"))?;
            let read = match key {
                // One value's entities; '' is the containers with no value.
                Some(key) => {
                    let value = if key == cost::allocation::UNALLOCATED {
                        String::new()
                    } else {
                        key
                    };
                    grouping(Aggregate::Entity, days, Only::Key(by, value), false)
                }
                None => grouping(by, days, Only::Everything, false),
            };
            views.lines(read, Policy::default(), None).await
        })
    }

    fn unallocated(&self, days: u32) -> BoxedFuture<Lines> {
        let views = self.clone_refs();
        Box::pin(async move {
            let read = grouping(
                Aggregate::Workload,
                days,
                Only::Key(Aggregate::Entity, String::new()),
                false,
            );
            let mut lines = views.lines(read, Policy::default(), None).await?;
            lines
                .lines
                .retain(|l| !l.reserved() || l.key == cost::allocation::UNALLOCATED);
            Ok(lines)
        })
    }

    fn prices(&self) -> cost::prices::PriceSettings {
        self.settings.prices.clone()
    }
}

impl CostViews {
    fn clone_refs(&self) -> CostViews {
        CostViews {
            cost: self.cost.clone(),
            settings: self.settings.clone(),
            rollouts: self.rollouts.clone(),
        }
    }
}
