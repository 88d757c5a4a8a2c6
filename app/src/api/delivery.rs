//! The Delivery views' server functions: an entity's or a group's metrics (a Group's tab is its
//! team view), the organisation's, an entity's incidents with their suspects, and an owner's
//! verdict on a suspect. The server provides `delivery::Delivery` in context; these functions
//! check permissions and call it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use delivery::model::{Incident, Metrics, Suspects};

/// The ranges the views offer, in days; the first is the default.
pub const RANGES: [u32; 3] = [90, 30, 180];

/// What one Delivery view shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub days: u32,
    pub metrics: Metrics,
    /// An entity's incidents in the range, newest first, each with its suspects (empty for a
    /// group or the organisation, whose views link to their entities').
    pub incidents: Vec<IncidentView>,
    pub incidents_truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentView {
    pub incident: Incident,
    /// None past the first `MAX_WITH_SUSPECTS` incidents.
    pub suspects: Option<Suspects>,
}

/// Most incidents listed on an entity's tab, and how many of them get their suspects.
pub const MAX_INCIDENTS: usize = 50;
pub const MAX_WITH_SUSPECTS: usize = 20;

/// `days` if it is one the views offer, else the default.
pub fn range_days(days: Option<u32>) -> u32 {
    days.filter(|d| RANGES.contains(d)).unwrap_or(RANGES[0])
}

#[cfg(feature = "ssr")]
fn service() -> Result<std::sync::Arc<delivery::Delivery>, ServerFnError> {
    use_context::<std::sync::Arc<delivery::Delivery>>()
        .ok_or_else(|| ServerFnError::new("delivery metrics are not available here"))
}

#[cfg(feature = "ssr")]
fn failure(err: delivery::DeliveryError) -> ServerFnError {
    match err {
        delivery::DeliveryError::Store(e) => {
            tracing::error!(error = %e, "delivery page failure");
            ServerFnError::new("the delivery metrics could not be read; the error has been logged")
        }
        other => ServerFnError::new(other.to_string()),
    }
}

#[cfg(feature = "ssr")]
fn query(scope: delivery::Scope, days: u32) -> delivery::MetricsQuery {
    let to_ms = catalog::store::now_ms();
    delivery::MetricsQuery {
        scope,
        from_ms: to_ms - i64::from(days) * 86_400_000,
        to_ms,
        interval: delivery::buckets::Interval::Week,
    }
}

/// An entity's Delivery tab (a Group's: its team view) over the last `days`. `None` when there
/// is no such entity.
#[server(prefix = "/_server")]
pub async fn load_entity_delivery(
    kind: String,
    namespace: String,
    name: String,
    days: Option<u32>,
) -> Result<Option<DeliveryView>, ServerFnError> {
    super::access::require(access::Permission::CatalogRead, &[])?;
    let service = service()?;
    let entity_ref = super::deployments::entity_ref(&kind, &namespace, &name);
    if !service
        .store
        .entity_exists(&entity_ref)
        .await
        .map_err(|e| failure(e.into()))?
    {
        return Ok(None);
    }
    let days = range_days(days);
    let group = kind.eq_ignore_ascii_case("group");
    let scope = if group {
        delivery::Scope::Group(entity_ref.clone())
    } else {
        delivery::Scope::Entity(entity_ref.clone())
    };
    let query = query(scope, days);
    let metrics = service.metrics(&query).await.map_err(failure)?;
    let (incidents, incidents_truncated) = if group {
        (Vec::new(), false)
    } else {
        incidents(&service, &query).await?
    };
    Ok(Some(DeliveryView {
        days,
        metrics,
        incidents,
        incidents_truncated,
    }))
}

#[cfg(feature = "ssr")]
async fn incidents(
    service: &delivery::Delivery,
    query: &delivery::MetricsQuery,
) -> Result<(Vec<IncidentView>, bool), ServerFnError> {
    let list = service.incidents(query, MAX_INCIDENTS).await.map_err(failure)?;
    let mut out = Vec::with_capacity(list.incidents.len());
    for (i, incident) in list.incidents.into_iter().enumerate() {
        let suspects = if i < MAX_WITH_SUSPECTS {
            Some(service.suspects(&incident.id).await.map_err(failure)?)
        } else {
            None
        };
        out.push(IncidentView { incident, suspects });
    }
    Ok((out, list.truncated))
}

/// The organisation's Delivery page: every entity, broken down by owner.
#[server(prefix = "/_server")]
pub async fn load_organisation_delivery(days: Option<u32>) -> Result<DeliveryView, ServerFnError> {
    super::access::require(access::Permission::CatalogRead, &[])?;
    let days = range_days(days);
    let metrics = service()?
        .metrics(&query(delivery::Scope::Organisation, days))
        .await
        .map_err(failure)?;
    Ok(DeliveryView {
        days,
        metrics,
        incidents: Vec::new(),
        incidents_truncated: false,
    })
}

/// An owner's verdict on a suspected deployment (`confirmed` links it to the incident, so the
/// metrics count it failed; `rejected` unlinks it). Needs `incidents.link` on the incident's
/// entity; audited.
#[server(prefix = "/_server", endpoint = "decide_suspect")]
pub async fn decide_suspect(incident: String, deployment: String, decision: String) -> Result<String, ServerFnError> {
    let service = service()?;
    let entity = service.incident_entity(&incident).await.map_err(failure)?;
    let catalog = use_context::<std::sync::Arc<catalog::service::Catalog>>()
        .ok_or_else(|| ServerFnError::new("the catalog is not available"))?;
    let principal = super::access::require_entity(&catalog.store, access::Permission::IncidentLink, &entity).await?;
    let action = match decision.as_str() {
        "confirmed" => "incident-link-confirmed",
        "rejected" => "incident-link-rejected",
        other => {
            return Err(ServerFnError::new(format!(
                "decision: `{other}` is neither confirmed nor rejected"
            )));
        }
    };
    service
        .decide(
            &incident,
            &deployment,
            &decision,
            &principal.actor(),
            catalog::store::now_ms(),
        )
        .await
        .map_err(failure)?;
    super::access::audit(&principal, action, incident.clone(), Some(deployment.clone())).await;
    Ok(format!("{deployment} {decision} as a cause of {incident}."))
}
