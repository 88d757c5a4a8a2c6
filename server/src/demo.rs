//! The demo, on only when the configuration has a `demo:` section (`cairn.dev.yaml`, which
//! `./x run` uses; a real installation has none): a simulated cluster running the demo catalog's
//! services (`cluster`: testkit's `kube-api --demo`, a child process that ends with the portal)
//! for the Deployments views, and a generated delivery history (`history`) reported through
//! `delivery::Delivery` like CI's reports, for the DORA metrics, and a cost history copied back
//! from the simulated cluster's first sample (`cost_history`), with each service's Git repository
//! written beside the database so lead times have commits to read (`repositories`). Every page says so while it is on
//! (`app::components::demo_banner`), and the cluster's name and catalog Resource say it is simulated.
//! A demo Prometheus (`prometheus`, testkit's `prometheus-fixture --northwind`) serves the simulated
//! cluster's Pyrra SLOs their traffic when no Prometheus is configured.

mod child;
mod cluster;
mod cost_history;
mod history;
mod prometheus;
mod repositories;

use std::path::PathBuf;
use std::time::Duration;

pub use cluster::SimulatedCluster;
pub use cost_history::backfill_cost;
pub use history::{Backfilled, backfill, plan, run_backfill};
pub use prometheus::DemoPrometheus;
pub use repositories::MIRRORED as MIRRORED_REPOSITORIES;

/// The `demo:` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSettings {
    /// The simulated cluster, when configured (`demo.cluster`).
    pub cluster: Option<ClusterSettings>,
    pub history: HistorySettings,
    /// The demo's Prometheus, when configured (`demo.prometheus`) and no other is.
    pub prometheus: Option<PrometheusSettings>,
}

/// `demo.prometheus`: how to start the demo's Prometheus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrometheusSettings {
    /// testkit's `prometheus-fixture` binary (`./x run` builds it).
    pub command: PathBuf,
    /// Days of history behind now.
    pub days: u32,
}

/// `demo.cluster`: how to start the simulated cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSettings {
    /// testkit's `kube-api` binary (`cargo build -p testkit --bin kube-api`; `./x run` builds it).
    pub command: PathBuf,
    /// The cluster's name on the pages and in the catalog.
    pub name: String,
    /// How often its script does something (deploys, fails a rollout, crash-loops a pod…).
    pub every: Duration,
}

/// `demo.history`: the generated delivery history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistorySettings {
    /// Days back from today.
    pub days: u32,
    /// The same seed gives the same history (so a restart reports what it reported before).
    pub seed: u64,
    /// Where the services' Git repositories are written (beside the database), read for lead
    /// time through a mirror of [`MIRRORED_REPOSITORIES`]; None: releases name no commit.
    pub repositories: Option<PathBuf>,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            days: 90,
            seed: 1,
            repositories: None,
        }
    }
}

/// The simulated cluster's name when the configuration gives none: it says what it is.
pub const DEFAULT_CLUSTER_NAME: &str = "simulated-demo";
