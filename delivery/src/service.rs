//! `Delivery`: what the server's handlers call. Reports from CI and Alertmanager are checked and
//! recorded; metrics read each entity's production deployments (rollouts of production clusters
//! and namespaces, and reported deployments of environment `production`) and incidents, and let
//! `crate::metrics` judge them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use catalog::ingest::git::GitSettings;

use crate::DeliveryError;
use crate::alertmanager;
use crate::buckets::{Interval, buckets};
use crate::git::History;
use crate::metrics::{self, Settings};
use crate::model::{AssessedDeployment, Deployment, DeploymentSource, Metrics};
use crate::pulls::Pulls;
use crate::report;
use crate::store::{Among, NewIncident, RolloutRow, Store, Upsert};

mod incidents;
mod incoming;
mod judged;
mod lead_time;
mod suspects;

pub use incidents::MAX_INCIDENTS;
pub use incoming::{DeploymentStatusApplied, PagerDutyApplied};
pub use suspects::{Suspect, SuspectReason, Suspects};

/// How many levels of child groups a group's metrics reach down.
const MAX_GROUP_DEPTH: usize = 10;
/// The environment the metrics are about.
pub const PRODUCTION: &str = "production";
/// How far before a range deployments are read: what ran before it, failures whose rework window
/// reaches into it.
const LOOKBACK_MS: i64 = 30 * 86_400_000;
/// How far after a range deployments are read, to find what remediated its failures.
const HORIZON_MS: i64 = 30 * 86_400_000;
const DAY_MS: i64 = 86_400_000;

/// `dora.environments`: which clusters and namespaces are which environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// Empty: every cluster.
    pub clusters: Vec<String>,
    /// Empty: every namespace.
    pub namespaces: Vec<String>,
    /// GitHub deployment environments that are this one (besides its own name).
    pub github: Vec<String>,
}

impl Environment {
    fn contains(&self, cluster: &str, namespace: &str) -> bool {
        (self.clusters.is_empty() || self.clusters.iter().any(|c| c == cluster))
            && (self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == namespace))
    }
}

/// The `dora:` settings.
#[derive(Clone)]
pub struct DeliverySettings {
    /// None configured: every watched cluster is production.
    pub environments: Vec<Environment>,
    pub rework_window: Duration,
    /// Longest range one metrics request covers.
    pub max_range_days: u32,
    /// The bearer token Alertmanager sends (None: its webhook is off).
    pub alertmanager_token: Option<String>,
    /// The secret PagerDuty signs its v3 webhooks with (None: that webhook is off).
    pub pagerduty_secret: Option<String>,
    /// Where repositories are cloned to read deployments' changes (None: `delivery` inside the
    /// catalog's Git cache).
    pub changes_cache_dir: Option<std::path::PathBuf>,
    /// Most commits read for one deployment's changes.
    pub max_commits: usize,
    /// Repositories read from elsewhere (`dora.changes.mirrors`): the first whose prefix starts
    /// an entity's repository URL replaces that prefix with where it is read from.
    pub mirrors: Vec<crate::changes::Mirror>,
    /// Most judged deployments kept in memory over all entities (0: none kept).
    pub cache_deployments: usize,
    /// How long judged deployments are kept at most (what is not in the database, such as Git
    /// history and repository annotations, is read again after it).
    pub cache_ttl: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            environments: Vec::new(),
            rework_window: Duration::from_secs(24 * 3600),
            max_range_days: 400,
            alertmanager_token: None,
            pagerduty_secret: None,
            changes_cache_dir: None,
            max_commits: 1000,
            mirrors: Vec::new(),
            cache_deployments: 500_000,
            cache_ttl: Duration::from_secs(600),
        }
    }
}

impl std::fmt::Debug for DeliverySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverySettings")
            .field("environments", &self.environments)
            .field("rework_window", &self.rework_window)
            .field("max_range_days", &self.max_range_days)
            .field("changes_cache_dir", &self.changes_cache_dir)
            .field("max_commits", &self.max_commits)
            .field("mirrors", &self.mirrors)
            .field("cache_deployments", &self.cache_deployments)
            .field("cache_ttl", &self.cache_ttl)
            .finish_non_exhaustive()
    }
}

/// What the metrics are asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Entity(String),
    /// Every entity the group and its child groups own.
    Group(String),
    /// Every entity.
    Organisation,
}

impl Scope {
    pub fn name(&self) -> &'static str {
        match self {
            Scope::Entity(_) => "entity",
            Scope::Group(_) => "group",
            Scope::Organisation => "organisation",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsQuery {
    pub scope: Scope,
    pub from_ms: i64,
    pub to_ms: i64,
    pub interval: Interval,
}

/// What a notification from Alertmanager did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertsApplied {
    pub opened: u64,
    pub resolved: u64,
    pub unchanged: u64,
    /// Fingerprints of alerts no entity was found for.
    pub unmapped: Vec<String>,
}

pub struct Delivery {
    pub store: Store,
    rollouts: deployments::store::Store,
    history: History,
    pulls: Pulls,
    judged: judged::Judged,
    pub settings: DeliverySettings,
}

impl Delivery {
    /// `git` (the catalog's): its reading policy, tokens and timeout apply to the clones read for
    /// lead time, kept in `settings.changes_cache_dir`.
    pub fn new(
        catalog: catalog::store::Store,
        settings: DeliverySettings,
        git: &GitSettings,
        github: Vec<catalog::ingest::github::GithubIntegration>,
    ) -> Delivery {
        let git = GitSettings {
            cache_dir: settings
                .changes_cache_dir
                .clone()
                .unwrap_or_else(|| git.cache_dir.join("delivery")),
            ..git.clone()
        };
        Delivery {
            store: Store::new(catalog.clone()),
            rollouts: deployments::store::Store::new(catalog),
            history: History::new(git, settings.max_commits),
            pulls: Pulls::new(github),
            judged: judged::Judged::new(settings.cache_deployments, settings.cache_ttl),
            settings,
        }
    }

    /// Records a deployment CI reported: `Created`, or `Unchanged` when the same id came again.
    pub async fn report_deployment(&self, body: &Value, actor: &str, now_ms: i64) -> Result<Upsert, DeliveryError> {
        let deployment = report::deployment(body)?;
        self.known_entity(&deployment.entity, "entity").await?;
        match self.store.report_deployment(&deployment, actor, now_ms).await? {
            Upsert::Differs => Err(DeliveryError::Conflict(format!(
                "id: deployment {} was reported before with other values",
                deployment.id
            ))),
            done => Ok(done),
        }
    }

    /// Records an incident reported through the API, linked to its deployment when it names one.
    pub async fn report_incident(&self, body: &Value, actor: &str, now_ms: i64) -> Result<Upsert, DeliveryError> {
        let x = report::incident(body)?;
        self.known_entity(&x.entity, "entity").await?;
        let link = match &x.deployment {
            Some(id) => Some((id.clone(), self.deployment_entity(id).await?)),
            None => None,
        };
        let incident = NewIncident {
            source: "api".into(),
            external_id: x.id.clone(),
            entity: x.entity,
            service: None,
            title: x.title,
            started_ms: x.started_ms,
            resolved_ms: x.resolved_ms,
            link,
            actor: actor.to_string(),
            labels: None,
        };
        match self.store.record_incident(&incident, now_ms).await? {
            Upsert::Differs => Err(DeliveryError::Conflict(format!(
                "id: incident {} was reported before for another entity or start",
                x.id
            ))),
            done => Ok(done),
        }
    }

    /// Opens and resolves incidents from an Alertmanager notification.
    pub async fn alertmanager(&self, body: &[u8], now_ms: i64) -> Result<AlertsApplied, DeliveryError> {
        let alerts = alertmanager::parse(body)?;
        let entities = self.rollouts.mappable_entities().await?;
        let mut applied = AlertsApplied::default();
        for alert in alerts {
            let by_label = alert.entity_hints().into_iter().find_map(|hint| {
                entities
                    .iter()
                    .find(|e| {
                        e.annotations
                            .get(deployments::store::ANNOTATION_ID)
                            .is_some_and(|id| id == hint)
                    })
                    .or_else(|| {
                        entities
                            .iter()
                            .find(|e| e.entity_ref.starts_with("component:") && e.name == hint)
                    })
                    .map(|e| e.entity_ref.clone())
            });
            let entity = match (by_label, alert.workload()) {
                (Some(entity), _) => Some(entity),
                (None, Some((namespace, name))) => self.store.workload_entity(namespace, name).await?,
                (None, None) => None,
            };
            let Some(entity) = entity else {
                applied.unmapped.push(alert.fingerprint.clone());
                continue;
            };
            let incident = NewIncident {
                source: "alertmanager".into(),
                external_id: alert.external_id(),
                entity,
                service: None,
                title: alert.title.clone(),
                started_ms: alert.started_ms,
                resolved_ms: alert.ended_ms,
                link: None,
                actor: "alertmanager".into(),
                labels: alert.labels_json(),
            };
            let before = self
                .store
                .incident(&format!("alertmanager:{}", incident.external_id))
                .await?;
            self.store.record_incident(&incident, now_ms).await?;
            match (before.map(|b| b.resolved_ms.is_some()), alert.firing) {
                (None, true) => applied.opened += 1,
                (None | Some(false), false) => applied.resolved += 1,
                _ => applied.unchanged += 1,
            }
        }
        Ok(applied)
    }

    /// The metrics of an entity, a group or the organisation over a range. Each entity's
    /// deployments are judged on their own, and kept judged (`judged`) until its data changes:
    /// only the entities whose stamp moved are read and judged again, each read covering them all
    /// at once.
    pub async fn metrics(&self, query: &MetricsQuery) -> Result<Metrics, DeliveryError> {
        let (entities, among_all) = match &query.scope {
            Scope::Entity(entity) => {
                self.known_entity(entity, "entity").await?;
                (vec![entity.clone()], false)
            }
            Scope::Group(group) => {
                self.known_entity(group, "group").await?;
                (self.group_entities(group).await?, false)
            }
            Scope::Organisation => (Vec::new(), true),
        };
        let among = if among_all {
            Among::All
        } else {
            Among::Entities(&entities)
        };
        let range = (query.from_ms, query.to_ms);
        // Judged over whole days: requests in the same days (`to` is often now) share the
        // judgement; deployments outside `range` are only context to the summary.
        let days = (
            range.0.div_euclid(DAY_MS) * DAY_MS,
            (range.1 + DAY_MS - 1).div_euclid(DAY_MS) * DAY_MS,
        );
        let stamps = self.store.stamps(among).await?;
        let now = std::time::Instant::now();
        let mut sets = Vec::with_capacity(stamps.len());
        let mut missing = Vec::new();
        for (entity, stamp) in &stamps {
            let key = judged::Key {
                stamp: *stamp,
                around: days,
            };
            match self.judged.get(entity, key, now) {
                Some(set) => sets.push(set),
                None => missing.push(entity.clone()),
            }
        }
        if !missing.is_empty() {
            let read = if among_all && missing.len() == stamps.len() {
                Among::All
            } else {
                Among::Entities(&missing)
            };
            let mut fresh = self.judge(read, days).await?;
            for entity in &missing {
                let set = Arc::new(fresh.remove(entity).unwrap_or_default());
                let key = judged::Key {
                    stamp: stamps[entity],
                    around: days,
                };
                self.judged.put(entity, key, set.clone(), now);
                sets.push(set);
            }
        }
        let assessed: Vec<&AssessedDeployment> = sets.iter().flat_map(|set| set.iter()).collect();
        let unlinked = self.store.unlinked_incidents(among, range).await?;
        let entities = if among_all {
            let mut all: std::collections::BTreeSet<String> = sets
                .iter()
                .filter_map(|set| set.first().map(|d| d.entity.clone()))
                .collect();
            all.extend(unlinked.keys().cloned());
            all.into_iter().collect()
        } else {
            entities
        };
        let buckets = buckets(query.from_ms, query.to_ms, query.interval)
            .ok_or_else(|| DeliveryError::invalid("interval", "makes too many intervals for this range"))?;
        let (breakdown_by, breakdown) = if among_all {
            let owners = self.store.owners(Among::All).await?;
            let owner = |entity: &str| owners.get(entity).cloned().unwrap_or_default();
            (
                "owner",
                metrics::breakdown(&entities, &assessed, &unlinked, range, owner),
            )
        } else {
            (
                "entity",
                metrics::breakdown(&entities, &assessed, &unlinked, range, str::to_string),
            )
        };
        let mut out = metrics::summarize(
            entities,
            &assessed,
            unlinked.values().sum(),
            range,
            query.interval.as_str(),
            &buckets,
        );
        out.scope = query.scope.name().into();
        out.breakdown_by = breakdown_by.into();
        out.breakdown = breakdown;
        Ok(out)
    }

    /// Reads and judges the production deployments of `among` around `days`, per entity.
    async fn judge(
        &self,
        among: Among<'_>,
        days: (i64, i64),
    ) -> Result<BTreeMap<String, Vec<AssessedDeployment>>, DeliveryError> {
        let settings = Settings {
            rework_window_ms: i64::try_from(self.settings.rework_window.as_millis()).unwrap_or(i64::MAX),
        };
        let mut deployments = self.production_deployments(among, days).await?;
        let mut incidents = self.store.incidents_linked(among).await?;
        let mut open = self
            .store
            .incident_spans(
                among,
                (days.0.saturating_sub(LOOKBACK_MS), days.1.saturating_add(HORIZON_MS)),
            )
            .await?;
        let deployed: Vec<String> = deployments
            .iter()
            .filter(|(_, list)| list.iter().any(|d| d.finished_ms >= days.0 && d.finished_ms < days.1))
            .map(|(entity, _)| entity.clone())
            .collect();
        let repositories = self.store.repository_annotations(Among::Entities(&deployed)).await?;
        let mut out = BTreeMap::new();
        for (entity, list) in std::mem::take(&mut deployments) {
            let stream = metrics::stream(list);
            let linked = incidents.remove(&entity).unwrap_or_default();
            let mut judged = metrics::assess(&stream, &linked, settings);
            let (slug, source) = repositories.get(&entity).cloned().unwrap_or_default();
            let repo = crate::changes::repository(slug.as_deref(), source.as_deref())
                .map(|repo| crate::changes::mirrored(&repo, &self.settings.mirrors));
            self.changes(repo.as_deref(), &stream, &mut judged, days).await?;
            metrics::judge_changes(&mut judged);
            metrics::mark_incident_fixes(&mut judged, &open.remove(&entity).unwrap_or_default(), settings);
            out.insert(entity, judged);
        }
        Ok(out)
    }

    /// What `group` and its child groups (to `MAX_GROUP_DEPTH` levels) own, at most
    /// `MAX_GROUP_ENTITIES`.
    async fn group_entities(&self, group: &str) -> Result<Vec<String>, DeliveryError> {
        let mut groups = vec![group.to_string()];
        let mut level = groups.clone();
        for _ in 0..MAX_GROUP_DEPTH {
            let children: Vec<String> = self
                .store
                .child_groups(&level)
                .await?
                .into_iter()
                .filter(|g| !groups.contains(g))
                .collect();
            if children.is_empty() {
                break;
            }
            groups.extend(children.iter().cloned());
            level = children;
        }
        Ok(self.store.owned_by(&groups).await?)
    }

    /// Parses a metrics request: `entity` or `group`, `from`/`to` (RFC 3339 or a date; default
    /// the last 30 days), `interval` (default week), the range bounded by `max_range_days`.
    pub fn query(
        &self,
        entity: Option<&str>,
        group: Option<&str>,
        (from, to): (Option<&str>, Option<&str>),
        interval: Option<&str>,
        now_ms: i64,
    ) -> Result<MetricsQuery, DeliveryError> {
        let scope = match (entity, group) {
            (Some(e), None) => Scope::Entity(report::entity_ref(e, "entity")?),
            (None, Some(g)) => Scope::Group(
                catalog::model::EntityRef::parse(g, Some("group"), "default")
                    .map(|r| r.to_string().to_lowercase())
                    .map_err(|e| DeliveryError::invalid("group", e.to_string()))?,
            ),
            (None, None) => Scope::Organisation,
            (Some(_), Some(_)) => return Err(DeliveryError::invalid("entity", "give entity or group, not both")),
        };
        let time = |text: Option<&str>, field: &str, default: i64| match text {
            None => Ok(default),
            Some(t) => crate::buckets::parse_time(t)
                .ok_or_else(|| DeliveryError::invalid(field, format!("`{t}` is neither an RFC 3339 time nor a date"))),
        };
        let to_ms = time(to, "to", now_ms)?;
        let from_ms = time(from, "from", to_ms - 30 * 86_400_000)?;
        if from_ms >= to_ms {
            return Err(DeliveryError::invalid("from", "must be before to"));
        }
        let max_ms = i64::from(self.settings.max_range_days) * 86_400_000;
        if to_ms - from_ms > max_ms {
            return Err(DeliveryError::invalid(
                "from",
                format!("the range is longer than {} days", self.settings.max_range_days),
            ));
        }
        let interval = match interval {
            None => Interval::Week,
            Some(i) => Interval::parse(i)
                .ok_or_else(|| DeliveryError::invalid("interval", format!("`{i}` is not day, week or month")))?,
        };
        Ok(MetricsQuery {
            scope,
            from_ms,
            to_ms,
            interval,
        })
    }

    /// The production deployments of `among` around `range`, rollouts and reported ones, per
    /// entity.
    async fn production_deployments(
        &self,
        among: Among<'_>,
        (from_ms, to_ms): (i64, i64),
    ) -> Result<BTreeMap<String, Vec<Deployment>>, DeliveryError> {
        let around = (from_ms.saturating_sub(LOOKBACK_MS), to_ms.saturating_add(HORIZON_MS));
        let mut out: BTreeMap<String, Vec<Deployment>> = BTreeMap::new();
        for r in self.store.rollouts_among(among, around).await? {
            if !self.is_production(&r) {
                continue;
            }
            out.entry(r.entity.clone()).or_default().push(Deployment {
                id: r.deployment_id(),
                entity: r.entity,
                commit: r.commit,
                source: DeploymentSource::Rollout,
                started_ms: r.started_ms,
                finished_ms: r.finished_ms,
                failed: r.outcome == "failed",
                rolled_back: r.outcome == "rolled-back",
                restores: r.restores_seq.is_some(),
                unhealthy_ms: r.failed_ms.filter(|_| r.outcome != "failed"),
                version: r.version,
            });
        }
        for d in self.store.reported_deployments(among, PRODUCTION, around).await? {
            out.entry(d.entity.clone()).or_default().push(Deployment {
                id: d.id,
                entity: d.entity,
                version: d.version,
                commit: d.commit,
                source: DeploymentSource::Reported,
                started_ms: d.started_ms,
                finished_ms: d.finished_ms,
                failed: d.failed,
                rolled_back: false,
                restores: false,
                unhealthy_ms: None,
            });
        }
        Ok(out)
    }

    /// Whether a rollout ran in production: the first environment containing its cluster and
    /// namespace is `production`; with no environments configured, every cluster is.
    fn is_production(&self, rollout: &RolloutRow) -> bool {
        let environments = &self.settings.environments;
        environments.is_empty()
            || environments
                .iter()
                .find(|e| e.contains(&rollout.cluster, &rollout.namespace))
                .is_some_and(|e| e.name == PRODUCTION)
    }

    async fn known_entity(&self, entity: &str, field: &str) -> Result<(), DeliveryError> {
        if self.store.entity_exists(entity).await? {
            Ok(())
        } else {
            Err(DeliveryError::invalid(
                field,
                format!("the catalog has no entity {entity}"),
            ))
        }
    }

    /// The entity of deployment `id`: a reported one, or `rollout:<cluster>/<namespace>/<kind>/<name>/<seq>`.
    async fn deployment_entity(&self, id: &str) -> Result<String, DeliveryError> {
        let missing = || DeliveryError::invalid("deployment", format!("there is no deployment {id}"));
        if let Some(entity) = self.store.reported_deployment_entity(id).await? {
            return Ok(entity);
        }
        let Some(key) = id.strip_prefix("rollout:") else {
            return Err(missing());
        };
        let parts: Vec<&str> = key.splitn(5, '/').collect();
        let [cluster, namespace, kind, name, seq] = parts[..] else {
            return Err(missing());
        };
        let seq: i64 = seq.parse().map_err(|_| missing())?;
        self.store
            .rollout_entity((cluster, namespace, kind, name), seq)
            .await?
            .ok_or_else(missing)
    }
}
