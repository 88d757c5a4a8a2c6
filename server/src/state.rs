//! The state every handler and server function can reach. Cloned per request (all fields are cheap).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;
use catalog::service::Catalog;
use leptos::config::LeptosOptions;
use templates::service::Scaffolder;

use crate::{db::Db, metrics::Metrics, site::Site};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub catalog: Arc<Catalog>,
    pub scaffolder: Arc<Scaffolder>,
    pub auth: Arc<crate::auth::Auth>,
    /// Turns true when the server is asked to stop: responses that would last for ever (event
    /// streams) end, or the graceful shutdown would wait for them.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// The Deployments views, when clusters are configured.
    pub deployments: Option<Arc<deployments::Deployments>>,
    /// Delivery metrics, deployments reported by CI and incidents.
    pub delivery: Arc<delivery::Delivery>,
    /// Cost allocation's history (its reads price with `cost_settings.prices`).
    pub cost: Arc<cost::store::Store>,
    pub cost_settings: Arc<cost::settings::CostSettings>,
    /// SLOs and error budgets (figures from stored buckets, the deploy gate).
    pub slos: Arc<slo::service::Slos>,
    /// The demo is on (`demo:`): every page says so.
    pub demo: bool,
    pub metrics: Metrics,
    pub site: Site,
    pub leptos: LeptosOptions,
    pub started: Instant,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
