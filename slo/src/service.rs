//! `Slos`: what the server's handlers and pages call, and the background loop that keeps the
//! definitions collected (`collect`) and each SLO's buckets current (`sync`). Figures are computed
//! from stored buckets and the figures the sync loop keeps (`list`, `views`, `gate`): no
//! request waits on Prometheus.

mod gate;
mod list;
mod sync;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use catalog::ingest::git::GitSettings;

use crate::collect::{ClusterObjects, CollectLimits};
use crate::model::Slo;
use crate::prometheus::Prometheus;
use crate::store::{DefinitionRow, Store, StoreError};

pub use gate::{Gate, GatePolicy, GateSlo};
pub use list::ListFilter;
pub use views::{DeployMarker, Detail, Summary};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum SloError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Input(String),
    #[error("no SLO with id `{0}`")]
    NotFound(String),
}

/// The `slo:` settings (besides `prometheus:`).
#[derive(Clone, Debug)]
pub struct SloSettings {
    /// How often each SLO's new buckets are fetched.
    pub sync_interval: Duration,
    /// How long a replica's claim on one SLO's sync lasts.
    pub claim_lease: Duration,
    /// How long after a bucket ends it is first fetched (the last scrape must have landed); the
    /// last two buckets are fetched again at every sync.
    pub settle: Duration,
    /// How far back the first sync of an SLO reaches (windows longer than this show as short
    /// history).
    pub max_backfill: Duration,
    /// Buckets older than this are deleted.
    pub retention: Duration,
    /// How often the definitions are collected again (also after every catalog change).
    pub collect_interval: Duration,
    /// SLOs synced side by side by one replica in one round, at most.
    pub max_per_round: i64,
    pub limits: CollectLimits,
    pub gate: GatePolicy,
    /// Spacing of the burn-down series, seconds (a multiple of 300).
    pub series_step: i64,
    /// Most deploy markers per SLO.
    pub max_deploys: i64,
    /// Which clusters and namespaces are production (the `dora:` environments): only rollouts
    /// there are deploy markers. Empty: every cluster is.
    pub environments: Vec<crate::store::Environment>,
}

impl Default for SloSettings {
    fn default() -> Self {
        SloSettings {
            sync_interval: Duration::from_secs(300),
            claim_lease: Duration::from_secs(120),
            settle: Duration::from_secs(60),
            max_backfill: Duration::from_secs(35 * 86_400),
            retention: Duration::from_secs(100 * 86_400),
            collect_interval: Duration::from_secs(600),
            max_per_round: 1_000,
            limits: CollectLimits::default(),
            gate: GatePolicy::default(),
            series_step: 3_600,
            max_deploys: 200,
            environments: Vec::new(),
        }
    }
}

/// The Prometheus servers SLOs are read from: one for all, and one per name (an OpenSLO
/// `DataSource` / `metricSourceRef` of that name picks it).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub global: Option<Prometheus>,
    pub named: BTreeMap<String, Prometheus>,
}

impl Sources {
    /// The Prometheus `slo` is read from: its data source's, else the global one.
    pub fn for_slo(&self, slo: &Slo) -> Option<&Prometheus> {
        slo.data_source
            .as_ref()
            .and_then(|name| self.named.get(name))
            .or(self.global.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.global.is_none() && self.named.is_empty()
    }
}

/// SLOs and error budgets.
pub struct Slos {
    pub store: Store,
    pub settings: SloSettings,
    pub sources: Sources,
    git: GitSettings,
    worker: String,
    clusters: Option<ClusterObjects>,
}

impl Slos {
    pub fn new(store: Store, settings: SloSettings, sources: Sources, git: GitSettings, worker: String) -> Slos {
        Slos {
            store,
            settings,
            sources,
            git,
            worker,
            clusters: None,
        }
    }

    /// Pyrra's SLO objects of the watched clusters are collected too, as `clusters` gives them.
    pub fn with_clusters(self, clusters: ClusterObjects) -> Slos {
        Slos {
            clusters: Some(clusters),
            ..self
        }
    }

    /// Whether any Prometheus is configured (pages say how to connect one otherwise).
    pub fn connected(&self) -> bool {
        !self.sources.is_empty()
    }

    /// Collects the definitions again and stores them.
    pub async fn collect(&self, now: i64) -> Result<(usize, usize), StoreError> {
        let objects = self.clusters.as_ref().map(|c| c()).unwrap_or_default();
        let found = crate::collect::collect(&self.store, &self.git, &self.settings.limits, &objects).await?;
        self.store
            .replace_definitions(&found.slos, &found.problems, now)
            .await?;
        Ok((found.slos.len(), found.problems.len()))
    }

    /// Runs until `stopped`: collects after every catalog change and every `collect_interval`,
    /// syncs the SLOs that are due, deletes buckets past the retention.
    pub async fn run(
        self: Arc<Self>,
        mut catalog_changed: tokio::sync::watch::Receiver<u64>,
        mut stopped: tokio::sync::watch::Receiver<bool>,
    ) {
        let tick = self.settings.sync_interval.min(Duration::from_secs(30));
        let mut last_collect: Option<i64> = None;
        let mut changed = true;
        let mut seen_in_clusters = self.cluster_fingerprint();
        loop {
            let now = now_seconds();
            // An SLO object added, changed or removed in a cluster is collected at the next tick.
            let in_clusters = self.cluster_fingerprint();
            if in_clusters != seen_in_clusters {
                seen_in_clusters = in_clusters;
                changed = true;
            }
            let interval = self.settings.collect_interval.as_secs() as i64;
            if changed || last_collect.is_none_or(|at| now - at >= interval) {
                match self.collect(now).await {
                    Ok((slos, problems)) => tracing::debug!(slos, problems, "SLO definitions collected"),
                    Err(e) => tracing::warn!(error = %e, "collecting the SLO definitions"),
                }
                last_collect = Some(now);
            }
            if let Err(e) = self.sync_round(now_seconds()).await {
                tracing::warn!(error = %e, "syncing SLO buckets");
            }
            let before = now - self.settings.retention.as_secs() as i64;
            if let Err(e) = self.store.delete_buckets_before(before).await {
                tracing::warn!(error = %e, "deleting SLO buckets past the retention");
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => changed = false,
                c = catalog_changed.changed() => changed = c.is_ok(),
                _ = stopped.changed() => return,
            }
        }
    }

    /// Each cluster SLO object's cluster, namespace, name and resource version, in order.
    fn cluster_fingerprint(&self) -> Vec<String> {
        let Some(clusters) = &self.clusters else {
            return Vec::new();
        };
        let mut out: Vec<String> = clusters()
            .iter()
            .map(|c| {
                let m = &c.object["metadata"];
                format!(
                    "{} {} {} {}",
                    c.cluster, m["namespace"], m["name"], m["resourceVersion"]
                )
            })
            .collect();
        out.sort();
        out
    }

    fn parse(row: &DefinitionRow) -> Result<Slo, StoreError> {
        serde_json::from_str(&row.definition).map_err(|e| StoreError::Corrupt(format!("SLO {}: {e}", row.id)))
    }
}

/// Unix seconds now.
pub fn now_seconds() -> i64 {
    catalog::store::now_ms().div_euclid(1000)
}
