//! Webhooks other systems send: PagerDuty's incident events, and GitHub's `deployment_status`
//! (a finished deployment to production is a reported deployment of each entity of its
//! repository). Each delivery is parsed whole before anything is written, and written once.

use serde::Serialize;
use serde_json::Value;

use super::{Delivery, PRODUCTION};
use crate::DeliveryError;
use crate::pagerduty::{self, Action};
use crate::store::{NewIncident, ReportedDeployment, Upsert};

/// The annotation naming an entity's GitHub repository (`owner/name`).
pub const ANNOTATION_PROJECT_SLUG: &str = "github.com/project-slug";

/// What a PagerDuty delivery did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PagerDutyApplied {
    pub event: String,
    /// `pagerduty:<incident id>`; None for ignored events.
    pub incident: Option<String>,
    /// opened | resolved | unchanged | acknowledged | ignored
    pub action: &'static str,
    /// The entity it is recorded against; None when no entity claims the service.
    pub entity: Option<String>,
    /// Incidents of PagerDuty no entity claims, this one included.
    pub unmapped_incidents: u64,
}

/// What a `deployment_status` delivery did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStatusApplied {
    /// Reported deployments recorded now, one per entity of the repository.
    pub recorded: Vec<String>,
    pub unchanged: Vec<String>,
    /// Known with other values (a second final status of one deployment): left as they were.
    pub conflicting: Vec<String>,
    /// Why nothing was recorded, when nothing was.
    pub ignored: Option<String>,
}

/// Most unmapped incidents one PagerDuty delivery tries to map again.
const MAX_REMAPPED: i64 = 500;

impl Delivery {
    /// Opens or resolves the incident of a PagerDuty v3 delivery (its signature already checked).
    pub async fn pagerduty(&self, body: &[u8], now_ms: i64) -> Result<PagerDutyApplied, DeliveryError> {
        let event = match pagerduty::parse(body)? {
            pagerduty::Delivery::Incident(event) => event,
            pagerduty::Delivery::Ignored { event_id, event_type } => {
                tracing::debug!(event_id, event_type, "PagerDuty event ignored");
                return self.pagerduty_applied(event_id, None, "ignored", None).await;
            }
        };
        self.remap_pagerduty(now_ms).await?;
        let id = format!("pagerduty:{}", event.incident_id);
        let before = self.store.incident(&id).await?;
        if event.action == Action::Acknowledged {
            let entity = before.map(|b| b.entity).filter(|e| !e.is_empty());
            return self
                .pagerduty_applied(event.event_id, Some(id), "acknowledged", entity)
                .await;
        }
        // A known incident keeps its entity and start; a new one is mapped by its service.
        let (entity, started_ms) = match &before {
            Some(known) => (known.entity.clone(), known.started_ms),
            None => {
                let mut claimed = self
                    .store
                    .entities_annotated(pagerduty::ANNOTATION_SERVICE_ID, &event.service_id)
                    .await?;
                if claimed.len() > 1 {
                    tracing::warn!(service = event.service_id, entities = ?claimed, "several entities claim one PagerDuty service; the first is used");
                }
                (claimed.drain(..).next().unwrap_or_default(), event.started_ms)
            }
        };
        let resolved = event.action == Action::Resolved;
        let incident = NewIncident {
            source: "pagerduty".into(),
            external_id: event.incident_id.clone(),
            entity: entity.clone(),
            service: Some(event.service_id.clone()),
            title: event.title.clone(),
            started_ms,
            resolved_ms: resolved.then_some(event.occurred_ms.max(started_ms)),
            link: None,
            actor: "pagerduty".into(),
            labels: None,
        };
        self.store.record_incident(&incident, now_ms).await?;
        let action = match (before.map(|b| b.resolved_ms.is_some()), resolved) {
            (None, false) => "opened",
            (None | Some(false), true) => "resolved",
            _ => "unchanged",
        };
        if entity.is_empty() {
            tracing::warn!(
                service = event.service_id,
                incident = id,
                "no entity claims this PagerDuty service (annotation {})",
                pagerduty::ANNOTATION_SERVICE_ID
            );
        }
        let entity = Some(entity).filter(|e| !e.is_empty());
        self.pagerduty_applied(event.event_id, Some(id), action, entity).await
    }

    /// Gives the PagerDuty incidents no entity claimed when they came (at most
    /// `MAX_REMAPPED` per delivery) the entity that claims their service now, so an annotation
    /// added later loses none of them.
    async fn remap_pagerduty(&self, now_ms: i64) -> Result<u64, DeliveryError> {
        let mut claimed: std::collections::HashMap<String, Option<String>> = std::collections::HashMap::new();
        let mut remapped = 0;
        for (id, service) in self.store.unmapped_services("pagerduty", MAX_REMAPPED).await? {
            if !claimed.contains_key(&service) {
                let entities = self
                    .store
                    .entities_annotated(pagerduty::ANNOTATION_SERVICE_ID, &service)
                    .await?;
                claimed.insert(service.clone(), entities.into_iter().next());
            }
            if let Some(Some(entity)) = claimed.get(&service)
                && self.store.claim_incident(&id, entity, now_ms).await?
            {
                tracing::info!(
                    incident = id,
                    entity,
                    "a PagerDuty incident is now claimed by an entity"
                );
                remapped += 1;
            }
        }
        Ok(remapped)
    }

    async fn pagerduty_applied(
        &self,
        event: String,
        incident: Option<String>,
        action: &'static str,
        entity: Option<String>,
    ) -> Result<PagerDutyApplied, DeliveryError> {
        Ok(PagerDutyApplied {
            event,
            incident,
            action,
            entity,
            unmapped_incidents: self.store.unmapped_incidents("pagerduty").await?,
        })
    }

    /// Records a GitHub `deployment_status` that finished a deployment to production, for each
    /// entity whose `github.com/project-slug` is the repository.
    pub async fn github_deployment_status(
        &self,
        payload: &Value,
        now_ms: i64,
    ) -> Result<DeploymentStatusApplied, DeliveryError> {
        let mut applied = DeploymentStatusApplied::default();
        let status = &payload["deployment_status"];
        let deployment = &payload["deployment"];
        let failed = match text(status, "deployment_status.state", "state")? {
            "success" => false,
            "failure" | "error" => true,
            other => {
                applied.ignored = Some(format!("state `{other}` does not finish a deployment"));
                return Ok(applied);
            }
        };
        let environment = status["environment"]
            .as_str()
            .map(Ok)
            .unwrap_or_else(|| text(deployment, "deployment.environment", "environment"))?;
        if !self.github_environment_is_production(environment) {
            applied.ignored = Some(format!("environment `{environment}` is not production"));
            return Ok(applied);
        }
        let Some(deployment_id) = deployment["id"].as_u64() else {
            return Err(DeliveryError::invalid("deployment.id", "is required (a number)"));
        };
        let repository = text(&payload["repository"], "repository.full_name", "full_name")?;
        let sha = text(deployment, "deployment.sha", "sha")?;
        if !(7..=64).contains(&sha.len()) || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(DeliveryError::invalid("deployment.sha", "must be a Git commit SHA"));
        }
        let version = text(deployment, "deployment.ref", "ref")?;
        let started_ms = time(deployment, "deployment.created_at", "created_at")?;
        let finished_ms = time(status, "deployment_status.created_at", "created_at")?.max(started_ms);
        let entities = self
            .store
            .entities_annotated(ANNOTATION_PROJECT_SLUG, repository)
            .await?;
        if entities.is_empty() {
            tracing::info!(
                repository,
                deployment_id,
                "deployment_status ignored: no entity has this {ANNOTATION_PROJECT_SLUG}"
            );
            applied.ignored = Some(format!("no entity's {ANNOTATION_PROJECT_SLUG} is `{repository}`"));
            return Ok(applied);
        }
        for entity in entities {
            let id = format!("github:{deployment_id}:{entity}");
            let reported = ReportedDeployment {
                id: id.clone(),
                entity,
                environment: PRODUCTION.into(),
                version: version.chars().take(1000).collect(),
                commit: Some(sha.to_ascii_lowercase()),
                failed,
                started_ms,
                finished_ms,
            };
            match self.store.report_deployment(&reported, "github", now_ms).await? {
                Upsert::Created => applied.recorded.push(id),
                Upsert::Unchanged => applied.unchanged.push(id),
                Upsert::Differs => applied.conflicting.push(id),
            }
        }
        Ok(applied)
    }

    /// Whether a GitHub environment is production: the configured environment whose name or
    /// `github` list holds it (case-insensitively) is `production`; unconfigured, its own name is.
    fn github_environment_is_production(&self, github: &str) -> bool {
        let same = |name: &String| name.eq_ignore_ascii_case(github);
        self.settings
            .environments
            .iter()
            .find(|e| same(&e.name) || e.github.iter().any(same))
            .map_or(github.eq_ignore_ascii_case(PRODUCTION), |e| e.name == PRODUCTION)
    }
}

fn text<'a>(object: &'a Value, field: &str, key: &str) -> Result<&'a str, DeliveryError> {
    object[key]
        .as_str()
        .filter(|s| !s.is_empty() && s.len() <= 1000)
        .ok_or_else(|| DeliveryError::invalid(field, "is required (a string of at most 1000 bytes)"))
}

fn time(object: &Value, field: &str, key: &str) -> Result<i64, DeliveryError> {
    let text = text(object, field, key)?;
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| DeliveryError::invalid(field, format!("`{text}` is not an RFC 3339 time")))
}
