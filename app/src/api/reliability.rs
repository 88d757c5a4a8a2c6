//! The Reliability views' server functions: an entity's SLOs whole (a Group's tab is its team
//! view: the SLOs of what it owns) with the entity's incidents on the same timeline, and the
//! overview of every SLO filtered by owner and system. The server provides `slo::service::Slos`
//! and `delivery::Delivery` in context; these functions check permissions and call them. Every
//! figure comes from buckets Cairn stores: no page waits on Prometheus.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use delivery::model::Incident;
pub use slo::view::{Detail, Summary};

/// A problem of an SLO file, where it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloProblem {
    pub file: String,
    pub line: i64,
    pub field: Option<String>,
    pub message: String,
}

/// What an entity's Reliability tab shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityView {
    /// A Prometheus is configured (otherwise the tab says how to connect one).
    pub connected: bool,
    /// An entity's SLOs, whole (empty for a group).
    pub slos: Vec<Detail>,
    /// A group's SLOs (those of the entities it owns), worst first (empty for an entity).
    pub team: Vec<Summary>,
    pub problems: Vec<SloProblem>,
    /// The entity's incidents over its SLOs' longest window, newest first.
    pub incidents: Vec<Incident>,
    pub incidents_truncated: bool,
    /// Unix seconds the figures were computed at.
    pub now: i64,
}

/// The overview: every SLO (or those of an owner's or a system's entities), worst first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverviewView {
    pub connected: bool,
    pub items: Vec<Summary>,
    /// The owners and systems SLOs belong to, for the filters.
    pub owners: Vec<String>,
    pub systems: Vec<String>,
    /// SLOs before filtering.
    pub total: usize,
    /// Problems of SLO files (each with its file and line on its entity's tab and the API).
    pub problems: usize,
}

/// Most incidents listed on an entity's Reliability timeline.
pub const MAX_INCIDENTS: usize = 100;

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::Arc;

    use leptos::prelude::*;

    pub fn slos() -> Result<Arc<slo::service::Slos>, ServerFnError> {
        use_context::<Arc<slo::service::Slos>>().ok_or_else(|| ServerFnError::new("SLOs are not available here"))
    }

    pub fn failure(err: slo::service::SloError) -> ServerFnError {
        match err {
            slo::service::SloError::Store(e) => {
                tracing::error!(error = %e, "reliability page failure");
                ServerFnError::new("the SLOs could not be read; the error has been logged")
            }
            other => ServerFnError::new(other.to_string()),
        }
    }

    pub fn delivery_failure(err: delivery::DeliveryError) -> ServerFnError {
        tracing::error!(error = %err, "reliability page: reading incidents");
        ServerFnError::new("the incidents could not be read; the error has been logged")
    }
}

/// An entity's Reliability tab (a Group's: its team view). `None` when there is no such entity.
#[server(prefix = "/_server")]
pub async fn load_entity_reliability(
    kind: String,
    namespace: String,
    name: String,
) -> Result<Option<ReliabilityView>, ServerFnError> {
    use ssr::{delivery_failure, failure, slos};
    super::access::require(access::Permission::CatalogRead, &[])?;
    let slos = slos()?;
    let entity_ref = super::deployments::entity_ref(&kind, &namespace, &name);
    let found = slos
        .store
        .catalog()
        .existing_refs(std::slice::from_ref(&entity_ref))
        .await
        .map_err(|e| failure(e.into()))?;
    if found.is_empty() {
        return Ok(None);
    }
    let now = slo::service::now_seconds();
    let group = kind.eq_ignore_ascii_case("group");
    let filter = slo::service::ListFilter {
        entity: (!group).then(|| entity_ref.clone()),
        owner: group.then(|| entity_ref.clone()),
        system: None,
    };
    let summaries = slos.list(&filter, now).await.map_err(failure)?;
    let problems = slos
        .problems((!group).then_some(entity_ref.as_str()))
        .await
        .map_err(failure)?
        .into_iter()
        .filter(|p| group || p.entity == entity_ref)
        .map(|p| SloProblem {
            file: p.file,
            line: p.line,
            field: p.field,
            message: p.message,
        })
        .collect();
    let mut view = ReliabilityView {
        connected: slos.connected(),
        slos: Vec::new(),
        team: Vec::new(),
        problems,
        incidents: Vec::new(),
        incidents_truncated: false,
        now,
    };
    if group {
        view.team = summaries;
        return Ok(Some(view));
    }
    for s in &summaries {
        view.slos.push(slos.detail(&s.id, now).await.map_err(failure)?);
    }
    if let Some(from) = view.slos.iter().map(|d| d.report.span.start).min() {
        let delivery = use_context::<Arc<delivery::Delivery>>()
            .ok_or_else(|| ServerFnError::new("incidents are not available here"))?;
        let query = delivery::MetricsQuery {
            scope: delivery::Scope::Entity(entity_ref.clone()),
            from_ms: from * 1000,
            to_ms: now * 1000,
            interval: delivery::buckets::Interval::Week,
        };
        let list = delivery
            .incidents(&query, MAX_INCIDENTS)
            .await
            .map_err(delivery_failure)?;
        view.incidents = list.incidents;
        view.incidents_truncated = list.truncated;
    }
    Ok(Some(view))
}

/// The overview: every SLO, or those of `owner`'s or `system`'s entities (both: both).
#[server(prefix = "/_server")]
pub async fn load_reliability_overview(
    owner: Option<String>,
    system: Option<String>,
) -> Result<OverviewView, ServerFnError> {
    use ssr::{failure, slos};
    super::access::require(access::Permission::CatalogRead, &[])?;
    let slos = slos()?;
    let now = slo::service::now_seconds();
    let all = slos
        .list(&slo::service::ListFilter::default(), now)
        .await
        .map_err(failure)?;
    let problems = slos.problems(None).await.map_err(failure)?.len();
    let distinct = |pick: fn(&Summary) -> Option<&String>| {
        all.iter()
            .filter_map(pick)
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    };
    let owners = distinct(|s| s.owner.as_ref());
    let systems = distinct(|s| s.system.as_ref());
    let wanted = |value: &Option<String>, filter: &Option<String>| {
        filter
            .as_deref()
            .filter(|f| !f.is_empty())
            .is_none_or(|f| value.as_deref() == Some(f.to_lowercase().as_str()))
    };
    let total = all.len();
    let items = all
        .into_iter()
        .filter(|s| wanted(&s.owner, &owner) && wanted(&s.system, &system))
        .collect();
    Ok(OverviewView {
        connected: slos.connected(),
        items,
        owners,
        systems,
        total,
        problems,
    })
}

#[cfg(feature = "ssr")]
use std::sync::Arc;
